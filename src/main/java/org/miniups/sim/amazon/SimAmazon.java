package org.miniups.sim.amazon;

import com.google.protobuf.Message;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.javadsl.Tcp;
import org.miniups.proto.UpsAmazon.AUCommands;
import org.miniups.proto.UpsAmazon.AUErr;
import org.miniups.proto.UpsAmazon.AUItem;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.AUQuery;
import org.miniups.proto.UpsAmazon.AUWarehouse;
import org.miniups.proto.UpsAmazon.AUWorld;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.proto.UpsAmazon.UAConnected;
import org.miniups.proto.UpsAmazon.UADelivered;
import org.miniups.proto.UpsAmazon.UAErr;
import org.miniups.proto.UpsAmazon.UAOutForDelivery;
import org.miniups.proto.UpsAmazon.UAPickupAccepted;
import org.miniups.proto.UpsAmazon.UAStatus;
import org.miniups.proto.UpsAmazon.UATruckArrived;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AErr;
import org.miniups.proto.WorldAmazon.AInitWarehouse;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APackage;
import org.miniups.proto.WorldAmazon.APacked;
import org.miniups.proto.WorldAmazon.AProduct;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AResponses;

/**
 * The simulated Amazon's state and decisions: warehouses and their stock, shipments, both
 * reliable links (world and UPS) and the emission of pickups. The connection actors only frame
 * and parse; everything else happens here, one message at a time, so nothing needs a lock. Every
 * UPS item, and every request Amazon makes of UPS, is also shown to the {@link ProtocolReferee}.
 * With a state dir it saves all of that before a peer hears of it, and resumes from it.
 */
final class SimAmazon extends AbstractBehavior<SimAmazon.Command> {

  sealed interface Command {}

  /** A UPS connection was accepted on the UPS port. */
  record Accept(Tcp.IncomingConnection connection) implements Command {}

  /** Answered with the world id once the world has been created. */
  record AwaitWorld(ActorRef<Long> replyTo) implements Command {}

  record GetStats(ActorRef<SimAmazonStats> replyTo) implements Command {}

  /** From now on, {@code watcher} hears each shipment's first UAPickupAccepted as Amazon reads it. */
  record WatchPickupsAccepted(BiConsumer<Long, String> watcher) implements Command {}

  record WorldJoined(long worldId) implements Command {}

  record WorldResponses(AResponses responses) implements Command {}

  enum WorldLost implements Command {
    INSTANCE
  }

  record FromUps(ActorRef<UpsConnection.Command> connection, UACommands commands)
      implements Command {}

  private record UpsLeft(ActorRef<UpsConnection.Command> connection) implements Command {}

  private enum ResendTick implements Command {
    INSTANCE
  }

  private enum EmitTick implements Command {
    INSTANCE
  }

  /** Saves the state, then sends what the messages handled since the last save produced. */
  private enum SaveAndSend implements Command {
    INSTANCE
  }

  private enum ReportTick implements Command {
    INSTANCE
  }

  /** A clean exit: write the report once more, then no more. */
  record FinalReport(ActorRef<Done> replyTo) implements Command {}

  /** What one send goes out with, to each peer. */
  private record Outgoing(List<ACommands> toWorld, List<AUCommands> toUps) {
    boolean isEmpty() {
      return toWorld.isEmpty() && toUps.isEmpty();
    }
  }

  private record Product(long id, String description) {}

  /** One order on its way from a warehouse to its buyer. */
  private static final class Shipment {
    final long id;
    final Warehouse warehouse;
    final List<AUItem> items;
    final long pickupSeqnum;
    boolean packed;
    boolean queried;
    /** The truck UPS last said is waiting for it. */
    Integer truckId;
    /** The truck our last APutOnTruck named. */
    Integer loadingOnto;
    boolean loaded;

    Shipment(long id, Warehouse warehouse, List<AUItem> items, long pickupSeqnum) {
      this.id = id;
      this.warehouse = warehouse;
      this.items = items;
      this.pickupSeqnum = pickupSeqnum;
    }
  }

  private static final String ACCEPTED = "connected!";
  private static final List<Product> CATALOGUE =
      List.of(
          new Product(1, "book"),
          new Product(2, "headphones"),
          new Product(3, "coffee beans"),
          new Product(4, "desk lamp"),
          new Product(5, "phone charger"),
          new Product(6, "board game"));
  private static final List<Long> PRODUCT_IDS = CATALOGUE.stream().map(Product::id).toList();
  private static final int MAX_ITEMS = 3;
  private static final int MAX_COUNT = 3;
  private static final Duration MIN_TICK = Duration.ofMillis(10);
  private static final Duration MAX_EMIT_TICK = Duration.ofSeconds(1);
  private static final Duration REPORT_INTERVAL = Duration.ofMillis(250);

