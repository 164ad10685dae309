package org.miniups.shipment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestConfigs.Database;
import org.miniups.db.ReadSideDatabase;

/**
 * The package index applies a batch of events as a few statements: each shipment's row ends as
 * its last event says, whether the shipment was created in the same batch or before, and the
 * offset moves to the batch's last event.
 */
class PackageIndexProjectionTest {
  private static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
  private static final String OFFSET = PackageIndexProjection.offsetName(0);
  private ReadSideDatabase db;
  private long offset;

  @AfterEach
  void close() {
    if (db != null) db.close();
  }

  private EventEnvelope envelope(long shipId, long seqNr, Object event) {
    return new EventEnvelope(Offset.sequence(++offset), Shipment.persistenceId(shipId).id(), seqNr, event, 0L);
  }

  private static Shipment.Created created(long shipId, Long owner, int seconds) {
    Shipment.Details details = new Shipment.Details(shipId, 1, 2, 3, 40, 50, owner, List.of());
    return new Shipment.Created(details, "1ZINDEX" + shipId, owner, 9, T0.plusSeconds(seconds));
  }

  private static Shipment.Stepped stepped(Shipment.Status status, int seconds) {
    return new Shipment.Stepped(new Shipment.Step(status, 3, 0, 0, 0, T0.plusSeconds(seconds), null));
  }

  private record IndexRow(String status, int destX, int destY, Long owner, Instant updatedAt) {}

  private IndexRow row(long shipId) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement st =
            c.prepareStatement("SELECT status, dest_x, dest_y, owner_id, updated_at FROM package_index WHERE ship_id = ?")) {
      st.setLong(1, shipId);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        long owner = rs.getLong(4);
        return new IndexRow(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.wasNull() ? null : owner,
            rs.getTimestamp(5).toInstant());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void aBatchLeavesEachRowAsItsLastEventSays(Database database) throws Exception {
    String url = database.freshUrl();
    db = ReadSideDatabase.open(url, System.getProperty("test.pg.user", "postgres"), "", 2);
    PackageIndexProjection.apply(db.dataSource(), OFFSET, List.of(envelope(1, 1, created(1, null, 0))));

    List<EventEnvelope> batch = new ArrayList<>();
    batch.add(envelope(1, 2, stepped(Shipment.Status.EN_ROUTE, 1)));
    batch.add(envelope(2, 1, created(2, 7L, 2)));
    batch.add(envelope(1, 3, new Shipment.DestinationChanged(8, 9, T0.plusSeconds(3))));
    batch.add(envelope(2, 2, stepped(Shipment.Status.EN_ROUTE, 4)));
    batch.add(envelope(1, 4, new Shipment.Claimed(5, T0.plusSeconds(5))));
    batch.add(envelope(2, 3, new Shipment.LeftWarehouse(3, 0, 41, 51, T0.plusSeconds(6))));
    batch.add(envelope(1, 5, stepped(Shipment.Status.WAITING, 7)));
    PackageIndexProjection.apply(db.dataSource(), OFFSET, batch);

    assertEquals(new IndexRow("truck waiting for package", 8, 9, 5L, T0.plusSeconds(7)), row(1));
    assertEquals(new IndexRow("out for delivery", 41, 51, 7L, T0.plusSeconds(6)), row(2));
    assertEquals(offset, PackageIndexProjection.storedOffset(db.dataSource(), OFFSET));
  }
}
