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
import org.miniups.Placement;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
 * Keeps the {@code package_index} table in step with the shipments' journal, in {@link
 * Shipment#SLICES} slices run as a {@link ShardedDaemonProcess} (one instance per slice, spread
 * over the cluster and moved when a node leaves). Each instance reads its slice's tag from the
 * slice's stored offset and applies the events that arrive together in one transaction with the
 * new offset, so every event counts exactly once, also across crashes. A failure restarts the
 * stream with backoff from the stored offset. Each instance reports how far it lags behind the
 * journal ({@code ups_projection_lag_events} and {@code ups_projection_lag_seconds} by slice).
 */
public final class PackageIndexProjection {
  static final String NAME = "package-index";
  private static final int BATCH = 500;
  private static final Duration BATCH_WINDOW = Duration.ofMillis(50);
  private static final Duration LAG_CHECK = Duration.ofSeconds(2);

  private PackageIndexProjection() {}

  /** Runs the {@link Shipment#SLICES} instances on this node's share of the cluster. */
  public static void init(Placement placement, DataSource dataSource, MeterRegistry metrics) {
    placement.initWorkers(NAME, Shipment.SLICES, slice -> create(dataSource, slice, metrics));
  }

  /** The offset name of {@code slice}, e.g. "package-index-2". */
  static String offsetName(int slice) {
    return NAME + "-" + slice;
  }

  /** No one sends it anything: it only times its own lag checks (hence the narrowed Object). */
  static Behavior<Void> create(DataSource dataSource, int slice, MeterRegistry metrics) {
    return Behaviors.<Object>setup(
        context -> {
          Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
          JdbcReadJournal journal =
              PersistenceQuery.get(context.getSystem()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
          String tag = Shipment.sliceTag(slice);
          String offsetName = offsetName(slice);
          Lag lag = new Lag(dataSource, tag, slice, metrics);
          Source<Long, ?> events =
              RestartSource.withBackoff(
                  // A restart is a database away, which DatabaseMonitor reports once: not logged per attempt.
                  RestartSettings.create(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2)
                      .withLogSettings(RestartSettings.createLogSettings(Logging.DebugLevel())),
                  () ->
                      Source.completionStage(CompletableFuture.supplyAsync(() -> storedOffset(dataSource, offsetName), blocking))
                          .map(offset -> {
                            lag.projected(offset);
                            return offset;
                          })
                          .flatMapConcat(offset -> journal.eventsByTag(tag, Offset.sequence(offset)))
                          // Events that came together are applied in one transaction: one commit per batch.
                          .groupedWithin(BATCH, BATCH_WINDOW)
                          .mapAsync(1, batch -> CompletableFuture.supplyAsync(() -> apply(dataSource, offsetName, batch), blocking)));
          UniqueKillSwitch running =
              events.viaMat(KillSwitches.single(), Keep.right()).to(Sink.foreach(lag::projected)).run(context.getSystem());
          return Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(LagCheck.INSTANCE, LAG_CHECK);
            return Behaviors.receive(Object.class)
                .onMessageEquals(LagCheck.INSTANCE, () -> {
                  CompletableFuture.runAsync(lag::measure, blocking);
                  return Behaviors.same();
                })
                .onSignal(PostStop.class, signal -> {
                  running.shutdown();
                  lag.close();
                  return Behaviors.same();
                })
                .build();
          });
        }).narrow();
  }

  private enum LagCheck {
    INSTANCE
  }

  /**
   * How far a slice is behind the journal: tagged events after its offset, and the age of the
   * oldest of them (0 when it is up to date). Measured from the journal, so a stalled stream shows.
   */
  private static final class Lag {
    private final DataSource dataSource;
    private final String tag;
    private final MeterRegistry metrics;
    private final AtomicLong offset = new AtomicLong(-1);
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong oldestMillis = new AtomicLong();
    private final AtomicBoolean measuring = new AtomicBoolean();
    private final List<Meter> meters;

    Lag(DataSource dataSource, String tag, int slice, MeterRegistry metrics) {
      this.dataSource = dataSource;
      this.tag = tag;
      this.metrics = metrics;
      this.meters = List.of(
          Gauge.builder("ups.projection.lag.events", events, AtomicLong::get)
              .description("Package index: journal events of this slice not applied yet")
              .tag("slice", String.valueOf(slice)).register(metrics),
          Gauge.builder("ups.projection.lag.seconds", oldestMillis, ms -> ms.get() == 0 ? 0 : Math.max(0, System.currentTimeMillis() - ms.get()) / 1000.0)
              .description("Package index: age of the oldest journal event of this slice not applied yet")
              .tag("slice", String.valueOf(slice)).register(metrics));
    }

    /** The slice has applied everything up to {@code position}. */
    void projected(long position) {
      offset.set(position);
    }

    /**
     * Two index lookups, never a join: H2 planned the join as a scan of the whole journal (8-14 s
     * on 227 000 rows), and checks that overlapped held every read-side connection. A check still
     * running when the next is due is skipped.
     */
    void measure() {
      long from = offset.get();
      if (from < 0 || !measuring.compareAndSet(false, true)) return; // offset not read yet, or a check still runs
      try (Connection c = dataSource.getConnection();
          PreparedStatement behind = c.prepareStatement(
              "SELECT COUNT(*), MIN(\"event_id\") FROM \"event_tag\" WHERE \"event_id\" > ? AND \"tag\" = ?");
          PreparedStatement written = c.prepareStatement(
              "SELECT \"write_timestamp\" FROM \"event_journal\" WHERE \"ordering\" = ?")) {
        behind.setLong(1, from);
        behind.setString(2, tag);
        long count;
        long oldest;
        try (ResultSet rs = behind.executeQuery()) {
          rs.next();
          count = rs.getLong(1);
          oldest = rs.getLong(2);
        }
        long writtenAt = 0;
        if (count > 0) {
          written.setLong(1, oldest);
          try (ResultSet rs = written.executeQuery()) {
            if (rs.next()) writtenAt = rs.getLong(1);
          }
        }
        events.set(count);
        oldestMillis.set(writtenAt);
      } catch (SQLException e) {
        // the database is away: DatabaseMonitor says so; the figures stay as they were
      } finally {
        measuring.set(false);
      }
    }

    void close() {
      meters.forEach(metrics::remove);
    }
  }

  static long storedOffset(DataSource dataSource, String name) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement("SELECT position FROM projection_offset WHERE name = ?")) {
      st.setString(1, name);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the package index offset: " + e.getMessage(), e);
    }
  }

  /** Applies {@code batch} and stores its last offset under {@code offsetName}; returns that offset. */
  static long apply(DataSource dataSource, String offsetName, List<EventEnvelope> batch) {
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
        saveOffset(c, offsetName, position);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
      return position;
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

  private static void saveOffset(Connection c, String name, long position) throws SQLException {
    if (update(c, "UPDATE projection_offset SET position = ? WHERE name = ?", position, name) == 0) {
      update(c, "INSERT INTO projection_offset (name, position) VALUES (?, ?)", name, position);
    }
  }

  private static int update(Connection c, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      set(st, parameters);
      return st.executeUpdate();
    }
  }
}
