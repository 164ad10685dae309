package org.miniups.sim.world;

import com.google.protobuf.MessageLite;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AErr;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APackage;
import org.miniups.proto.WorldAmazon.APacked;
import org.miniups.proto.WorldAmazon.AProduct;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AQuery;
import org.miniups.proto.WorldAmazon.AResponses;
import org.miniups.proto.WorldUps.UCommands;
import org.miniups.proto.WorldUps.UDeliveryLocation;
import org.miniups.proto.WorldUps.UDeliveryMade;
import org.miniups.proto.WorldUps.UErr;
import org.miniups.proto.WorldUps.UFinished;
import org.miniups.proto.WorldUps.UGoDeliver;
import org.miniups.proto.WorldUps.UGoPickup;
import org.miniups.proto.WorldUps.UQuery;
import org.miniups.proto.WorldUps.UResponses;
import org.miniups.proto.WorldUps.UTruck;

/**
 * One simulated world: its trucks, warehouses, packages, both peer links and every timer. All of
 * a world's state lives in this actor, so nothing needs a lock.
 */
final class World extends AbstractBehavior<World.Command> {

  sealed interface Command {}

  /** A truck (UPS side) or warehouse (Amazon side) listed in a connect message. */
  record Site(int id, int x, int y) {}

  /** A peer connected and sent its connect message; answered to {@code connection}. */
  record Join(Side side, List<Site> sites, ActorRef<PeerConnection.Command> connection)
      implements Command {}

  record UpsCommands(UCommands commands, ActorRef<PeerConnection.Command> from)
      implements Command {}

  record AmazonCommands(ACommands commands, ActorRef<PeerConnection.Command> from)
      implements Command {}

  record PeerLeft(Side side, ActorRef<PeerConnection.Command> connection) implements Command {}

  record GetStats(ActorRef<StatusReply<SimWorldStats>> replyTo) implements Command {}

  // Timer messages; each also serves as its own timer key.
  private record LegEnded(int truckId) implements Command {}

  private record PackingDone(long packageId) implements Command {}

  private record LoadingDone(int truckId) implements Command {}

  private record PurchaseArrived(APurchaseMore purchase) implements Command {}

  private enum ResendTick implements Command {
    INSTANCE
  }

  /** Saves the state, then sends what the messages handled since the last save produced. */
  private enum SaveAndSend implements Command {
    INSTANCE
  }

  private enum ReportTick implements Command {
    INSTANCE
  }

  private enum ParcelStatus {
    PACKING("packing"),
    PACKED("packed"),
    LOADING("loading"),
    LOADED("loaded"),
    DELIVERING("delivering"),
    DELIVERED("delivered");

    final String wire;

    ParcelStatus(String wire) {
      this.wire = wire;
    }
  }

  /** A package (Amazon's shipment); named so to stay clear of java.lang.Package. */
  private static final class Parcel {
    final long id;
    final int warehouseId;
    ParcelStatus status = ParcelStatus.PACKING;
    Integer truckId;

    Parcel(long id, int warehouseId) {
      this.id = id;
      this.warehouseId = warehouseId;
    }
  }

  private static final class Warehouse {
    final int id;
    final int x;
    final int y;
    final Map<Long, Integer> stock = new HashMap<>();

    Warehouse(int id, int x, int y) {
      this.id = id;
      this.x = x;
      this.y = y;
    }
  }

