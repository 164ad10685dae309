package org.miniups.http;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.miniups.db.DatabaseMonitor;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.PackageDirectory;
import org.miniups.truck.Location;
import org.miniups.truck.Truck;

/** For operators: the fleet, health (links and database) and Prometheus metrics. */
final class OpsRoutes extends ApiDirectives {
  private static final ContentType.WithCharset PROMETHEUS_TEXT =
      MediaTypes.TEXT_PLAIN.toContentType(HttpCharsets.UTF_8);

  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(1);

  private final Metrics metrics;

  OpsRoutes(Backend backend, Metrics metrics) {
    super(backend);
    this.metrics = metrics;
  }

  Route apiRoutes() {
    return path("trucks", () -> get(() -> onSuccess(fleet(), trucks -> complete(Json.response(StatusCodes.OK, trucks)))));
  }

  Route rootRoutes() {
    return concat(
        path("health", () -> get(() -> onSuccess(health(), this::completeHealth))),
        path("metrics", () -> get(() -> onSuccess(metrics.scrape(), text ->
            complete(HttpResponse.create()
                .withEntity(HttpEntities.create(PROMETHEUS_TEXT, text)))))));
  }

  private CompletionStage<List<Map<String, Object>>> fleet() {
    List<CompletableFuture<Truck.Summary>> states = truckSummaries(backend);
    return CompletableFuture.allOf(states.toArray(CompletableFuture[]::new))
        .thenApply(done -> states.stream().map(CompletableFuture::join).map(OpsRoutes::truck).toList());
  }

  /** Every truck's summary, asked at once: for the fleet view and for the fleet's ledger on /metrics. */
  private static List<CompletableFuture<Truck.Summary>> truckSummaries(Backend backend) {
    List<CompletableFuture<Truck.Summary>> states = new ArrayList<>();
    for (int id : backend.truckIds()) {
      states.add(AskPattern.<Truck.Command, Truck.Summary>ask(
              backend.trucks().apply(id), Truck.GetSummary::new, backend.askTimeout(), backend.system().scheduler())
          .toCompletableFuture());
    }
    return states;
  }