  private final SimAmazonSettings settings;
  private final TimerScheduler<Command> timers;
  private final Random random;
  private final List<Warehouse> warehouses = new ArrayList<>();
  private final ActorRef<WorldLink.Command> worldLink;
  private final ReliableLink<ACommands.Builder> world;
  private final ReliableLink<AUCommands.Builder> ups;
  private final ProtocolReferee referee;
  /** The UPS user ids pickups may name: existing accounts and ids of no account. */
  private final List<Long> namedUserIds;
  private final List<ActorRef<Long>> worldWaiters = new ArrayList<>();
  private final Map<Long, Shipment> shipments = new HashMap<>();
  /** Emitted shipments whose warehouse lacks the goods for now; packed as stock arrives. */
  private final List<Shipment> waitingForStock = new ArrayList<>();

  private long worldId;
  private boolean worldJoined;
  private boolean simSpeedDue;
  private ActorRef<UpsConnection.Command> upsConnection;
  private boolean upsReady;
  private long emissionStartNanos = -1;
  private long lastSeqnum;
  private long lastUpsConnectionNumber;
  private int shipmentsDelivered;

  // Stats, as SimAmazonStats reports them.
  private int created;
  private final Map<Long, Integer> accepted = new HashMap<>();
  private final List<BiConsumer<Long, String>> acceptedWatchers = new ArrayList<>();
  private final Map<Long, Integer> arrived = new HashMap<>();
  private final Map<Long, Integer> outForDelivery = new HashMap<>();
  private final Map<Long, Integer> delivered = new HashMap<>();
  private final Map<Long, Integer> loaded = new HashMap<>();
  private final Map<Long, int[]> deliveredAt = new HashMap<>();
  private final Map<Long, int[]> destinations = new HashMap<>();
  private final Map<Long, int[]> outForDeliveryDest = new HashMap<>();
  private final Map<Long, String> statuses = new HashMap<>();
  private final List<String> errors = new ArrayList<>();
  private final Map<Long, Long> deliveredNanos = new HashMap<>();

  private final Optional<Path> stateDir;
  private boolean saveAndSendDue;
  private SimAmazonReport lastReport;
  private boolean reportFinished;

  /** A new Amazon, or with {@code saved} the one of a previous process going on. */
  static Behavior<Command> create(SimAmazonSettings settings, Optional<SavedAmazon> saved) {
    Behavior<Command> amazon =
        Behaviors.setup(
            context ->
                Behaviors.withTimers(timers -> new SimAmazon(context, timers, settings, saved)));
    // A bug in handling one message must not wipe every shipment: log it, skip it, keep the state.
    return Behaviors.supervise(amazon).onFailure(SupervisorStrategy.resume());
  }

  private SimAmazon(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      SimAmazonSettings settings,
      Optional<SavedAmazon> saved) {
    super(context);
    this.settings = settings;
    this.timers = timers;
    this.stateDir = settings.stateDir();
    // A resumed run draws anew (the old draws' state is not saved), but as repeatably.
    this.random =
        new Random(settings.randomSeed() + saved.map(s -> 31L * s.created()).orElse(0L));
    this.world =
        new ReliableLink<>(settings.resendInterval(), ACommands::newBuilder, ACommands.Builder::addAcks);
    this.ups =
        new ReliableLink<>(settings.resendInterval(), AUCommands::newBuilder, AUCommands.Builder::addAcks);
    this.referee = new ProtocolReferee(context.getLog(), Set.copyOf(settings.upsUserIds()), ups::wasWritten);
    this.namedUserIds =
        Stream.concat(settings.upsUserIds().stream(), settings.unknownUpsUserIds().stream()).toList();
    if (saved.isPresent()) {
      resume(saved.get());
    } else {
      placeWarehouses();
      // Stock up before the first pack; the purchases go out as soon as the world is joined.
      warehouses.forEach(warehouse -> reorder(warehouse, Map.of()));
    }
    List<AInitWarehouse> initial =
        warehouses.stream()
            .map(w -> AInitWarehouse.newBuilder().setId(w.id).setX(w.x).setY(w.y).build())
            .toList();
    Optional<Long> knownWorld = saved.map(SavedAmazon::worldId);
    this.worldLink =
        context.spawn(WorldLink.create(settings, initial, knownWorld, context.getSelf()), "world-link");
    // Ticks finer than the interval, so an item waits between 1 and 1.25 intervals.
    Duration tick = max(MIN_TICK, settings.resendInterval().dividedBy(4));
    timers.startTimerWithFixedDelay(ResendTick.INSTANCE, tick);
    if (settings.reportFile().isPresent()) {
      timers.startTimerWithFixedDelay(ReportTick.INSTANCE, REPORT_INTERVAL);
    }
  }

