package org.miniups.shipment;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.miniups.CborSerializable;

/**
 * Answers questions about many packages from the package index (never by visiting shipment
 * actors): which shipment a tracking number names, a user's packages, counts by status. The
 * queries are blocking JDBC, so they run on the blocking dispatcher.
 */
public final class PackageDirectory {
  private PackageDirectory() {}

  public sealed interface Command extends CborSerializable {}

  public record FindByTracking(String trackingNumber, ActorRef<Found> replyTo) implements Command {}

  /** {@code shipId} null when no package has that tracking number; {@code error} set when the index is down. */
  public record Found(Long shipId, String error) implements CborSerializable {}

  public record ListOwned(long ownerId, int page, int size, ActorRef<Page> replyTo) implements Command {}

  public record Summary(String trackingNumber, long shipId, String status, int destX, int destY, Instant updatedAt)
      implements CborSerializable {}

  public record Page(List<Summary> items, int page, int size, long total, String error) implements CborSerializable {}

  public record CountByStatus(ActorRef<Counts> replyTo) implements Command {}

  /** {@code error} set when the database cannot be reached (health reports it). */
  public record Counts(Map<String, Long> byStatus, String error) implements CborSerializable {}

  public static Behavior<Command> create(DataSource dataSource) {
    return Behaviors.setup(
        context -> {
          Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
          return Behaviors.receive(Command.class)
              .onMessage(FindByTracking.class, q -> answer(blocking, q.replyTo(), () -> find(dataSource, q), e -> new Found(null, e)))
              .onMessage(ListOwned.class, q -> answer(blocking, q.replyTo(), () -> list(dataSource, q), e -> new Page(List.of(), q.page(), q.size(), 0, e)))
              .onMessage(CountByStatus.class, q -> answer(blocking, q.replyTo(), () -> counts(dataSource), e -> new Counts(Map.of(), e)))
              .build();
        });
  }

  /** Runs the query off the actor; a database error becomes an answer, not a crash. */
  private static <T> Behavior<Command> answer(
      Executor blocking, ActorRef<T> replyTo, Supplier<T> query, java.util.function.Function<String, T> onError) {
    CompletableFuture.supplyAsync(query, blocking)
        .whenComplete((result, failure) -> replyTo.tell(failure == null ? result : onError.apply(rootMessage(failure))));
    return Behaviors.same();
  }

  private static Found find(DataSource ds, FindByTracking q) {
    return query(ds, "SELECT ship_id FROM tracking_number WHERE tracking_number = ?", List.of(q.trackingNumber()),
        rs -> new Found(rs.next() ? rs.getLong(1) : null, null));
  }

  private static Page list(DataSource ds, ListOwned q) {
    long total = query(ds, "SELECT COUNT(*) FROM package_index WHERE owner_id = ?", List.of(q.ownerId()),
        rs -> rs.next() ? rs.getLong(1) : 0L);
    List<Summary> items =
        query(ds,
            "SELECT tracking_number, ship_id, status, dest_x, dest_y, updated_at FROM package_index "
                + "WHERE owner_id = ? ORDER BY created_at DESC, ship_id DESC LIMIT ? OFFSET ?",
            List.of(q.ownerId(), q.size(), (long) q.page() * q.size()),
            rs -> {
              List<Summary> out = new ArrayList<>();
              while (rs.next()) {
                out.add(new Summary(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
                    rs.getTimestamp(6).toInstant()));
              }
              return out;
            });
    return new Page(items, q.page(), q.size(), total, null);
  }

  private static Counts counts(DataSource ds) {
    return query(ds, "SELECT status, COUNT(*) FROM package_index GROUP BY status", List.of(), rs -> {
      Map<String, Long> out = new LinkedHashMap<>();
      while (rs.next()) out.put(rs.getString(1), rs.getLong(2));
      return new Counts(out, null);
    });
  }

  @FunctionalInterface
  private interface Rows<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private static <T> T query(DataSource ds, String sql, List<Object> parameters, Rows<T> rows) {
    try (Connection c = ds.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.size(); i++) st.setObject(i + 1, parameters.get(i));
      try (ResultSet rs = st.executeQuery()) {
        return rows.read(rs);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
