package org.miniups.sim.amazon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import org.miniups.proto.UpsAmazon.AUWorld;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.proto.UpsAmazon.UAConnected;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AInitWarehouse;
import org.miniups.proto.WorldAmazon.AResponses;
import org.miniups.sim.ReliableLink;

/**
 * The simulated Amazon: the actor that owns its {@link Fulfilment} (the shipment rules), both
 * reliable links (world and UPS), the UPS connection and the pace of pickups. The connection
 * actors only frame and parse; everything else happens here, one message at a time, so nothing
 * needs a lock. With a state dir it saves all of it ({@link SavedAmazon}) before a peer hears of
 * it, and resumes from it.
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

  private static final String ACCEPTED = "connected!";
  private static final Duration MIN_TICK = Duration.ofMillis(10);
  private static final Duration MAX_EMIT_TICK = Duration.ofSeconds(1);
  private static final Duration REPORT_INTERVAL = Duration.ofMillis(250);
  /** Keeps every message far below a peer's frame limit, however many items are due at once. */
  static final int MAX_ITEMS_PER_MESSAGE = 200;

  private final SimAmazonSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<WorldLink.Command> worldLink;
  private final ReliableLink<ACommands.Builder> world;
  private final LinkWrites worldWrites = new LinkWrites();
  private final ReliableLink<AUCommands.Builder> ups;
  private final LinkWrites upsWrites = new LinkWrites();
  private final ProtocolReferee referee;
  private final Fulfilment fulfilment;
  private final List<ActorRef<Long>> worldWaiters = new ArrayList<>();

  private long worldId;
  private boolean worldJoined;
  private boolean simSpeedDue;
  private ActorRef<UpsConnection.Command> upsConnection;
  private boolean upsReady;
  private long emissionStartNanos = -1;
  private long lastUpsConnectionNumber;
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
    this.world = new ReliableLink<>(settings.resendInterval(), ACommands::newBuilder,
        ACommands.Builder::addAcks, MAX_ITEMS_PER_MESSAGE, worldWrites);
    this.ups = new ReliableLink<>(settings.resendInterval(), AUCommands::newBuilder,
        AUCommands.Builder::addAcks, MAX_ITEMS_PER_MESSAGE, upsWrites);
    this.referee =
        new ProtocolReferee(context.getLog(), Set.copyOf(settings.upsUserIds()), upsWrites::wasWritten);
    // A resumed run draws anew (the old draws' state is not saved), but as repeatably.
    long randomSeed = settings.randomSeed() + saved.map(s -> 31L * s.created()).orElse(0L);
    this.fulfilment = new Fulfilment(settings, context.getLog(), randomSeed, world, ups, referee);
    if (saved.isPresent()) {
      resume(saved.get());
    } else {
      fulfilment.openWarehouses();
    }
    List<AInitWarehouse> initial =
        fulfilment.warehouses.stream()
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
    lastUpsConnectionNumber = saved.lastUpsConnectionNumber();
    saved.restore(fulfilment);
    saved.world().restore(world, worldWrites);
    saved.ups().restore(ups, upsWrites);
    referee.restore(saved.referee());
    if (saved.emissionStarted()) {
      // The clock of the rate goes on from the pickups already emitted.
      emissionStartNanos =
          System.nanoTime() - (long) (Math.max(0, fulfilment.created - 1) / settings.rate() * 1e9);
      if (fulfilment.created < settings.packages()) timers.startTimerWithFixedDelay(EmitTick.INSTANCE, emitTick());
    }
    getContext().getLog().info("resumed world {}: {} of {} pickups emitted, {} + {} unacked items for UPS + the world",
        worldId, fulfilment.created, settings.packages(), ups.unackedCount(), world.unackedCount());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Accept.class, this::onAccept)
        .onMessage(AwaitWorld.class, this::onAwaitWorld)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(WatchPickupsAccepted.class, w -> {
          fulfilment.watchPickupsAccepted(w.watcher());
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
    fulfilment.onWorldResponses(responses);
    flush();
    return this;
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
    fulfilment.onUpsNotices(commands);
    flush();
    return this;
  }

  private void onUpsConnected(UAConnected connected) {
    if (!ACCEPTED.equals(connected.getResult()) || connected.getWorldid() != worldId) {
      getContext().getLog().warn("UPS could not join world {}: world {}, {}", worldId,
          connected.getWorldid(), connected.getResult());
      fulfilment.errors.add("UPS: could not join world " + worldId + ": " + connected.getResult());
      return;
    }
    upsReady = true;
    getContext().getLog().info("UPS joined world {}; re-sending {} unacked items", worldId, ups.unackedCount());
    ups.resendAll();
    if (emissionStartNanos < 0) startEmission();
  }

  // ---- emission ------------------------------------------------------------------------------

  private void startEmission() {
    emissionStartNanos = System.nanoTime();
    getContext().getLog().info("emitting {} pickups {}", settings.packages(),
        Double.isInfinite(settings.rate()) ? "at once" : "at " + settings.rate() + "/s");
    emitDue();
    if (fulfilment.created < settings.packages()) {
      timers.startTimerWithFixedDelay(EmitTick.INSTANCE, emitTick());
    }
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
    while (fulfilment.created < due) fulfilment.emitPickup();
    if (fulfilment.created >= settings.packages()) {
      timers.cancel(EmitTick.INSTANCE);
      if (due > 0) getContext().getLog().info("all {} pickups emitted", fulfilment.created);
    }
    fulfilment.packWhatFits();
  }

  /** Catches up with the rate: however late a tick is, the total follows the clock. */
  private long pickupsDue() {
    // A rate at which the whole run fits into one tick need not wait for the tick.
    double perTick = settings.rate() * emitTick().toNanos() / 1e9;
    if (perTick >= settings.packages()) return settings.packages();
    double elapsedSeconds = (System.nanoTime() - emissionStartNanos) / 1e9;
    return Math.min(settings.packages(), 1 + (long) Math.floor(elapsedSeconds * settings.rate()));
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
    SavedAmazon.of(
            fulfilment,
            worldId,
            lastUpsConnectionNumber,
            emissionStartNanos >= 0,
            SavedAmazon.SavedLink.of(world, worldWrites),
            SavedAmazon.SavedLink.of(ups, upsWrites),
            referee.saved())
        .write(stateDir.orElseThrow());
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
        fulfilment.created,
        fulfilment.tallies(),
        ups.unackedCount(),
        world.unackedCount(),
        upsReady,
        worldJoined,
        referee.violations(),
        pickupSentNanos(),
        fulfilment.perShipment(s -> s.deliveredNanos),
        upsWrites.rewrites(),
        upsWrites.slowestAckNanos() / 1_000_000);
  }

  /** When each shipment's AUPickup was first written to a UPS connection. */
  private Map<Long, Long> pickupSentNanos() {
    Map<Long, Long> sent = new HashMap<>();
    for (Shipment shipment : fulfilment.emittedShipments()) {
      upsWrites.firstWrittenNanos(shipment.pickupSeqnum).ifPresent(nanos -> sent.put(shipment.id, nanos));
    }
    return sent;
  }
}