  private void resume(SavedAmazon saved) {
    worldId = saved.worldId();
    lastSeqnum = saved.lastSeqnum();
    lastUpsConnectionNumber = saved.lastUpsConnectionNumber();
    created = saved.created();
    shipmentsDelivered = saved.shipmentsDelivered();
    saved.warehouses().forEach(w -> warehouses.add(Warehouse.restore(w)));
    for (SavedAmazon.SavedShipment s : saved.shipments()) {
      List<AUItem> items =
          s.items().stream()
              .map(i -> AUItem.newBuilder().setProductid(i.productId()).setDescription(i.description())
                  .setCount(i.count()).build())
              .toList();
      Shipment shipment = new Shipment(s.id(), warehouse(s.warehouseId()), items, s.pickupSeqnum());
      shipment.packed = s.packed();
      shipment.queried = s.queried();
      shipment.truckId = s.truckId();
      shipment.loadingOnto = s.loadingOnto();
      shipment.loaded = s.loaded();
      shipments.put(shipment.id, shipment);
      if (s.waitingForStock()) waitingForStock.add(shipment);
    }
    accepted.putAll(saved.accepted());
    arrived.putAll(saved.arrived());
    outForDelivery.putAll(saved.outForDelivery());
    delivered.putAll(saved.delivered());
    loaded.putAll(saved.loaded());
    deliveredAt.putAll(saved.deliveredAt());
    destinations.putAll(saved.destinations());
    outForDeliveryDest.putAll(saved.outForDeliveryDest());
    statuses.putAll(saved.statuses());
    errors.addAll(saved.errors());
    saved.deliveredEpochNanos().forEach((id, nanos) -> deliveredNanos.put(id, SavedTime.fromEpochNanos(nanos)));
    world.restore(saved.world());
    ups.restore(saved.ups());
    referee.restore(saved.referee());
    if (saved.emissionStarted()) {
      // The clock of the rate goes on from the pickups already emitted.
      emissionStartNanos = System.nanoTime() - (long) (Math.max(0, created - 1) / settings.rate() * 1e9);
      if (created < settings.packages()) timers.startTimerWithFixedDelay(EmitTick.INSTANCE, emitTick());
    }
    getContext().getLog().info("resumed world {}: {} of {} pickups emitted, {} + {} unacked items for UPS + the world",
        worldId, created, settings.packages(), ups.unackedCount(), world.unackedCount());
  }

  /** Warehouses 1..n at distinct random addresses of the grid. */
  private void placeWarehouses() {
    Set<List<Integer>> taken = new HashSet<>();
    while (warehouses.size() < settings.warehouses()) {
      int x = randomCoordinate();
      int y = randomCoordinate();
      if (taken.add(List.of(x, y))) warehouses.add(new Warehouse(warehouses.size() + 1, x, y));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Accept.class, this::onAccept)
        .onMessage(AwaitWorld.class, this::onAwaitWorld)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(WatchPickupsAccepted.class, w -> {
          acceptedWatchers.add(w.watcher());
          return this;
        })
        .onMessage(WorldJoined.class, this::onWorldJoined)
        .onMessage(WorldResponses.class, this::onWorldResponses)
        .onMessageEquals(WorldLost.INSTANCE, this::onWorldLost)
        .onMessage(FromUps.class, this::onFromUps)
        .onMessage(UpsLeft.class, this::onUpsLeft)
        .onMessageEquals(ResendTick.INSTANCE, this::onResendTick)
        .onMessageEquals(EmitTick.INSTANCE, this::onEmitTick)
        .onMessageEquals(SaveAndSend.INSTANCE, this::onSaveAndSend)
        .onMessageEquals(ReportTick.INSTANCE, this::onReportTick)
        .onMessage(FinalReport.class, this::onFinalReport)
        .build();
  }

  // ---- world link ----------------------------------------------------------------------------

  private Behavior<Command> onAwaitWorld(AwaitWorld request) {
    if (worldId != 0) {
      request.replyTo().tell(worldId);
    } else {
      worldWaiters.add(request.replyTo());
    }
    return this;
  }

