-- Tracking number -> shipment, written before Amazon hears the number (see TrackingNumberRegister),
-- so a number resolves the moment its owner has it; the package index follows the journal later.
CREATE TABLE tracking_number (
  tracking_number VARCHAR(32) PRIMARY KEY,
  ship_id         BIGINT      NOT NULL
);
INSERT INTO tracking_number (tracking_number, ship_id) SELECT tracking_number, ship_id FROM package_index;
