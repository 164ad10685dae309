package org.miniups.node;

import com.typesafe.config.Config;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.miniups.AppConfig;
import org.miniups.Placement;
import org.miniups.db.ReadSideDatabase;
import org.miniups.http.ServiceMetrics;
import org.miniups.persistence.JournalSchema;
import org.miniups.shipment.PackageIndexProjection;

/**
 * The guardian of a node's actor system: prepares the database (journal tables, then the read
 * side), then starts the {@link UpsComponents} and reports them through {@code started}. Nothing
 * blocks an actor thread meanwhile. A database that cannot be prepared fails {@code started} with
 * one clear message; whoever started the system then terminates it (once: a guardian that stopped
 * itself would run the coordinated shutdown a second time beside that).
 */
public final class UpsGuardian {
  private UpsGuardian() {}

  public sealed interface Command {}

  private record SchemaReady(Throwable failure, int attempt) implements Command {}

  /**
   * Nodes of a cluster that start together create the journal's tables together: PostgreSQL's
   * {@code CREATE TABLE IF NOT EXISTS} is not safe against a concurrent one and fails with a
   * duplicate key in its catalog. The tables exist then, so trying again succeeds.
   */
  private static final int SCHEMA_ATTEMPTS = 3;

  private record ReadSideReady(ReadSideDatabase readSide, Throwable failure) implements Command {}

  static final String DATABASE_HINT =
      " (is the database running? check DB_URL, e.g. jdbc:postgresql://host:5432/db or jdbc:h2:file:./data/ups,"
          + " DB_USER and DB_PASSWORD)";

  /**
   * @param placement where the components live, made from the guardian's context (the cluster in
   *     production, one local system in the testers' kit)
   * @param links the seam to the World and Amazon
   */
  public static Behavior<Command> create(
      Function<ActorContext<?>, Placement> placement,
      PeerLinks links,
      Clock clock,
      CompletableFuture<UpsComponents> started) {
    return Behaviors.setup(
        context -> {
          Placement placed = placement.apply(context);
          Config config = context.getSystem().settings().config();
          String url = config.getString(AppConfig.DB_URL);
          context.pipeToSelf(JournalSchema.createIfNotExists(context.getSystem()), (done, failure) -> new SchemaReady(failure, 1));
          return Behaviors.receive(Command.class)
              .onMessage(
                  SchemaReady.class,
                  ready -> {
                    if (ready.failure() != null && ready.attempt() < SCHEMA_ATTEMPTS && createdMeanwhile(ready.failure())) {
                      context.getLog().info("Another node created the journal's tables meanwhile; checking them again");
                      context.pipeToSelf(
                          JournalSchema.createIfNotExists(context.getSystem()),
                          (done, failure) -> new SchemaReady(failure, ready.attempt() + 1));
                      return Behaviors.same();
                    }
                    if (ready.failure() != null) {
                      return failed(started, "Could not prepare the database at " + url, ready.failure());
                    }
                    context.pipeToSelf(
                        CompletableFuture.supplyAsync(
                            () -> openReadSide(config),
                            context.getSystem().dispatchers().lookup(DispatcherSelector.blocking())),
                        ReadSideReady::new);
                    return Behaviors.same();
                  })
              .onMessage(
                  ReadSideReady.class,
                  ready -> {
                    if (ready.failure() != null) {
                      return failed(started, "Could not prepare the read-side tables at " + url, ready.failure());
                    }
                    try {
                      started.complete(startComponents(placed, links, ready.readSide(), clock));
                    } catch (RuntimeException e) {
                      ready.readSide().close();
                      started.completeExceptionally(new IllegalStateException("could not start: " + UpsService.rootMessage(e), e));
                    }
                    return Behaviors.ignore();
                  })
              .build();
        });
  }

  /**
   * Starts every part on {@code placement}, each after the parts it needs; the journal's tables and
   * the read side must exist. Runs inside the guardian (it spawns the node's own actors as its
   * children).
   */
  private static UpsComponents startComponents(Placement placement, PeerLinks peers, ReadSideDatabase database, Clock clock) {
    Config app = placement.system().settings().config().getConfig("mini-ups");
    Duration askTimeout = app.getDuration("ask-timeout");
    List<Integer> truckIds = IntStream.rangeClosed(1, app.getInt("fleet.trucks")).boxed().toList();
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ReadSide readSide = ReadSide.init(placement, database, clock);
    Outboxes outboxes = Outboxes.init(placement);
    Fleet fleet = Fleet.init(placement, truckIds, outboxes, askTimeout, metrics, clock);
    Links links = Links.init(placement, peers, outboxes, fleet, readSide, askTimeout);
    // The package index follows the journal's tags, which only the JDBC journal can be asked for.
    if (AppConfig.usesJdbcJournal(placement.system().settings().config())) {
      PackageIndexProjection.init(placement, database.dataSource(), metrics);
    }
    LiveUpdates liveUpdates = LiveUpdates.init(placement, fleet, askTimeout, metrics);
    io.micrometer.core.instrument.Metrics.addRegistry(metrics);
    ServiceMetrics jvmMetrics = ServiceMetrics.bindTo(metrics);
    UpsComponents components =
        new UpsComponents(placement, askTimeout, metrics, readSide, outboxes, fleet, links, liveUpdates);
    components.stopInOrder(jvmMetrics);
    return components;
  }

  private static boolean createdMeanwhile(Throwable failure) {
    String message = UpsService.rootMessage(failure);
    return message.contains("duplicate key") || message.contains("already exists");
  }

  private static ReadSideDatabase openReadSide(Config config) {
    return ReadSideDatabase.open(
        config.getString(AppConfig.DB_URL),
        config.getString("mini-ups.db.user"),
        config.getString("mini-ups.db.password"),
        config.getInt("mini-ups.read-side.pool-size"));
  }

  private static Behavior<Command> failed(CompletableFuture<UpsComponents> started, String what, Throwable failure) {
    started.completeExceptionally(
        new IllegalStateException(what + ": " + UpsService.rootMessage(failure) + DATABASE_HINT, failure));
    return Behaviors.ignore();
  }
}