  private Behavior<Command> onWorldJoined(WorldJoined joined) {
    boolean created = worldId == 0;
    worldId = joined.worldId();
    worldJoined = true;
    simSpeedDue = settings.simSpeed().isPresent();
    // UPS hears the world id as soon as it connects: a new world is saved before anyone hears of it.
    if (created && stateDir.isPresent()) save();
    worldWaiters.forEach(waiter -> waiter.tell(worldId));
    worldWaiters.clear();
    world.resendAll();
    flush();
    return this;
  }

  private Behavior<Command> onWorldLost() {
    worldJoined = false;
    return this;
  }

  private Behavior<Command> onWorldResponses(WorldResponses message) {
    AResponses responses = message.responses();
    world.acked(responses.getAcksList(), System.nanoTime());
    for (APurchaseMore purchase : responses.getArrivedList()) {
      if (!world.receive(purchase.getSeqnum())) continue;
      Warehouse warehouse = warehouse(purchase.getWhnum());
      if (warehouse == null) {
        getContext().getLog().warn("world reported a purchase for unknown warehouse {}", purchase.getWhnum());
        continue;
      }
      purchase.getThingsList().forEach(p -> warehouse.arrived(p.getId(), p.getCount()));
    }
    for (APacked packed : responses.getReadyList()) {
      if (!world.receive(packed.getSeqnum())) continue;
      Shipment shipment = knownShipment(packed.getShipid(), "APacked");
      if (shipment == null) continue;
      shipment.packed = true;
      loadIfPossible(shipment);
    }
    for (ALoaded aLoaded : responses.getLoadedList()) {
      if (!world.receive(aLoaded.getSeqnum())) continue;
      Shipment shipment = knownShipment(aLoaded.getShipid(), "ALoaded");
      if (shipment == null) continue;
      onLoaded(shipment);
    }
    for (AErr error : responses.getErrorList()) {
      if (!world.receive(error.getSeqnum())) continue;
      getContext().getLog().warn("world error for our seqnum {}: {}", error.getOriginseqnum(), error.getErr());
      errors.add("world: " + error.getErr() + " (our seqnum " + error.getOriginseqnum() + ")");
    }
    // We never query, but a package status is an item like any other: ack it once.
    for (APackage status : responses.getPackagestatusList()) world.receive(status.getSeqnum());
    // Only new stock can let a waiting shipment be packed (looking at every one on each message
    // of a busy world would cost time in proportion to the backlog).
    if (responses.getArrivedCount() > 0) packWhatFits();
    flush();
    return this;
  }

  private void onLoaded(Shipment shipment) {
    shipment.loaded = true;
    loaded.merge(shipment.id, 1, Integer::sum);
    sendLoaded(shipment);
  }

  private void sendLoaded(Shipment shipment) {
    long seqnum = nextSeqnum();
    AULoaded notice =
        AULoaded.newBuilder()
            .setShipid(shipment.id)
            .setTruckid(shipment.loadingOnto)
            .setSeqnum(seqnum)
            .build();
    referee.loadedQueued(notice);
    ups.send(seqnum, message -> message.addLoaded(notice));
  }

  /** Loads once both are true: the world packed it and UPS said a truck waits for it. */
  private void loadIfPossible(Shipment shipment) {
    if (!shipment.packed || shipment.truckId == null || shipment.loaded) return;
    if (shipment.truckId.equals(shipment.loadingOnto)) return;
    shipment.loadingOnto = shipment.truckId;
    long seqnum = nextSeqnum();
    APutOnTruck load =
        APutOnTruck.newBuilder()
            .setWhnum(shipment.warehouse.id)
            .setTruckid(shipment.truckId)
            .setShipid(shipment.id)
            .setSeqnum(seqnum)
            .build();
    world.send(seqnum, message -> message.addLoad(load));
  }

  private void packWhatFits() {
    Map<Warehouse, Map<Long, Integer>> stillWaitingFor = new HashMap<>();
    Iterator<Shipment> waiting = waitingForStock.iterator();
    while (waiting.hasNext()) {
      Shipment shipment = waiting.next();
      if (!shipment.warehouse.has(shipment.items)) {
        Map<Long, Integer> wanted = stillWaitingFor.computeIfAbsent(shipment.warehouse, w -> new HashMap<>());
        shipment.items.forEach(item -> wanted.merge(item.getProductid(), item.getCount(), Integer::sum));
        continue;
      }
      shipment.warehouse.take(shipment.items);
      waiting.remove();
      long seqnum = nextSeqnum();
      APack pack =
          APack.newBuilder()
              .setWhnum(shipment.warehouse.id)
              .addAllThings(shipment.items.stream().map(SimAmazon::product).toList())
              .setShipid(shipment.id)
              .setSeqnum(seqnum)
              .build();
      world.send(seqnum, message -> message.addTopack(pack));
    }
    warehouses.forEach(warehouse -> reorder(warehouse, stillWaitingFor.getOrDefault(warehouse, Map.of())));
  }

