package org.miniups.http;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.awaitility.Awaitility;
import org.miniups.AppConfig;
import org.miniups.TestConfigs;
import org.miniups.node.UpsService;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.TrackingNumberRegister;
import org.miniups.TestCargo;
import org.miniups.truck.Truck;
import org.miniups.world.WorldEvent;

/**
 * A UPS node with its HTTP server on a free port and no peers: tests play Amazon by creating
 * shipments and play the World by sending its reports to the trucks, which then move their
 * shipments along exactly as in production.
 */
final class TrackingFixture implements AutoCloseable {
  static final Duration ASK = Duration.ofSeconds(10);
  static final Warehouse WAREHOUSE = new Warehouse(3, 10, 12);

  final UpsService ups;
  final int port;

  TrackingFixture() throws Exception {
    this(TestConfigs.Database.H2, Map.of());
  }

  /** On a fresh database of {@code database}, with {@code extra} settings on top (e.g. the session secret). */
  TrackingFixture(TestConfigs.Database database, Map<String, Object> extra) throws Exception {
    Map<String, Object> overrides = TestConfigs.node(database.freshUrl(), 1, 3);
    overrides.put("mini-ups.http.port", 0);
    overrides.put("mini-ups.http.interface", "127.0.0.1");
    overrides.put("mini-ups.accounts.bcrypt-cost", 4);
    overrides.put("mini-ups.accounts.login-max-failures", 3);
    overrides.putAll(extra);
    ups = UpsService.start(AppConfig.load(overrides));
    port = ups.startHttp().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** Amazon's pickup: a new shipment from {@link #WAREHOUSE} to (destX, destY); returns it. */
  Shipment.Summary createPackage(long shipId, Long owner, int destX, int destY) throws Exception {
    return createPackage(shipId, owner, destX, destY, List.of(new Shipment.Item(7, "teapot", 1)));
  }

  /** The same with the items Amazon describes (the strings people see on the package page). */
  Shipment.Summary createPackage(long shipId, Long owner, int destX, int destY, List<Shipment.Item> items) throws Exception {
    Shipment.Details details =
        new Shipment.Details(shipId, WAREHOUSE.id(), WAREHOUSE.x(), WAREHOUSE.y(), destX, destY, owner, items);
    Shipment.Summary created =
        ups.shipment(shipId)
            .<Shipment.CreateReply>ask(replyTo -> new Shipment.Create(details, owner, shipId, replyTo), ASK)
            .toCompletableFuture().get(20, TimeUnit.SECONDS).shipment();
    // As Amazon's pickup does before anyone hears the number.
    AskPattern.<TrackingNumberRegister.Command, StatusReply<Done>>ask(
            ups.trackingNumbers(), replyTo -> new TrackingNumberRegister.Register(created.trackingNumber(), shipId, replyTo),
            ASK, ups.system().scheduler())
        .toCompletableFuture().get(20, TimeUnit.SECONDS).getValue();
    return created;
  }

  Shipment.Summary shipment(long shipId) throws Exception {
    return ups.shipment(shipId).<Shipment.Summary>ask(Shipment.Get::new, ASK).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** The owner changes the destination elsewhere (another tab, the HTTP API). */
  void changeDestination(long shipId, long userId, int x, int y) throws Exception {
    Shipment.ChangeReply reply =
        ups.shipment(shipId).<Shipment.ChangeReply>ask(replyTo -> new Shipment.ChangeDestination(userId, x, y, replyTo), ASK)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (reply.refusal() != Shipment.Refusal.NONE) throw new AssertionError(reply.reason());
  }

  /** The dispatcher's decision: truck 1 collects the shipment. */
  void assignTruck(long shipId, int destX, int destY) throws Exception {
    Cargo cargo = TestCargo.of(shipId, WAREHOUSE, new Location(destX, destY));
    Truck.AssignmentReply reply =
        ups.truck(1).<Truck.AssignmentReply>ask(replyTo -> new Truck.AssignPickups(List.of(cargo), replyTo), ASK)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (reply.accepted().isEmpty()) throw new AssertionError(reply.refusal());
  }

  /** What the World would report: truck 1 reached the warehouse. */
  void truckArrives() throws Exception {
    world(new WorldEvent.Finished(1, WAREHOUSE.x(), WAREHOUSE.y(), "arrive warehouse"));
  }

  /** Amazon loaded the shipment: the truck leaves once its destination is frozen. */
  void loaded(long shipId) throws Exception {
    Truck.LoadReply reply =
        ups.truck(1).<Truck.LoadReply>ask(replyTo -> new Truck.ConfirmLoaded(shipId, replyTo), ASK)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (!reply.accepted()) throw new AssertionError(reply.reason());
    await(() -> shipment(shipId).status() == Shipment.Status.OUT_FOR_DELIVERY, "shipment " + shipId + " out for delivery");
  }

  void world(WorldEvent event) throws Exception {
    ups.truck(event.truckId()).<Done>ask(replyTo -> new Truck.ReportFromWorld(event, replyTo), ASK)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  void delivered(long shipId) throws Exception {
    world(new WorldEvent.PackageDelivered(1, shipId));
    await(() -> shipment(shipId).status() == Shipment.Status.DELIVERED, "shipment " + shipId + " delivered");
  }

  /** The last drop is done: the World says the truck is idle again. */
  void truckIdle() throws Exception {
    world(new WorldEvent.Finished(1, 0, 0, "idle"));
    await(() -> ups.truck(1).<Truck.Summary>ask(Truck.GetSummary::new, ASK).toCompletableFuture().get().phase() == Truck.Phase.IDLE,
        "truck 1 idle");
  }

  static void await(Callable<Boolean> check, String what) {
    Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(25))
        .until(check);
  }

  @Override
  public void close() {
    ups.close();
  }
}
