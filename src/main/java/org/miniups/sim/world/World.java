package org.miniups.sim.world;

import com.google.protobuf.MessageLite;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TextFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AQuery;
import org.miniups.proto.WorldAmazon.AResponses;
import org.miniups.proto.WorldUps.UCommands;
import org.miniups.proto.WorldUps.UGoDeliver;
import org.miniups.proto.WorldUps.UGoPickup;
import org.miniups.proto.WorldUps.UQuery;
import org.miniups.proto.WorldUps.UResponses;

/**
 * One simulated world: the actor that owns its {@link WorldState}, both peer links and every
 * timer, and hands each request to its rules ({@link TruckRules} for UPS, {@link WarehouseRules}
 * for Amazon). All of a world's state lives in this actor, so nothing needs a lock.
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

  // Timer messages of the rules; each also serves as its own timer key.
  record LegEnded(int truckId) implements Command {}

  record PackingDone(long packageId) implements Command {}

  record LoadingDone(int truckId) implements Command {}

  record PurchaseArrived(APurchaseMore purchase) implements Command {}

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

  private static final int MIN_RESEND_TICK_MILLIS = 10;
  private static final Duration REPORT_INTERVAL = Duration.ofMillis(250);
  private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);

  private final long worldId;
  private final WorldState state;
  private final int flakinessPercent;
  private final Random random;
  private final PeerLink<UResponses.Builder> ups;
  private final PeerLink<AResponses.Builder> amazon;
  private final TruckRules truckRules;
  private final WarehouseRules warehouseRules;
  private final Optional<Path> stateDir;
  private final ActorRef<WorldRegistry.Command> registry;
  private boolean saveAndSendDue;
  private SimWorldReport.WorldEntry lastReported;

  /** A new world; {@code registry} gets its report entries when the settings name a report. */
  static Behavior<Command> create(
      long worldId, SimWorldSettings settings, ActorRef<WorldRegistry.Command> registry) {
    return supervised(
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers ->
                        new World(context, timers, new WorldState(worldId, settings.simSpeed()),
                            settings, registry))));
  }

  /** A world as it was saved, its trucks' trips, packing, loading and purchases going on. */
  static Behavior<Command> restore(
      SavedWorld saved, SimWorldSettings settings, ActorRef<WorldRegistry.Command> registry) {
    return supervised(
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers -> {
                      World world = new World(context, timers, saved.state(), settings, registry);
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
      WorldState state,
      SimWorldSettings settings,
      ActorRef<WorldRegistry.Command> registry) {
    super(context);
    this.state = state;
    this.worldId = state.worldId;
    this.stateDir = settings.stateDir();
    this.registry = registry;
    this.flakinessPercent = settings.flakinessPercent();
    // Mixed with the world id so that two worlds of one server do not drop in lockstep.
    this.random = new Random(settings.randomSeed() * 31 + worldId);
    this.ups = new PeerLink<>(Side.UPS, settings.resendInterval(), UResponses::newBuilder,
        UResponses.Builder::addAcks, response -> response.setFinished(true));
    this.amazon = new PeerLink<>(Side.AMAZON, settings.resendInterval(), AResponses::newBuilder,
        AResponses.Builder::addAcks, response -> response.setFinished(true));
    this.truckRules = new TruckRules(state, timers, ups);
    this.warehouseRules = new WarehouseRules(state, timers, amazon);
    // Ticks finer than the interval, so an item waits between 1 and 1.25 intervals.
    Duration tick =
        Duration.ofMillis(
            Math.max(MIN_RESEND_TICK_MILLIS, settings.resendInterval().toMillis() / 4));
    timers.startTimerWithFixedDelay(ResendTick.INSTANCE, tick);
    if (settings.reportFile().isPresent()) {
      timers.startTimerWithFixedDelay(ReportTick.INSTANCE, REPORT_INTERVAL);
    }
  }

  /** Restores the links and starts the timers of what was under way when {@code saved} was written. */
  private void resume(SavedWorld saved) {
    warehouseRules.resumeTimers();
    state.trucks.values().forEach(truckRules::resumeTrip);
    ups.restore(saved.ups());
    amazon.restore(saved.amazon());
    getContext()
        .getLog()
        .info("world {} resumed: {} trucks, {} packages, {} + {} unacked items for UPS + Amazon",
            worldId, state.trucks.size(), state.parcels.size(), ups.unackedCount(), amazon.unackedCount());
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
      if (join.side() == Side.UPS && !state.trucks.containsKey(site.id())) {
        state.trucks.put(site.id(), new Truck(site.id(), site.x(), site.y()));
        created++;
      } else if (join.side() == Side.AMAZON && !state.warehouses.containsKey(site.id())) {
        state.warehouses.put(site.id(), new WorldState.Warehouse(site.id(), site.x(), site.y()));
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
    ups.acked(commands.getAcksList(), System.nanoTime());
    if (commands.hasSimspeed()) changeSimSpeed(commands.getSimspeed());
    for (UGoPickup pickup : commands.getPickupsList()) {
      handleRequest(ups, "UGoPickup", pickup.getSeqnum(), () -> truckRules.pickup(pickup));
    }
    for (UGoDeliver delivery : commands.getDeliveriesList()) {
      handleRequest(ups, "UGoDeliver", delivery.getSeqnum(), () -> truckRules.deliver(delivery));
    }
    for (UQuery query : commands.getQueriesList()) {
      handleRequest(ups, "UQuery", query.getSeqnum(), () -> truckRules.queryTruck(query));
    }
    if (commands.getDisconnect()) ups.finish();
    flush();
    return this;
  }

  private Behavior<Command> onLegEnded(LegEnded legEnded) {
    truckRules.legEnded(legEnded.truckId());
    flush();
    return this;
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
    amazon.acked(commands.getAcksList(), System.nanoTime());
    if (commands.hasSimspeed()) changeSimSpeed(commands.getSimspeed());
    for (APurchaseMore purchase : commands.getBuyList()) {
      handleRequest(amazon, "APurchaseMore", purchase.getSeqnum(), () -> warehouseRules.purchase(purchase));
    }
    for (APack pack : commands.getTopackList()) {
      handleRequest(amazon, "APack", pack.getSeqnum(), () -> warehouseRules.pack(pack));
    }
    for (APutOnTruck load : commands.getLoadList()) {
      handleRequest(amazon, "APutOnTruck", load.getSeqnum(), () -> warehouseRules.load(load));
    }
    for (AQuery query : commands.getQueriesList()) {
      handleRequest(amazon, "AQuery", query.getSeqnum(), () -> warehouseRules.queryPackage(query));
    }
    if (commands.getDisconnect()) amazon.finish();
    flush();
    return this;
  }

  private Behavior<Command> onPurchaseArrived(PurchaseArrived arrived) {
    warehouseRules.purchaseArrived(arrived.purchase());
    flush();
    return this;
  }

  private Behavior<Command> onPackingDone(PackingDone done) {
    warehouseRules.packingDone(done.packageId());
    flush();
    return this;
  }

  private Behavior<Command> onLoadingDone(LoadingDone done) {
    warehouseRules.loadingDone(done.truckId());
    flush();
    return this;
  }

  // ---- shared machinery --------------------------------------------------------------------

  /**
   * Flakiness first (a dropped request is neither acked nor remembered, so its re-send gets a
   * fresh chance), then the ack, then at most one execution per seqnum.
   */
  private void handleRequest(PeerLink<?> link, String type, long seqnum, Runnable action) {
    if (flakinessPercent > 0 && random.nextInt(100) < flakinessPercent) {
      state.dropped++;
      getContext()
          .getLog()
          .debug("world {}: flakiness dropped {} seqnum {} from {}", worldId, type, seqnum,
              link.side());
      return;
    }
    if (!link.acceptRequest(seqnum)) {
      state.duplicates++;
      return;
    }
    state.processed.merge(type, 1L, Long::sum);
    action.run();
  }

  private void changeSimSpeed(int unsignedSpeed) {
    long speed = Integer.toUnsignedLong(unsignedSpeed);
    if (speed == 0) {
      getContext().getLog().warn("world {}: ignoring simspeed 0 (time would stand still)", worldId);
      return;
    }
    state.simSpeed = (int) Math.min(speed, Integer.MAX_VALUE);
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
    SavedWorld.of(state, ups, amazon, System.nanoTime()).write(stateDir.orElseThrow());
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
    return SimWorldStats.of(state, ups, amazon, System.nanoTime());
  }
}