  private void reorder(Warehouse warehouse, Map<Long, Integer> waitingFor) {
    Map<Long, Integer> toBuy = warehouse.reorder(PRODUCT_IDS, waitingFor);
    if (toBuy.isEmpty()) return;
    long seqnum = nextSeqnum();
    APurchaseMore.Builder purchase = APurchaseMore.newBuilder().setWhnum(warehouse.id).setSeqnum(seqnum);
    toBuy.forEach(
        (productId, count) ->
            purchase.addThings(
                AProduct.newBuilder()
                    .setId(productId)
                    .setDescription(describe(productId))
                    .setCount(count)));
    APurchaseMore built = purchase.build();
    world.send(seqnum, message -> message.addBuy(built));
  }

  // ---- UPS link ------------------------------------------------------------------------------

  private Behavior<Command> onAccept(Accept accept) {
    ActorRef<UpsConnection.Command> connection =
        getContext()
            .spawn(
                UpsConnection.create(accept.connection(), getContext().getSelf(), settings.maxFrameBytes()),
                "ups-connection-" + ++lastUpsConnectionNumber);
    getContext().watchWith(connection, new UpsLeft(connection));
    if (upsConnection != null) upsConnection.tell(UpsConnection.Replaced.INSTANCE);
    upsConnection = connection;
    upsReady = false;
    referee.connectionOpened(lastUpsConnectionNumber, worldId);
    connection.tell(
        new UpsConnection.Send(
            AUCommands.newBuilder().setWorld(AUWorld.newBuilder().setWorldid(worldId)).build()));
    return this;
  }

  private Behavior<Command> onUpsLeft(UpsLeft left) {
    if (left.connection().equals(upsConnection)) {
      upsConnection = null;
      upsReady = false;
    }
    return this;
  }

  /** Handles the fields in PROTOCOL.md's order: accepted, arrived, outfordelivery, delivered, status, errors. */
  private Behavior<Command> onFromUps(FromUps message) {
    if (!message.connection().equals(upsConnection)) return this; // a replaced connection
    UACommands commands = message.commands();
    ups.acked(commands.getAcksList(), System.nanoTime());
    referee.acks(commands.getAcksList());
    referee.message(commands);
    if (commands.hasConnected()) onUpsConnected(commands.getConnected());
    for (UAPickupAccepted notice : commands.getAcceptedList()) {
      if (firstTime(notice.getSeqnum(), notice)) onPickupAccepted(notice);
    }
    for (UATruckArrived notice : commands.getArrivedList()) {
      if (firstTime(notice.getSeqnum(), notice)) onTruckArrived(notice);
    }
    for (UAOutForDelivery notice : commands.getOutfordeliveryList()) {
      if (firstTime(notice.getSeqnum(), notice)) onOutForDelivery(notice);
    }
    for (UADelivered notice : commands.getDeliveredList()) {
      if (firstTime(notice.getSeqnum(), notice)) onDelivered(notice);
    }
    for (UAStatus notice : commands.getStatusList()) {
      if (firstTime(notice.getSeqnum(), notice)) onStatus(notice);
    }
    for (UAErr error : commands.getErrorsList()) {
      if (firstTime(error.getSeqnum(), error)) onUpsError(error);
    }
    flush();
    return this;
  }

  /** Acks a UPS item; true the first time its seqnum comes (a re-send is only checked for reuse). */
  private boolean firstTime(long seqnum, Message item) {
    referee.item(seqnum, item);
    return ups.receive(seqnum);
  }

  private void onPickupAccepted(UAPickupAccepted notice) {
    referee.accepted(notice);
    if (accepted.merge(notice.getShipid(), 1, Integer::sum) == 1) {
      acceptedWatchers.forEach(w -> w.accept(notice.getShipid(), notice.getTrackingnumber()));
    }
    Shipment shipment = shipments.get(notice.getShipid());
    if (shipment != null) queryIfDue(shipment);
  }

