package org.miniups.shipment;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.event.Logging;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Keeps the {@code package_index} table in step with the shipments' journal: reads shipment
 * events by tag from the last stored offset and applies those that arrive together in one
 * transaction with the new offset, so every event counts exactly once, also across crashes. A
 * failure restarts the stream with backoff from the stored offset.
 */
public final class PackageIndexProjection {
  static final String NAME = "package-index";
  private static final int BATCH = 500;
  private static final Duration BATCH_WINDOW = Duration.ofMillis(50);

  private PackageIndexProjection() {}

  public static Behavior<Void> create(DataSource dataSource) {
    return Behaviors.setup(
        context -> {
          Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
          JdbcReadJournal journal =
              PersistenceQuery.get(context.getSystem()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
          Source<Done, ?> events =
              RestartSource.withBackoff(
                  // A restart is a database away, which DatabaseMonitor reports once: not logged per attempt.
                  RestartSettings.create(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2)
                      .withLogSettings(RestartSettings.createLogSettings(Logging.DebugLevel())),
                  () ->
                      Source.completionStage(CompletableFuture.supplyAsync(() -> storedOffset(dataSource), blocking))
                          .flatMapConcat(offset -> journal.eventsByTag(Shipment.TAG, Offset.sequence(offset)))
                          // Events that came together are applied in one transaction: one commit per batch.
                          .groupedWithin(BATCH, BATCH_WINDOW)
                          .mapAsync(1, batch -> CompletableFuture.supplyAsync(() -> apply(dataSource, batch), blocking)));
          UniqueKillSwitch running =
              events.viaMat(KillSwitches.single(), Keep.right()).to(Sink.ignore()).run(context.getSystem());
          return Behaviors.receive(Void.class).onSignal(PostStop.class, signal -> {
            running.shutdown();
            return Behaviors.same();
          }).build();
        });
  }

  static long storedOffset(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement("SELECT position FROM projection_offset WHERE name = ?")) {
      st.setString(1, NAME);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the package index offset: " + e.getMessage(), e);
    }
  }

  static Done apply(DataSource dataSource, List<EventEnvelope> batch) {
    long position = ((Sequence) batch.get(batch.size() - 1).offset()).value();
    Map<Long, Row> rows = new LinkedHashMap<>();
    for (EventEnvelope envelope : batch) {
      long shipId = Long.parseLong(envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1));
      rows.computeIfAbsent(shipId, Row::new).apply(envelope.event());
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        write(c, rows.values());
        saveOffset(c, position);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
      return Done.getInstance();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot update the package index: " + e.getMessage(), e);
    }
  }

  /** What a batch of events changes in one shipment's row: only the last value of each column counts. */
  private static final class Row {
    final long shipId;
    Shipment.Created created;
    String status;
    int[] destination;
    Long owner;
    Instant updatedAt;

    Row(long shipId) {
      this.shipId = shipId;
    }

    void apply(Object event) {
      if (event instanceof Shipment.Created e) {
        created = e;
        touch(e.at());
      } else if (event instanceof Shipment.Stepped e) {
        status = e.step().status().text;
        touch(e.step().at());
      } else if (event instanceof Shipment.DestinationChanged e) {
        destination = new int[] {e.x(), e.y()};
        touch(e.at());
      } else if (event instanceof Shipment.LeftWarehouse e) {
        status = Shipment.Status.OUT_FOR_DELIVERY.text;
        destination = new int[] {e.x(), e.y()};
        touch(e.at());
      } else if (event instanceof Shipment.Claimed e) {
        owner = e.userId();
        touch(e.at());
      }
    }

    private void touch(Instant at) {
      if (updatedAt == null || at.isAfter(updatedAt)) updatedAt = at;
    }
  }

  /** A few batched statements per batch of events, whatever its size. */
  private static void write(Connection c, Collection<Row> rows) throws SQLException {
    try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO package_index (ship_id, tracking_number, owner_id, status, dest_x, dest_y, created_at, updated_at) "
                    + "SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM package_index WHERE ship_id = ?)");
        PreparedStatement status =
            c.prepareStatement("UPDATE package_index SET status = ? WHERE ship_id = ?");
        PreparedStatement destination =
            c.prepareStatement("UPDATE package_index SET dest_x = ?, dest_y = ? WHERE ship_id = ?");
        PreparedStatement owner =
            c.prepareStatement("UPDATE package_index SET owner_id = ? WHERE ship_id = ?");
        PreparedStatement touched =
            c.prepareStatement("UPDATE package_index SET updated_at = GREATEST(updated_at, ?) WHERE ship_id = ?")) {
      for (Row row : rows) {
        if (row.created != null) {
          Shipment.Created e = row.created;
          Timestamp at = Timestamp.from(e.at());
          bind(insert, row.shipId, e.trackingNumber(), e.ownerId(), Shipment.Status.CREATED.text, e.details().destX(),
              e.details().destY(), at, at, row.shipId);
        }
        if (row.status != null) bind(status, row.status, row.shipId);
        if (row.destination != null) bind(destination, row.destination[0], row.destination[1], row.shipId);
        if (row.owner != null) bind(owner, row.owner, row.shipId);
        if (row.updatedAt != null) bind(touched, Timestamp.from(row.updatedAt), row.shipId);
      }
      // Inserts first: the updates of a batch may concern shipments it creates.
      for (PreparedStatement statement : List.of(insert, status, destination, owner, touched)) statement.executeBatch();
    }
  }

  private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
    set(statement, parameters);
    statement.addBatch();
  }

  private static void set(PreparedStatement statement, Object... parameters) throws SQLException {
    for (int i = 0; i < parameters.length; i++) statement.setObject(i + 1, parameters[i]);
  }

  private static void saveOffset(Connection c, long position) throws SQLException {
    if (update(c, "UPDATE projection_offset SET position = ? WHERE name = ?", position, NAME) == 0) {
      update(c, "INSERT INTO projection_offset (name, position) VALUES (?, ?)", NAME, position);
    }
  }

  private static int update(Connection c, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      set(st, parameters);
      return st.executeUpdate();
    }
  }
}