  // Base durations at simspeed 100, as the course's world uses them.
  private static final long PURCHASE_MILLIS = 1000;
  private static final long PACKING_MILLIS = 1000;
  private static final long LOADING_MILLIS = 500;
  private static final int MIN_RESEND_TICK_MILLIS = 10;
  private static final Duration REPORT_INTERVAL = Duration.ofMillis(250);
  private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);

  private static final PeerLink.ResponseFormat<UResponses.Builder> UPS_RESPONSES =
      new PeerLink.ResponseFormat<>() {
        public UResponses.Builder newResponse() {
          return UResponses.newBuilder();
        }

        public void addAck(UResponses.Builder response, long seqnum) {
          response.addAcks(seqnum);
        }

        public void markFinished(UResponses.Builder response) {
          response.setFinished(true);
        }
      };

  private static final PeerLink.ResponseFormat<AResponses.Builder> AMAZON_RESPONSES =
      new PeerLink.ResponseFormat<>() {
        public AResponses.Builder newResponse() {
          return AResponses.newBuilder();
        }

        public void addAck(AResponses.Builder response, long seqnum) {
          response.addAcks(seqnum);
        }

        public void markFinished(AResponses.Builder response) {
          response.setFinished(true);
        }
      };

  private final long worldId;
  private final TimerScheduler<Command> timers;
  private final int flakinessPercent;
  private final Random random;
  private final PeerLink<UResponses.Builder> ups;
  private final PeerLink<AResponses.Builder> amazon;
  private final Map<Integer, Truck> trucks = new TreeMap<>();
  private final Map<Integer, Warehouse> warehouses = new TreeMap<>();
  private final Map<Long, Parcel> parcels = new LinkedHashMap<>();
  private final Map<String, Long> processed = new TreeMap<>();
  private final Map<Long, Integer> deliveries = new HashMap<>();
  private final Map<Long, SimWorldStats.Delivery> deliveredAt = new HashMap<>();
  /** Accepted purchases whose goods have not arrived yet (each has its timer). */
  private final List<APurchaseMore> purchasesOnTheWay = new ArrayList<>();
  private final Optional<Path> stateDir;
  private final ActorRef<WorldRegistry.Command> registry;
  private boolean saveAndSendDue;
  private SimWorldReport.WorldEntry lastReported;
  private int simSpeed;
  private long lastWorldSeqnum;
  private long duplicates;
  private long dropped;

  /** A new world; {@code registry} gets its report entries when the settings name a report. */
  static Behavior<Command> create(
      long worldId, SimWorldSettings settings, ActorRef<WorldRegistry.Command> registry) {
    return supervised(
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers -> new World(context, timers, worldId, settings, registry))));
  }

  /** A world as it was saved, its trucks' trips, packing, loading and purchases going on. */
  static Behavior<Command> restore(
      SavedWorld saved, SimWorldSettings settings, ActorRef<WorldRegistry.Command> registry) {
    return supervised(
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers -> {
                      World world = new World(context, timers, saved.worldId(), settings, registry);
                      world.resume(saved);
                      return world;
                    })));
  }

  // A bug in handling one message must not wipe the world: log it, skip it, keep the state.
  private static Behavior<Command> supervised(Behavior<Command> world) {
    return Behaviors.supervise(world).onFailure(SupervisorStrategy.resume());
  }

  private World(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      long worldId,
      SimWorldSettings settings,
      ActorRef<WorldRegistry.Command> registry) {
    super(context);
    this.worldId = worldId;
    this.stateDir = settings.stateDir();
    this.registry = registry;
    this.timers = timers;
    this.flakinessPercent = settings.flakinessPercent();
    // Mixed with the world id so that two worlds of one server do not drop in lockstep.
    this.random = new Random(settings.randomSeed() * 31 + worldId);
    this.simSpeed = settings.simSpeed();
    this.ups = new PeerLink<>(Side.UPS, UPS_RESPONSES, settings.resendInterval());
    this.amazon = new PeerLink<>(Side.AMAZON, AMAZON_RESPONSES, settings.resendInterval());
    // Ticks finer than the interval, so an item waits between 1 and 1.25 intervals.
    Duration tick =
        Duration.ofMillis(
            Math.max(MIN_RESEND_TICK_MILLIS, settings.resendInterval().toMillis() / 4));
    timers.startTimerWithFixedDelay(ResendTick.INSTANCE, tick);
    if (settings.reportFile().isPresent()) {
      timers.startTimerWithFixedDelay(ReportTick.INSTANCE, REPORT_INTERVAL);
    }
  }

  private void resume(SavedWorld saved) {
    simSpeed = saved.simSpeed();
    lastWorldSeqnum = saved.lastWorldSeqnum();
    duplicates = saved.duplicates();
    dropped = saved.dropped();
    processed.putAll(saved.processed());
    deliveries.putAll(saved.deliveries());
    deliveredAt.putAll(saved.deliveredAt());
    for (SavedWorld.SavedWarehouse w : saved.warehouses()) {
      Warehouse warehouse = new Warehouse(w.id(), w.x(), w.y());
      warehouse.stock.putAll(w.stock());
      warehouses.put(warehouse.id, warehouse);
    }
    for (SavedWorld.SavedParcel p : saved.parcels()) {
      Parcel parcel = new Parcel(p.id(), p.warehouseId());
      parcel.status = ParcelStatus.valueOf(p.status());
      parcel.truckId = p.truckId();
      parcels.put(parcel.id, parcel);
      if (parcel.status == ParcelStatus.PACKING) {
        timers.startSingleTimer(new PackingDone(parcel.id), scaled(PACKING_MILLIS));
      }
    }
    for (byte[] bytes : saved.purchasesOnTheWay()) {
      try {
        APurchaseMore purchase = APurchaseMore.parseFrom(bytes);
        purchasesOnTheWay.add(purchase);
        timers.startSingleTimer(new PurchaseArrived(purchase), scaled(PURCHASE_MILLIS));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a saved purchase of world " + worldId + " does not parse", e);
      }
    }
    for (Truck.Saved t : saved.trucks()) {
      Truck truck = Truck.restore(t);
      trucks.put(truck.id, truck);
      // A trip under way goes on from where the truck was saved.
      switch (truck.status) {
        case TRAVELING -> {
          Warehouse warehouse = warehouses.get(truck.warehouseId);
          startLeg(truck, warehouse.x, warehouse.y);
        }
        case DELIVERING -> driveToNextStop(truck);
        case LOADING -> timers.startSingleTimer(new LoadingDone(truck.id), scaled(LOADING_MILLIS));
        default -> {}
      }
    }
    ups.restore(saved.ups());
    amazon.restore(saved.amazon());
    getContext()
        .getLog()
        .info("world {} resumed: {} trucks, {} packages, {} + {} unacked items for UPS + Amazon",
            worldId, trucks.size(), parcels.size(), ups.unackedCount(), amazon.unackedCount());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(UpsCommands.class, this::onUpsCommands)
        .onMessage(AmazonCommands.class, this::onAmazonCommands)
        .onMessage(PeerLeft.class, this::onPeerLeft)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(LegEnded.class, this::onLegEnded)
        .onMessage(PackingDone.class, this::onPackingDone)
        .onMessage(LoadingDone.class, this::onLoadingDone)
        .onMessage(PurchaseArrived.class, this::onPurchaseArrived)
        .onMessageEquals(ResendTick.INSTANCE, this::onResendTick)
        .onMessageEquals(SaveAndSend.INSTANCE, this::onSaveAndSend)
        .onMessageEquals(ReportTick.INSTANCE, this::onReportTick)
        .build();
  }

  // ---- connections -------------------------------------------------------------------------

  private Behavior<Command> onJoin(Join join) {
    PeerLink<?> link = linkOf(join.side());
    if (link.isConnected()) {
      join.connection()
          .tell(
              new PeerConnection.JoinRefused(
                  worldId,
                  "error: world " + worldId + " already has a connected " + join.side()
                      + " (only one at a time)"));
      return this;
    }
    int created = 0;
    for (Site site : join.sites()) {
      if (join.side() == Side.UPS && !trucks.containsKey(site.id())) {
        trucks.put(site.id(), new Truck(site.id(), site.x(), site.y()));
        created++;
      } else if (join.side() == Side.AMAZON && !warehouses.containsKey(site.id())) {
        warehouses.put(site.id(), new Warehouse(site.id(), site.x(), site.y()));
        created++;
      }
    }
    link.connect(join.connection());
    // The peer may act on "connected" (a new world's id, its trucks): saved before it hears it.
    if (stateDir.isPresent()) save();
    // Covers a connection that dies before it could say so (e.g. while this join was queued).
    getContext().watchWith(join.connection(), new PeerLeft(join.side(), join.connection()));
    join.connection().tell(new PeerConnection.JoinAccepted(worldId, getContext().getSelf()));
    getContext()
        .getLog()
        .info(
            "world {}: {} connected ({} new {}, {} unacked items re-sent)",
            worldId,
            join.side(),
            created,
            join.side() == Side.UPS ? "trucks" : "warehouses",
            link.unackedCount());
    flush();
    return this;
  }

  private Behavior<Command> onPeerLeft(PeerLeft left) {
    PeerLink<?> link = linkOf(left.side());
    if (link.isCurrent(left.connection())) {
      link.disconnect();
      getContext().getLog().info("world {}: {} disconnected", worldId, left.side());
    }
    return this;
  }

  private PeerLink<?> linkOf(Side side) {
    return side == Side.UPS ? ups : amazon;
  }

  // ---- UPS requests ------------------------------------------------------------------------

  private Behavior<Command> onUpsCommands(UpsCommands message) {
    UCommands commands = message.commands();
    if (!ups.isCurrent(message.from())) {
      getContext().getLog().debug("world {}: ignoring commands of a closed UPS connection", worldId);
      return this;
    }
    logReceived(Side.UPS, commands);
    ups.acked(commands.getAcksList());
    if (commands.hasSimspeed()) changeSimSpeed(commands.getSimspeed());
    for (UGoPickup pickup : commands.getPickupsList()) {
      handleRequest(ups, "UGoPickup", pickup.getSeqnum(), () -> pickup(pickup));
    }
    for (UGoDeliver delivery : commands.getDeliveriesList()) {
      handleRequest(ups, "UGoDeliver", delivery.getSeqnum(), () -> deliver(delivery));
    }
    for (UQuery query : commands.getQueriesList()) {
      handleRequest(ups, "UQuery", query.getSeqnum(), () -> queryTruck(query));
    }
    if (commands.getDisconnect()) ups.finish();
    flush();
    return this;
  }

  private void pickup(UGoPickup pickup) {
    Truck truck = trucks.get(pickup.getTruckid());
    Warehouse warehouse = warehouses.get(pickup.getWhid());
    if (truck == null) {
      upsError(pickup.getSeqnum(), "unknown truck " + pickup.getTruckid());
    } else if (warehouse == null) {
      upsError(pickup.getSeqnum(), "unknown warehouse " + pickup.getWhid());
    } else if (truck.status == Truck.Status.TRAVELING || truck.status == Truck.Status.LOADING) {
      upsError(pickup.getSeqnum(), "truck " + truck.id + " is busy (" + truck.status.wire + ")");
    } else {
      if (truck.status == Truck.Status.DELIVERING) {
        // It quits the delivery; the rest of the route stays aboard for its next UGoDeliver.
        for (Truck.Stop stop : truck.route) parcels.get(stop.packageId()).status = ParcelStatus.LOADED;
      }
      truck.status = Truck.Status.TRAVELING;
      truck.warehouseId = warehouse.id;
      startLeg(truck, warehouse.x, warehouse.y);
    }
  }

  private void deliver(UGoDeliver delivery) {
    Truck truck = trucks.get(delivery.getTruckid());
    if (truck == null) {
      upsError(delivery.getSeqnum(), "unknown truck " + delivery.getTruckid());
      return;
    }
    if (truck.status == Truck.Status.TRAVELING || truck.status == Truck.Status.LOADING) {
      upsError(delivery.getSeqnum(), "truck " + truck.id + " is busy (" + truck.status.wire + ")");
      return;
    }
    List<Long> notAboard = new ArrayList<>();
    for (UDeliveryLocation location : delivery.getPackagesList()) {
      if (!truck.aboard.contains(location.getPackageid())) notAboard.add(location.getPackageid());
    }
    if (!notAboard.isEmpty()) {
      upsError(
          delivery.getSeqnum(),
          "packages " + notAboard + " are not on truck " + truck.id + "; delivery rejected");
      return;
    }
    for (UDeliveryLocation location : delivery.getPackagesList()) {
      Truck.Stop stop =
          new Truck.Stop(location.getPackageid(), location.getX(), location.getY());
      int onRoute = indexOnRoute(truck, location.getPackageid());
      if (onRoute >= 0) {
        truck.route.set(onRoute, stop); // new destination, same place in the order
      } else {
        truck.route.add(stop);
      }
    }
    for (Truck.Stop stop : truck.route) parcels.get(stop.packageId()).status = ParcelStatus.DELIVERING;
    truck.status = Truck.Status.DELIVERING;
    truck.warehouseId = null;
    driveToNextStop(truck);
  }

  private static int indexOnRoute(Truck truck, long packageId) {
    for (int i = 0; i < truck.route.size(); i++) {
      if (truck.route.get(i).packageId() == packageId) return i;
    }
    return -1;
  }

  private void queryTruck(UQuery query) {
    Truck truck = trucks.get(query.getTruckid());
    if (truck == null) {
      upsError(query.getSeqnum(), "unknown truck " + query.getTruckid());
      return;
    }
    long now = System.nanoTime();
    long seqnum = nextWorldSeqnum();
    UTruck status =
        UTruck.newBuilder()
            .setTruckid(truck.id)
            .setStatus(truck.status.wire)
            .setX(truck.x(now))
            .setY(truck.y(now))
            .setSeqnum(seqnum)
            .build();
    ups.send(seqnum, response -> response.addTruckstatus(status));
  }

  // ---- truck movement ------------------------------------------------------------------------

  private void startLeg(Truck truck, int x, int y) {
    Duration duration = truck.headTo(x, y, System.nanoTime(), simSpeed);
    timers.startSingleTimer(new LegEnded(truck.id), duration);
  }

  /** Heads for the first remaining stop, or ends the delivery when there is none. */
  private void driveToNextStop(Truck truck) {
    if (truck.route.isEmpty()) {
      truck.status = Truck.Status.IDLE;
      upsFinished(truck);
    } else {
      Truck.Stop next = truck.route.get(0);
      startLeg(truck, next.x(), next.y());
    }
  }

  private Behavior<Command> onLegEnded(LegEnded legEnded) {
    Truck truck = trucks.get(legEnded.truckId());
    truck.arrive();
    if (truck.status == Truck.Status.TRAVELING) {
      truck.status = Truck.Status.ARRIVE_WAREHOUSE;
      upsFinished(truck);
    } else {
      Truck.Stop stop = truck.route.remove(0);
      Parcel parcel = parcels.get(stop.packageId());
      parcel.status = ParcelStatus.DELIVERED;
      truck.aboard.remove(parcel.id);
      deliveries.merge(parcel.id, 1, Integer::sum);
      deliveredAt.put(parcel.id, new SimWorldStats.Delivery(truck.id, stop.x(), stop.y()));
      long seqnum = nextWorldSeqnum();
      UDeliveryMade made =
          UDeliveryMade.newBuilder()
              .setTruckid(truck.id)
              .setPackageid(parcel.id)
              .setSeqnum(seqnum)
              .build();
      ups.send(seqnum, response -> response.addDelivered(made));
      driveToNextStop(truck);
    }
    flush();
    return this;
  }

  private void upsFinished(Truck truck) {
    long now = System.nanoTime();
    long seqnum = nextWorldSeqnum();
    UFinished finished =
        UFinished.newBuilder()
            .setTruckid(truck.id)
            .setX(truck.x(now))
            .setY(truck.y(now))
            .setStatus(truck.status.wire)
            .setSeqnum(seqnum)
            .build();
    ups.send(seqnum, response -> response.addCompletions(finished));
  }

  private void upsError(long originSeqnum, String text) {
    long seqnum = nextWorldSeqnum();
    UErr error =
        UErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum).build();
    ups.send(seqnum, response -> response.addError(error));
  }

  // ---- Amazon requests -----------------------------------------------------------------------

  private Behavior<Command> onAmazonCommands(AmazonCommands message) {
    ACommands commands = message.commands();
    if (!amazon.isCurrent(message.from())) {
      getContext()
          .getLog()
          .debug("world {}: ignoring commands of a closed Amazon connection", worldId);
      return this;
    }
    logReceived(Side.AMAZON, commands);
    amazon.acked(commands.getAcksList());
    if (commands.hasSimspeed()) changeSimSpeed(commands.getSimspeed());
    for (APurchaseMore purchase : commands.getBuyList()) {
      handleRequest(amazon, "APurchaseMore", purchase.getSeqnum(), () -> purchase(purchase));
    }
    for (APack pack : commands.getTopackList()) {
      handleRequest(amazon, "APack", pack.getSeqnum(), () -> pack(pack));
    }
    for (APutOnTruck load : commands.getLoadList()) {
      handleRequest(amazon, "APutOnTruck", load.getSeqnum(), () -> load(load));
    }
    for (AQuery query : commands.getQueriesList()) {
      handleRequest(amazon, "AQuery", query.getSeqnum(), () -> queryPackage(query));
    }
    if (commands.getDisconnect()) amazon.finish();
    flush();
    return this;
  }

  private void purchase(APurchaseMore purchase) {
    if (!warehouses.containsKey(purchase.getWhnum())) {
      amazonError(purchase.getSeqnum(), "unknown warehouse " + purchase.getWhnum());
      return;
    }
    String badCount = firstNonPositiveCount(purchase.getThingsList());
    if (badCount != null) {
      amazonError(purchase.getSeqnum(), badCount);
      return;
    }
    purchasesOnTheWay.add(purchase);
    timers.startSingleTimer(new PurchaseArrived(purchase), scaled(PURCHASE_MILLIS));
  }

  private Behavior<Command> onPurchaseArrived(PurchaseArrived arrived) {
    APurchaseMore purchase = arrived.purchase();
    purchasesOnTheWay.remove(purchase);
    Warehouse warehouse = warehouses.get(purchase.getWhnum());
    for (AProduct product : purchase.getThingsList()) {
      warehouse.stock.merge(product.getId(), product.getCount(), Integer::sum);
    }
    long seqnum = nextWorldSeqnum();
    APurchaseMore back = purchase.toBuilder().setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addArrived(back));
    flush();
    return this;
  }

  private void pack(APack pack) {
    Warehouse warehouse = warehouses.get(pack.getWhnum());
    if (warehouse == null) {
      amazonError(pack.getSeqnum(), "unknown warehouse " + pack.getWhnum());
      return;
    }
    if (parcels.containsKey(pack.getShipid())) {
      amazonError(pack.getSeqnum(), "package " + pack.getShipid() + " already exists");
      return;
    }
    String badCount = firstNonPositiveCount(pack.getThingsList());
    if (badCount != null) {
      amazonError(pack.getSeqnum(), badCount);
      return;
    }
    Map<Long, Integer> needed = new LinkedHashMap<>();
    for (AProduct product : pack.getThingsList()) {
      needed.merge(product.getId(), product.getCount(), Integer::sum);
    }
    for (Map.Entry<Long, Integer> need : needed.entrySet()) {
      int inStock = warehouse.stock.getOrDefault(need.getKey(), 0);
      if (inStock < need.getValue()) {
        amazonError(
            pack.getSeqnum(),
            "warehouse " + warehouse.id + " has " + inStock + " of product " + need.getKey()
                + ", package " + pack.getShipid() + " needs " + need.getValue());
        return;
      }
    }
    needed.forEach((product, count) -> warehouse.stock.merge(product, -count, Integer::sum));
    parcels.put(pack.getShipid(), new Parcel(pack.getShipid(), warehouse.id));
    timers.startSingleTimer(new PackingDone(pack.getShipid()), scaled(PACKING_MILLIS));
  }

  private Behavior<Command> onPackingDone(PackingDone done) {
    parcels.get(done.packageId()).status = ParcelStatus.PACKED;
    long seqnum = nextWorldSeqnum();
    APacked packed = APacked.newBuilder().setShipid(done.packageId()).setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addReady(packed));
    flush();
    return this;
  }

  private void load(APutOnTruck load) {
    Warehouse warehouse = warehouses.get(load.getWhnum());
    Truck truck = trucks.get(load.getTruckid());
    Parcel parcel = parcels.get(load.getShipid());
    String refusal;
    if (warehouse == null) {
      refusal = "unknown warehouse " + load.getWhnum();
    } else if (truck == null) {
      refusal = "unknown truck " + load.getTruckid();
    } else if (parcel == null) {
      refusal = "unknown package " + load.getShipid();
    } else if (parcel.warehouseId != warehouse.id) {
      refusal = "package " + parcel.id + " is at warehouse " + parcel.warehouseId
          + ", not " + warehouse.id;
    } else if (parcel.status != ParcelStatus.PACKED) {
      refusal = "package " + parcel.id + " cannot be loaded while " + parcel.status.wire;
    } else if (!isAt(truck, warehouse)) {
      refusal = "truck " + truck.id + " is not at warehouse " + warehouse.id + " ("
          + truck.status.wire + ")";
    } else {
      refusal = null;
    }
    if (refusal != null) {
      amazonError(load.getSeqnum(), refusal);
      return;
    }
    parcel.status = ParcelStatus.LOADING;
    parcel.truckId = truck.id;
    truck.loadQueue.add(parcel.id);
    if (truck.status != Truck.Status.LOADING) startLoading(truck);
  }

  private static boolean isAt(Truck truck, Warehouse warehouse) {
    return (truck.status == Truck.Status.ARRIVE_WAREHOUSE
            || truck.status == Truck.Status.LOADING)
        && Integer.valueOf(warehouse.id).equals(truck.warehouseId);
  }

  /** Loads the head of the truck's load queue; one package at a time. */
  private void startLoading(Truck truck) {
    truck.status = Truck.Status.LOADING;
    timers.startSingleTimer(new LoadingDone(truck.id), scaled(LOADING_MILLIS));
  }

  private Behavior<Command> onLoadingDone(LoadingDone done) {
    Truck truck = trucks.get(done.truckId());
    Parcel parcel = parcels.get(truck.loadQueue.remove());
    parcel.status = ParcelStatus.LOADED;
    truck.aboard.add(parcel.id);
    long seqnum = nextWorldSeqnum();
    ALoaded loaded = ALoaded.newBuilder().setShipid(parcel.id).setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addLoaded(loaded));
    if (truck.loadQueue.isEmpty()) {
      truck.status = Truck.Status.ARRIVE_WAREHOUSE;
    } else {
      startLoading(truck);
    }
    flush();
    return this;
  }

  private void queryPackage(AQuery query) {
    Parcel parcel = parcels.get(query.getPackageid());
    if (parcel == null) {
      amazonError(query.getSeqnum(), "unknown package " + query.getPackageid());
      return;
    }
    long seqnum = nextWorldSeqnum();
    APackage status =
        APackage.newBuilder()
            .setPackageid(parcel.id)
            .setStatus(parcel.status.wire)
            .setSeqnum(seqnum)
            .build();
    amazon.send(seqnum, response -> response.addPackagestatus(status));
  }

  private void amazonError(long originSeqnum, String text) {
    long seqnum = nextWorldSeqnum();
    AErr error =
        AErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addError(error));
  }

  private static String firstNonPositiveCount(List<AProduct> products) {
    for (AProduct product : products) {
      if (product.getCount() <= 0) {
        return "product " + product.getId() + " has count " + product.getCount()
            + " (must be positive)";
      }
    }
    return null;
  }

  // ---- shared machinery --------------------------------------------------------------------

  /**
   * Flakiness first (a dropped request is neither acked nor remembered, so its re-send gets a
   * fresh chance), then the ack, then at most one execution per seqnum.
   */
  private void handleRequest(PeerLink<?> link, String type, long seqnum, Runnable action) {
    if (flakinessPercent > 0 && random.nextInt(100) < flakinessPercent) {
      dropped++;
      getContext()
          .getLog()
          .debug("world {}: flakiness dropped {} seqnum {} from {}", worldId, type, seqnum,
              link.side());
      return;
    }
    if (!link.acceptRequest(seqnum)) {
      duplicates++;
      return;
    }
    processed.merge(type, 1L, Long::sum);
    action.run();
  }

  private void changeSimSpeed(int unsignedSpeed) {
    long speed = Integer.toUnsignedLong(unsignedSpeed);
    if (speed == 0) {
      getContext().getLog().warn("world {}: ignoring simspeed 0 (time would stand still)", worldId);
      return;
    }
    simSpeed = (int) Math.min(speed, Integer.MAX_VALUE);
  }

  /** A base duration at simspeed 100, scaled to the current speed. */
  private Duration scaled(long baseMillis) {
    return Duration.ofNanos(baseMillis * 1_000_000L * 100 / simSpeed);
  }

  private long nextWorldSeqnum() {
    return ++lastWorldSeqnum;
  }

  private Behavior<Command> onResendTick() {
    long now = System.nanoTime();
    ups.resendOverdue(now);
    amazon.resendOverdue(now);
    // Only saved items are overdue; but a due save comes first, and its send takes them along.
    if (!saveAndSendDue) sendResponses();
    return this;
  }

  /**
   * Sends what the messages handled so far produced, one response per peer. With a state dir it
   * saves first, so that no peer hears of what a kill could make the world forget; one save
   * serves every message already queued (under load, many).
   */
  private void flush() {
    if (stateDir.isEmpty()) {
      sendResponses();
    } else if (!saveAndSendDue) {
      saveAndSendDue = true;
      getContext().getSelf().tell(SaveAndSend.INSTANCE);
    }
  }

  private Behavior<Command> onSaveAndSend() {
    saveAndSendDue = false;
    save();
    sendResponses();
    return this;
  }

  private void save() {
    long now = System.nanoTime();
    List<SavedWorld.SavedWarehouse> savedWarehouses = new ArrayList<>();
    for (Warehouse w : warehouses.values()) {
      savedWarehouses.add(new SavedWorld.SavedWarehouse(w.id, w.x, w.y, w.stock));
    }
    List<SavedWorld.SavedParcel> savedParcels = new ArrayList<>();
    for (Parcel p : parcels.values()) {
      savedParcels.add(new SavedWorld.SavedParcel(p.id, p.warehouseId, p.status.name(), p.truckId));
    }
    new SavedWorld(
            worldId,
            simSpeed,
            lastWorldSeqnum,
            duplicates,
            dropped,
            processed,
            deliveries,
            deliveredAt,
            trucks.values().stream().map(truck -> truck.saved(now)).toList(),
            savedWarehouses,
            savedParcels,
            purchasesOnTheWay.stream().map(APurchaseMore::toByteArray).toList(),
            ups.saved(),
            amazon.saved())
        .write(stateDir.orElseThrow());
  }

  private void sendResponses() {
    long now = System.nanoTime();
    logSent(Side.UPS, ups.flush(now));
    logSent(Side.AMAZON, amazon.flush(now));
  }

  private void logReceived(Side side, MessageOrBuilder message) {
    if (getContext().getLog().isDebugEnabled()) {
      getContext()
          .getLog()
          .debug("world {} <- {}: {}", worldId, side, ONE_LINE.printToString(message));
    }
  }

  private void logSent(Side side, MessageLite message) {
    if (message != null && getContext().getLog().isDebugEnabled()) {
      getContext()
          .getLog()
          .debug(
              "world {} -> {}: {}",
              worldId,
              side,
              ONE_LINE.printToString((MessageOrBuilder) message));
    }
  }

  // ---- stats -------------------------------------------------------------------------------

  private Behavior<Command> onGetStats(GetStats request) {
    request.replyTo().tell(StatusReply.success(stats()));
    return this;
  }

  /** Hands the registry (the report's only writer) this world's entry when it changed. */
  private Behavior<Command> onReportTick() {
    SimWorldReport.WorldEntry entry = SimWorldReport.WorldEntry.of(stats());
    if (!entry.equals(lastReported)) {
      registry.tell(new WorldRegistry.WorldReported(entry));
      lastReported = entry;
    }
    return this;
  }

  private SimWorldStats stats() {
    long now = System.nanoTime();
    List<SimWorldStats.TruckState> truckStates = new ArrayList<>();
    for (Truck truck : trucks.values()) {
      truckStates.add(
          new SimWorldStats.TruckState(
              truck.id,
              truck.status.wire,
              truck.x(now),
              truck.y(now),
              List.copyOf(truck.aboard),
              truck.route.stream().map(Truck.Stop::packageId).toList()));
    }
    List<SimWorldStats.PackageState> packageStates = new ArrayList<>();
    for (Parcel parcel : parcels.values()) {
      packageStates.add(
          new SimWorldStats.PackageState(
              parcel.id,
              parcel.status.wire,
              parcel.warehouseId,
              parcel.truckId == null ? OptionalInt.empty() : OptionalInt.of(parcel.truckId)));
    }
    List<SimWorldStats.WarehouseState> warehouseStates = new ArrayList<>();
    for (Warehouse warehouse : warehouses.values()) {
      warehouseStates.add(
          new SimWorldStats.WarehouseState(
              warehouse.id, warehouse.x, warehouse.y, Map.copyOf(warehouse.stock)));
    }
    return new SimWorldStats(
        worldId,
        simSpeed,
        ups.isConnected(),
        amazon.isConnected(),
        processed,
        duplicates,
        dropped,
        ups.unackedCount(),
        amazon.unackedCount(),
        deliveries,
        deliveredAt,
        truckStates,
        packageStates,
        warehouseStates);
  }
}