  /** Every n-th shipment is asked about once, as soon as UPS has taken it on. */
  private void queryIfDue(Shipment shipment) {
    int every = settings.queryEvery();
    if (every == 0 || shipment.id % every != 0 || shipment.queried) return;
    shipment.queried = true;
    long seqnum = nextSeqnum();
    AUQuery query = AUQuery.newBuilder().setShipid(shipment.id).setSeqnum(seqnum).build();
    referee.queryQueued(query);
    ups.send(seqnum, message -> message.addQueries(query));
  }

  private void onOutForDelivery(UAOutForDelivery notice) {
    referee.outForDelivery(notice);
    outForDelivery.merge(notice.getShipid(), 1, Integer::sum);
    outForDeliveryDest.put(notice.getShipid(), new int[] {notice.getDestx(), notice.getDesty()});
  }

  private void onDelivered(UADelivered notice) {
    referee.delivered(notice);
    deliveredNanos.putIfAbsent(notice.getShipid(), System.nanoTime());
    boolean first = delivered.merge(notice.getShipid(), 1, Integer::sum) == 1;
    if (first && shipments.containsKey(notice.getShipid()) && ++shipmentsDelivered == settings.packages()) {
      getContext().getLog().info("UPS delivered all {} shipments", shipmentsDelivered);
    }
    Shipment shipment = shipments.get(notice.getShipid());
    if (first && settings.loadAgainAfterDelivery() && shipment != null && shipment.loadingOnto != null) {
      sendLoaded(shipment);
    }
    deliveredAt.put(notice.getShipid(), new int[] {notice.getX(), notice.getY()});
  }

  private void onStatus(UAStatus notice) {
    referee.status(notice);
    statuses.put(notice.getShipid(), notice.getStatus());
  }

  private void onUpsError(UAErr error) {
    referee.error(error);
    getContext().getLog().warn("UPS error for our seqnum {}: {}", error.getOriginseqnum(), error.getErr());
    errors.add("UPS: " + error.getErr() + " (our seqnum " + error.getOriginseqnum() + ")");
  }

  private void onUpsConnected(UAConnected connected) {
    if (!ACCEPTED.equals(connected.getResult()) || connected.getWorldid() != worldId) {
      getContext().getLog().warn("UPS could not join world {}: world {}, {}", worldId,
          connected.getWorldid(), connected.getResult());
      errors.add("UPS: could not join world " + worldId + ": " + connected.getResult());
      return;
    }
    upsReady = true;
    getContext().getLog().info("UPS joined world {}; re-sending {} unacked items", worldId, ups.unackedCount());
    ups.resendAll();
    if (emissionStartNanos < 0) startEmission();
  }

  private void onTruckArrived(UATruckArrived notice) {
    referee.arrived(notice);
    List<Long> unknown = new ArrayList<>();
    for (long shipId : notice.getShipidsList()) {
      arrived.merge(shipId, 1, Integer::sum);
      Shipment shipment = shipments.get(shipId);
      if (shipment == null || shipment.warehouse.id != notice.getWhid()) {
        unknown.add(shipId);
        continue;
      }
      shipment.truckId = notice.getTruckid();
      loadIfPossible(shipment);
    }
    if (!unknown.isEmpty()) {
      upsError(notice.getSeqnum(),
          "no shipments " + unknown + " at warehouse " + notice.getWhid() + "; not loading them");
    }
  }

