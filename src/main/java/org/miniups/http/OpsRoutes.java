package org.miniups.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.miniups.link.LinkConnection;
import org.miniups.shipment.PackageDirectory;
import org.miniups.truck.Truck;

/** For operators: the fleet, health (links and database) and Prometheus metrics. */
final class OpsRoutes extends ApiDirectives {
  private static final ContentType.WithCharset PROMETHEUS_TEXT =
      MediaTypes.TEXT_PLAIN.toContentType(HttpCharsets.UTF_8);

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
            complete(org.apache.pekko.http.javadsl.model.HttpResponse.create()
                .withEntity(HttpEntities.create(PROMETHEUS_TEXT, text)))))));
  }

  private CompletionStage<List<Map<String, Object>>> fleet() {
    List<CompletableFuture<Truck.State>> states = new ArrayList<>();
    for (int id : backend.truckIds()) {
      states.add(this.<Truck.Command, Truck.State>ask(backend.trucks().apply(id), Truck.GetState::new).toCompletableFuture());
    }
    return CompletableFuture.allOf(states.toArray(CompletableFuture[]::new))
        .thenApply(done -> states.stream().map(CompletableFuture::join).map(OpsRoutes::truck).toList());
  }

  private static Map<String, Object> truck(Truck.State state) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("truckId", state.truckId());
    out.put("status", state.status());
    out.put("position", new PackageViews.Point(state.position().x(), state.position().y()));
    out.put("packagesAboard", state.aboard().size() + (int) state.cargo().stream().filter(Truck.Cargo::loaded).count());
    return out;
  }

  record Health(boolean worldConnected, boolean amazonConnected, boolean databaseReachable, String databaseError) {}

  private CompletionStage<Health> health() {
    CompletableFuture<LinkConnection.LinkState> world =
        this.<LinkConnection.Command, LinkConnection.LinkState>ask(backend.worldConnection(), LinkConnection.GetLinkState::new).toCompletableFuture();
    CompletableFuture<LinkConnection.LinkState> amazon =
        this.<LinkConnection.Command, LinkConnection.LinkState>ask(backend.amazonConnection(), LinkConnection.GetLinkState::new).toCompletableFuture();
    CompletableFuture<PackageDirectory.Counts> database =
        this.<PackageDirectory.Command, PackageDirectory.Counts>ask(backend.directory(), PackageDirectory.CountByStatus::new).toCompletableFuture();
    return CompletableFuture.allOf(world, amazon, database)
        .thenApply(done -> new Health(world.join().connected(), amazon.join().connected(), database.join().error() == null, database.join().error()));
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
    return complete(Json.response(up ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body));
  }

  /** Gauges are refreshed from the actors on each scrape, then rendered by Micrometer. */
  static final class Metrics {
    private final Backend backend;
    private final PrometheusMeterRegistry registry;
    private final Map<String, java.util.concurrent.atomic.AtomicLong> values = new java.util.concurrent.ConcurrentHashMap<>();

    Metrics(Backend backend, PrometheusMeterRegistry registry) {
      this.backend = backend;
      this.registry = registry;
    }

    private void set(String name, String tagKey, String tagValue, long value) {
      String key = name + "|" + tagKey + "|" + tagValue;
      values.computeIfAbsent(key, k -> {
        java.util.concurrent.atomic.AtomicLong holder = new java.util.concurrent.atomic.AtomicLong();
        io.micrometer.core.instrument.Gauge.builder(name, holder, java.util.concurrent.atomic.AtomicLong::get)
            .tag(tagKey, tagValue).register(registry);
        return holder;
      }).set(value);
    }

    CompletionStage<String> scrape() {
      var scheduler = backend.system().scheduler();
      var timeout = backend.askTimeout();
      CompletableFuture<PackageDirectory.Counts> counts = org.apache.pekko.actor.typed.javadsl.AskPattern
          .<PackageDirectory.Command, PackageDirectory.Counts>ask(backend.directory(), PackageDirectory.CountByStatus::new, timeout, scheduler).toCompletableFuture();
      Map<String, CompletableFuture<LinkConnection.LinkState>> links = Map.of(
          "world", org.apache.pekko.actor.typed.javadsl.AskPattern.<LinkConnection.Command, LinkConnection.LinkState>ask(backend.worldConnection(), LinkConnection.GetLinkState::new, timeout, scheduler).toCompletableFuture(),
          "amazon", org.apache.pekko.actor.typed.javadsl.AskPattern.<LinkConnection.Command, LinkConnection.LinkState>ask(backend.amazonConnection(), LinkConnection.GetLinkState::new, timeout, scheduler).toCompletableFuture());
      Map<String, CompletableFuture<org.miniups.link.ResendSupervisor.Status>> outboxes = Map.of(
          "world", org.apache.pekko.actor.typed.javadsl.AskPattern.<org.miniups.link.ResendSupervisor.Command, org.miniups.link.ResendSupervisor.Status>ask(backend.worldOutbox(), org.miniups.link.ResendSupervisor.GetStatus::new, timeout, scheduler).toCompletableFuture(),
          "amazon", org.apache.pekko.actor.typed.javadsl.AskPattern.<org.miniups.link.ResendSupervisor.Command, org.miniups.link.ResendSupervisor.Status>ask(backend.amazonOutbox(), org.miniups.link.ResendSupervisor.GetStatus::new, timeout, scheduler).toCompletableFuture());
      List<CompletableFuture<?>> all = new ArrayList<>(List.of(counts));
      all.addAll(links.values());
      all.addAll(outboxes.values());
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .handle((done, failure) -> {
            if (counts.isDone() && !counts.isCompletedExceptionally()) {
              for (org.miniups.shipment.Shipment.Status status : org.miniups.shipment.Shipment.Status.values()) {
                set("miniups_packages", "status", status.text, counts.join().byStatus().getOrDefault(status.text, 0L));
              }
            }
            links.forEach((peer, state) -> {
              if (state.isDone() && !state.isCompletedExceptionally()) set("miniups_link_up", "peer", peer, state.join().connected() ? 1 : 0);
            });
            outboxes.forEach((peer, status) -> {
              if (status.isDone() && !status.isCompletedExceptionally()) {
                set("miniups_messages_sent", "peer", peer, status.join().sent());
                set("miniups_messages_resent", "peer", peer, status.join().resent());
                set("miniups_messages_unacked", "peer", peer, status.join().unacked());
              }
            });
            return registry.scrape();
          });
    }
  }
}
