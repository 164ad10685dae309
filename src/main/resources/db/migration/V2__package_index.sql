-- The package index: one row per shipment, fed from the journal (see PackageIndexProjection), so
-- listing a user's packages or finding one by tracking number never visits the shipment actors.
CREATE TABLE package_index (
  ship_id         BIGINT       PRIMARY KEY,
  tracking_number VARCHAR(32)  NOT NULL,
  owner_id        BIGINT,
  status          VARCHAR(64)  NOT NULL,
  dest_x          INT          NOT NULL,
  dest_y          INT          NOT NULL,
  created_at      TIMESTAMP    NOT NULL,
  updated_at      TIMESTAMP    NOT NULL
);
CREATE UNIQUE INDEX package_index_tracking ON package_index (tracking_number);
CREATE INDEX package_index_owner ON package_index (owner_id, created_at);

-- How far the projection has read the journal.
CREATE TABLE projection_offset (
  name     VARCHAR(64) PRIMARY KEY,
  position BIGINT      NOT NULL
);