  private void upsError(long originSeqnum, String text) {
    getContext().getLog().warn("telling UPS about its seqnum {}: {}", originSeqnum, text);
    long seqnum = nextSeqnum();
    AUErr error = AUErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum).build();
    ups.send(seqnum, message -> message.addErrors(error));
  }

  // ---- emission ------------------------------------------------------------------------------

  private void startEmission() {
    emissionStartNanos = System.nanoTime();
    getContext().getLog().info("emitting {} pickups {}", settings.packages(),
        Double.isInfinite(settings.rate()) ? "at once" : "at " + settings.rate() + "/s");
    emitDue();
    if (created < settings.packages()) timers.startTimerWithFixedDelay(EmitTick.INSTANCE, emitTick());
  }

  private Duration emitTick() {
    Duration period = Duration.ofNanos((long) (1e9 / settings.rate()));
    return min(MAX_EMIT_TICK, max(MIN_TICK, period));
  }

  private Behavior<Command> onEmitTick() {
    emitDue();
    flush();
    return this;
  }

  private void emitDue() {
    long due = pickupsDue();
    while (created < due) emitPickup();
    if (created >= settings.packages()) {
      timers.cancel(EmitTick.INSTANCE);
      if (due > 0) getContext().getLog().info("all {} pickups emitted", created);
    }
    packWhatFits();
  }

  /** Catches up with the rate: however late a tick is, the total follows the clock. */
  private long pickupsDue() {
    // A rate at which the whole run fits into one tick need not wait for the tick.
    double perTick = settings.rate() * emitTick().toNanos() / 1e9;
    if (perTick >= settings.packages()) return settings.packages();
    double elapsedSeconds = (System.nanoTime() - emissionStartNanos) / 1e9;
    return Math.min(settings.packages(), 1 + (long) Math.floor(elapsedSeconds * settings.rate()));
  }

  private void emitPickup() {
    long shipId = ++created;
    Warehouse warehouse = warehouses.get(random.nextInt(warehouses.size()));
    int destX;
    int destY;
    do {
      destX = randomCoordinate();
      destY = randomCoordinate();
    } while (destX == warehouse.x && destY == warehouse.y);
    List<AUItem> items = randomItems();
    long seqnum = nextSeqnum();
    Shipment shipment = new Shipment(shipId, warehouse, items, seqnum);
    shipments.put(shipId, shipment);
    destinations.put(shipId, new int[] {destX, destY});
    AUPickup.Builder pickup =
        AUPickup.newBuilder()
            .setShipid(shipId)
            .setWarehouse(AUWarehouse.newBuilder().setId(warehouse.id).setX(warehouse.x).setY(warehouse.y))
            .setDestx(destX)
            .setDesty(destY)
            .addAllItems(items)
            .setSeqnum(seqnum);
    if (!namedUserIds.isEmpty() && random.nextBoolean()) {
      pickup.setUpsuserid(namedUserIds.get(random.nextInt(namedUserIds.size())));
    }
    AUPickup built = pickup.build();
    referee.pickupQueued(built);
    ups.send(seqnum, message -> message.addPickups(built));
    waitingForStock.add(shipment);
  }

  /** 1..3 different products, 1..3 of each. */
  private List<AUItem> randomItems() {
    List<Product> products = new ArrayList<>(CATALOGUE);
    Collections.shuffle(products, random);
    int kinds = 1 + random.nextInt(MAX_ITEMS);
    List<AUItem> items = new ArrayList<>();
    for (Product product : products.subList(0, kinds)) {
      items.add(
          AUItem.newBuilder()
              .setProductid(product.id())
              .setDescription(product.description())
              .setCount(1 + random.nextInt(MAX_COUNT))
              .build());
    }
    return List.copyOf(items);
  }

  private int randomCoordinate() {
    int half = settings.gridHalfSize();
    return random.nextInt(2 * half + 1) - half;
  }

  // ---- shared machinery ----------------------------------------------------------------------

  private Behavior<Command> onResendTick() {
    long now = System.nanoTime();
    world.resendOverdue(now);
    ups.resendOverdue(now);
    if (stateDir.isEmpty()) {
      send(drain());
    } else if (!saveAndSendDue) {
      // Only saved items are overdue; a due save comes first, and its send takes them along.
      Outgoing outgoing = drain();
      if (!outgoing.isEmpty()) {
        save(); // the re-send counters and write times
        send(outgoing);
      }
    }
    return this;
  }

  /**
   * Sends what has gathered for each peer, in as few messages as stay reasonably small. With a
   * state dir it saves first, so that no peer hears of what a kill could make Amazon forget; one
   * save serves every message already queued (under load, many).
   */
  private void flush() {
    if (stateDir.isEmpty()) {
      send(drain());
    } else if (!saveAndSendDue) {
      saveAndSendDue = true;
      getContext().getSelf().tell(SaveAndSend.INSTANCE);
    }
  }

  private Behavior<Command> onSaveAndSend() {
    saveAndSendDue = false;
    // Drained first: which items were written (the referee's "sent") is part of what is saved.
    Outgoing outgoing = drain();
    save();
    send(outgoing);
    return this;
  }

  private Outgoing drain() {
    long now = System.nanoTime();
    List<ACommands> toWorld = new ArrayList<>();
    if (worldJoined) {
      List<ACommands.Builder> messages = world.drain(true, now);
      if (simSpeedDue) {
        if (messages.isEmpty()) messages.add(ACommands.newBuilder());
        messages.get(0).setSimspeed(settings.simSpeed().getAsInt());
        simSpeedDue = false;
      }
      messages.forEach(message -> toWorld.add(message.build()));
    }
    List<AUCommands> toUps = new ArrayList<>();
    if (upsConnection != null) {
      ups.drain(upsReady, now).forEach(message -> toUps.add(message.build()));
    }
    return new Outgoing(toWorld, toUps);
  }

  private void send(Outgoing outgoing) {
    outgoing.toWorld().forEach(message -> worldLink.tell(new WorldLink.Send(message)));
    outgoing.toUps().forEach(message -> upsConnection.tell(new UpsConnection.Send(message)));
  }

  private void save() {
    List<SavedAmazon.SavedShipment> savedShipments = new ArrayList<>();
    Set<Long> waiting = new HashSet<>();
    waitingForStock.forEach(shipment -> waiting.add(shipment.id));
    for (Shipment s : shipments.values()) {
      List<SavedAmazon.SavedLine> items =
          s.items.stream()
              .map(i -> new SavedAmazon.SavedLine(i.getProductid(), i.getDescription(), i.getCount()))
              .toList();
      savedShipments.add(
          new SavedAmazon.SavedShipment(s.id, s.warehouse.id, items, s.pickupSeqnum, s.packed,
              s.queried, s.truckId, s.loadingOnto, s.loaded, waiting.contains(s.id)));
    }
    Map<Long, Long> deliveredEpochNanos = new HashMap<>();
    deliveredNanos.forEach((id, nanos) -> deliveredEpochNanos.put(id, SavedTime.toEpochNanos(nanos)));
    new SavedAmazon(
            worldId,
            lastSeqnum,
            lastUpsConnectionNumber,
            emissionStartNanos >= 0,
            created,
            shipmentsDelivered,
            warehouses.stream().map(Warehouse::saved).toList(),
            savedShipments,
            accepted,
            arrived,
            outForDelivery,
            delivered,
            loaded,
            deliveredAt,
            destinations,
            outForDeliveryDest,
            statuses,
            errors,
            deliveredEpochNanos,
            world.saved(),
            ups.saved(),
            referee.saved())
        .write(stateDir.orElseThrow());
  }

  private long nextSeqnum() {
    return ++lastSeqnum;
  }

  private Warehouse warehouse(int id) {
    return id >= 1 && id <= warehouses.size() ? warehouses.get(id - 1) : null;
  }

  private Shipment knownShipment(long shipId, String what) {
    Shipment shipment = shipments.get(shipId);
    if (shipment == null) getContext().getLog().warn("world sent {} for unknown shipment {}", what, shipId);
    return shipment;
  }

  private static AProduct product(AUItem item) {
    return AProduct.newBuilder()
        .setId(item.getProductid())
        .setDescription(item.getDescription())
        .setCount(item.getCount())
        .build();
  }

  private static String describe(long productId) {
    return CATALOGUE.stream().filter(p -> p.id() == productId).findFirst().orElseThrow().description();
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  // ---- stats ---------------------------------------------------------------------------------

  private Behavior<Command> onGetStats(GetStats request) {
    request.replyTo().tell(stats());
    return this;
  }

  private Behavior<Command> onReportTick() {
    if (!reportFinished) writeReportIfChanged();
    return this;
  }

  private Behavior<Command> onFinalReport(FinalReport request) {
    writeReportIfChanged();
    reportFinished = true;
    request.replyTo().tell(Done.getInstance());
    return this;
  }

  private void writeReportIfChanged() {
    SimAmazonReport report = SimAmazonReport.of(stats());
    if (report.equals(lastReport)) return;
    report.write(settings.reportFile().orElseThrow());
    lastReport = report;
  }

  private SimAmazonStats stats() {
    return new SimAmazonStats(
        worldId,
        settings.packages(),
        created,
        accepted,
        arrived,
        outForDelivery,
        delivered,
        loaded,
        deliveredAt,
        destinations,
        outForDeliveryDest,
        statuses,
        errors,
        ups.unackedCount(),
        world.unackedCount(),
        upsReady,
        worldJoined,
        referee.violations(),
        pickupSentNanos(),
        deliveredNanos,
        ups.rewrites(),
        ups.slowestAckNanos() / 1_000_000);
  }

  /** When each shipment's AUPickup was first written to a UPS connection. */
  private Map<Long, Long> pickupSentNanos() {
    Map<Long, Long> sent = new HashMap<>();
    for (Shipment shipment : shipments.values()) {
      ups.firstWrittenNanos(shipment.pickupSeqnum).ifPresent(nanos -> sent.put(shipment.id, nanos));
    }
    return sent;
  }
}