  private static Map<String, Object> truck(Truck.Summary state) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("truckId", state.truckId());
    out.put("status", state.status());
    out.put("position", new PackageViews.Point(state.position().x(), state.position().y()));
    out.put("packagesAboard", state.aboard() + state.loaded());
    out.put("route", plannedRoute(state));
    out.put("unitsDriven", Math.round(state.unitsDriven()));
    return out;
  }

  /**
   * The truck's planned route, for anyone to see: the warehouse as it is, each drop only as the
   * middle of its 10 × 10 block (a recipient's door is not public).
   */
  private static List<PackageViews.Point> plannedRoute(Truck.Summary state) {
    List<PackageViews.Point> points = new ArrayList<>();
    List<Location> route = state.route();
    for (int i = 0; i < route.size(); i++) {
      Location at = route.get(i);
      boolean warehouse = i == 0 && state.warehouseId() != 0;
      points.add(warehouse ? new PackageViews.Point(at.x(), at.y()) : new PackageViews.Point(blockMiddle(at.x()), blockMiddle(at.y())));
    }
    return points;
  }

  private static int blockMiddle(int coordinate) {
    return Math.floorDiv(coordinate, 10) * 10 + 5;
  }

  /** @param singletonsNode where the outboxes (and beside them the links) run; null: not answering */
  record Health(
      boolean worldConnected,
      boolean amazonConnected,
      boolean databaseReachable,
      String databaseError,
      String singletonsNode) {}

  /**
   * Link state as the outboxes see it (up while a connection carries their items): no route
   * reaches a connection. A part that does not answer quickly (an outbox recovering while the
   * database is away) counts as down, so /health always answers.
   */
  private CompletionStage<Health> health() {
    CompletableFuture<ResendSupervisor.Status> worldOutbox = askQuickly(backend.worldOutbox(), ResendSupervisor.GetStatus::new);
    CompletableFuture<Boolean> world = worldOutbox.thenApply(s -> s != null && s.linkUp());
    CompletableFuture<Boolean> amazon =
        askQuickly(backend.amazonOutbox(), ResendSupervisor.GetStatus::new).thenApply(s -> s != null && s.linkUp());
    CompletableFuture<DatabaseMonitor.Status> database = askQuickly(backend.database(), DatabaseMonitor.GetStatus::new);
    return CompletableFuture.allOf(world, amazon, database)
        .thenApply(done -> {
          DatabaseMonitor.Status db = database.join();
          ResendSupervisor.Status outbox = worldOutbox.join();
          return new Health(
              world.join(), amazon.join(), db != null && db.reachable(), db == null ? "not answering" : db.error(),
              outbox == null ? null : outbox.node());
        });
  }

  /** The answer, or null when none comes within a second. */
  private <T, R> CompletableFuture<R> askQuickly(
      RecipientRef<T> target, Function<ActorRef<R>, T> message) {
    return AskPattern.ask(target, message::apply, HEALTH_TIMEOUT, backend.system().scheduler())
        .toCompletableFuture()
        .exceptionally(failure -> null);
  }

  private Route completeHealth(Health health) {
    boolean up = health.worldConnected() && health.amazonConnected() && health.databaseReachable();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", up ? "up" : "degraded");
    body.put("world", Map.of("connected", health.worldConnected()));
    body.put("amazon", Map.of("connected", health.amazonConnected()));
    Map<String, Object> database = new LinkedHashMap<>();
    database.put("reachable", health.databaseReachable());
    if (health.databaseError() != null) database.put("error", health.databaseError());
    body.put("database", database);
    ClusterMembership.of(backend.system()).ifPresent(cluster -> body.put("cluster", cluster.withSingletonsAt(health.singletonsNode())));
    return complete(Json.response(up ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body));
  }

  /** Gauges are refreshed from the actors on each scrape, then rendered by Micrometer. */
  static final class Metrics {
    private final Backend backend;
    private final PrometheusMeterRegistry registry;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    Metrics(Backend backend, PrometheusMeterRegistry registry) {
      this.backend = backend;
      this.registry = registry;
    }

    private void set(String name, String tagKey, String tagValue, long value) {
      set(name, Tags.of(tagKey, tagValue), value);
    }

    private void set(String name, Tags tags, long value) {
      values.computeIfAbsent(name + "|" + tags, k -> {
        AtomicLong holder = new AtomicLong();
        Gauge.builder(name, holder, AtomicLong::get).tags(tags).register(registry);
        return holder;
      }).set(value);
    }

    CompletionStage<String> scrape() {
      var scheduler = backend.system().scheduler();
      var timeout = backend.askTimeout();
      CompletableFuture<PackageDirectory.Counts> counts =
          AskPattern.<PackageDirectory.Command, PackageDirectory.Counts>ask(backend.directory(), PackageDirectory.CountByStatus::new, timeout, scheduler)
              .toCompletableFuture();
      Map<String, CompletableFuture<ResendSupervisor.Status>> outboxes = Map.of(
          "world", AskPattern.<ResendSupervisor.Command, ResendSupervisor.Status>ask(backend.worldOutbox(), ResendSupervisor.GetStatus::new, timeout, scheduler).toCompletableFuture(),
          "amazon", AskPattern.<ResendSupervisor.Command, ResendSupervisor.Status>ask(backend.amazonOutbox(), ResendSupervisor.GetStatus::new, timeout, scheduler).toCompletableFuture());
      List<CompletableFuture<Truck.Summary>> trucks = truckSummaries(backend);
      List<CompletableFuture<?>> all = new ArrayList<>(List.of(counts));
      all.addAll(outboxes.values());
      all.addAll(trucks);
      // A part that does not answer leaves its gauges as they were; the rest is still reported.
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .handle((done, failure) -> {
            // A database error is no answer either: counts of zero would be a lie.
            if (answered(counts) && counts.join().error() == null) {
              for (Shipment.Status status : Shipment.Status.values()) {
                set("miniups_packages", "status", status.text, counts.join().byStatus().getOrDefault(status.text, 0L));
              }
              // With miniups_units_driven, the cost per package is one division.
              set("miniups_packages_delivered", Tags.empty(), counts.join().byStatus().getOrDefault(Shipment.Status.DELIVERED.text, 0L));
            }
            // The fleet's ledger, from every truck's own (on the World's metric); only when all answered.
            if (trucks.stream().allMatch(Metrics::answered)) {
              set("miniups_units_driven", Tags.empty(), Math.round(trucks.stream().mapToDouble(t -> t.join().unitsDriven()).sum()));
            }
            outboxes.forEach((peer, status) -> {
              if (answered(status)) {
                set("miniups_link_up", "peer", peer, status.join().linkUp() ? 1 : 0);
                set("miniups_messages_sent", "peer", peer, status.join().sent());
                set("miniups_messages_resent", "peer", peer, status.join().resent());
                set("miniups_messages_unacked", "peer", peer, status.join().unacked());
              }
            });
            return registry.scrape();
          });
    }

    private static boolean answered(CompletableFuture<?> future) {
      return future.isDone() && !future.isCompletedExceptionally();
    }
  }
}
