package org.miniups.truck;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.miniups.Placement;
import org.miniups.persistence.JournalFailures;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.miniups.effects.EffectRunner;
import org.miniups.truck.TruckEffect.Destination;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldEvent;

/**
 * One truck of our fleet, event-sourced. It decides what the truck does next, and every decision
 * carries its side effects in the truck's effect log ({@link TruckEffect}): World commands, Amazon notices, steps
 * for the shipments aboard, and re-dispatches. They are written with the decision and delivered
 * after it (again after a crash, under the same numbers), by the one {@link EffectRunner}.
 *
 * <p>Everything Amazon hears about a shipment comes from the truck that carries it, on one
 * channel numbered in decision order (accepted, arrived, out for delivery, delivered), and the
 * Amazon outbox stores a channel in that order: so seqnums, and what Amazon sees, follow causal
 * order by construction. A re-dispatch after a refused pickup is sent only once the acceptance it
 * follows is stored.
 *
 * <p>A trip: idle → (pickups assigned) to warehouse → at warehouse → (the trip is full, or the truck
 * waited {@link TripPlanning#consolidationWait()} for more; every cargo loaded; then every shipment
 * fixes its destination) delivering, its drops in the planned order → (last drop) idle. More cargo
 * for the same warehouse joins the trip until loading closes.
 */
public final class Truck
    extends EventSourcedBehaviorWithEnforcedReplies<Truck.Command, Truck.Event, TruckState> {

  public static final String TOPIC_NAME = "truck-changes";

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Truck");

  public enum Phase { IDLE, TO_WAREHOUSE, AT_WAREHOUSE, DELIVERING }

  // --- commands

  public sealed interface Command extends CborSerializable {}

  /** Collect {@code cargo} (one warehouse): taken when idle, or bound for that warehouse and not leaving. */
  public record AssignPickups(List<Cargo> cargo, ActorRef<AssignmentReply> replyTo) implements Command {}
  /** {@code accepted}: the shipments this truck now collects (all or none); {@code truck} after it. */
  public record AssignmentReply(List<Long> accepted, String refusal, Summary truck) implements CborSerializable {}
  /** Amazon put this shipment on the truck. */
  public record ConfirmLoaded(long shipId, ActorRef<LoadReply> replyTo) implements Command {}
  public record LoadReply(boolean accepted, String reason) implements CborSerializable {}
  /** A World item about this truck; answered once its effect is persisted. */
  public record ReportFromWorld(WorldEvent event, ActorRef<Done> replyTo) implements Command {}
  /** The World refused World command {@code number} of this truck (the outbox knows whose it was). */
  public record CommandRefused(long number, String error, ActorRef<Done> replyTo) implements Command {}
  public record GetSummary(ActorRef<Summary> replyTo) implements Command {}
  private record EffectOutcome(EffectRunner.Outcome<Destination> outcome) implements Command {}
  private enum SettleDue implements Command { INSTANCE }
  /** The truck has waited at the warehouse for more shipments long enough. */
  private enum CloseLoading implements Command { INSTANCE }
  /** Write the loads and drops decided since the last write. */
  private enum FlushBatch implements Command { INSTANCE }
  /** Every shipment of the trip said where it goes now. */
  record DestinationsFixed(List<Cargo> cargo) implements Command {}
  record DepartureFailed(String reason) implements Command {}
  /** What the shipment of a delivery this truck does not carry says of itself; null if it did not answer. */
  record DeliveryChecked(WorldEvent.PackageDelivered delivered, Shipment.Summary shipment, ActorRef<Done> replyTo)
      implements Command {}
  enum RetryDeparture implements Command { INSTANCE }

  // --- events

  @JsonSubTypes({
    @JsonSubTypes.Type(value = PickupsAssigned.class, name = "truck.pickups-assigned"),
    @JsonSubTypes.Type(value = ArrivedAtWarehouse.class, name = "truck.arrived-at-warehouse"),
    @JsonSubTypes.Type(value = CargoLoaded.class, name = "truck.cargo-loaded"),
    @JsonSubTypes.Type(value = DeliveryStarted.class, name = "truck.delivery-started"),
    @JsonSubTypes.Type(value = PackageDelivered.class, name = "truck.package-delivered"),
    @JsonSubTypes.Type(value = BecameIdle.class, name = "truck.became-idle"),
    @JsonSubTypes.Type(value = CommandFailed.class, name = "truck.command-failed"),
    @JsonSubTypes.Type(value = EffectsSettled.class, name = "truck.effects-settled"),
    @JsonSubTypes.Type(value = LoadingClosed.class, name = "truck.loading-closed")
  })
  public sealed interface Event extends Persisted {}

  public record PickupsAssigned(List<Cargo> cargo, Instant at) implements Event {}
  public record ArrivedAtWarehouse(int x, int y, Instant at) implements Event {}
  public record CargoLoaded(long shipId, Instant at) implements Event {}
  /** Leaving with {@code cargo}, each with its final destination. */
  public record DeliveryStarted(List<Cargo> cargo, Instant at) implements Event {}
  public record PackageDelivered(long shipId, Instant at) implements Event {}
  public record BecameIdle(int x, int y, Instant at) implements Event {}
  public record CommandFailed(long number, String error, Instant at) implements Event {}
  /** These effects reached their receivers: they leave the log (not a decision, just bookkeeping). */
  public record EffectsSettled(List<Long> ids) implements Event {}
  /** At the warehouse, the trip takes no more shipments: full, or it waited its time for more. */
  public record LoadingClosed(Instant at) implements Event {}

  /** Published on the truck topic after every change, for the dispatcher and live views. */
  public record Changed(Summary truck) implements CborSerializable {}

  // --- the view readers get

  /**
   * The truck as the dispatcher, HTTP and live views see it. {@code position} is the latest the
   * World reported; {@code warehouseId} is 0 when not bound for one; {@code loadingClosed}: at the
   * warehouse and taking no more shipments; {@code route} the points ahead in the order the truck
   * will drive to them (the warehouse while bound for one, then the drops); {@code unitsDriven} its
   * ledger, on the World's metric.
   */
  public record Summary(
      int truckId, Phase phase, String status, Location position, int warehouseId, int cargo, int loaded, int aboard,
      long delivered, String lastError, Instant updatedAt, boolean loadingClosed, List<Location> route, double unitsDriven)
      implements CborSerializable {
    public Summary {
      route = List.copyOf(route);
    }

    /** Idle, or bound for that warehouse and still taking shipments (they batch onto one trip). */
    public boolean canCollectAt(int warehouse) {
      if (phase == Phase.IDLE) return true;
      return warehouseId == warehouse && (phase == Phase.TO_WAREHOUSE || (phase == Phase.AT_WAREHOUSE && !loadingClosed));
    }

    /** The drops ahead after the warehouse this truck is bound for, in planned order. */
    public List<Location> dropsAfterWarehouse() {
      return warehouseId == 0 || route.isEmpty() ? route : route.subList(1, route.size());
    }
  }

  /** What the World last said about the truck's whereabouts: a view only, never persisted. */
  record Report(String status, Location position, Instant at) {}

  // --- behavior

  public static PersistenceId persistenceId(int truckId) {
    return PersistenceId.of(ENTITY_KEY.name(), String.valueOf(truckId));
  }

  /**
   * Registers the trucks (entities of {@link #ENTITY_KEY}); each starts at {@code start.apply(id)}.
   * They are resident: a truck stopped with its node (its shard handed over) may hold effects it
   * has not delivered, and nobody else would start it to send them.
   */
  public static void init(
      Placement placement, IntFunction<Location> start, TruckLinks links, ActorRef<Topic.Command<Changed>> topic,
      TripPlanning planning, Clock clock) {
    placement.initResidentEntities(ENTITY_KEY, entityId -> {
      int id = Integer.parseInt(entityId);
      return create(id, start.apply(id), links, topic, planning, clock);
    });
  }

  public static RecipientRef<Command> entity(Placement placement, int truckId) {
    return placement.entity(ENTITY_KEY, String.valueOf(truckId));
  }

  /** Where each truck publishes its {@link Changed} summaries, on this node. */
  public static ActorRef<Topic.Command<Changed>> initTopic(Placement placement) {
    return placement.spawn(Topic.create(Changed.class, TOPIC_NAME), "truck-topic");
  }

  public static Behavior<Command> create(
      int truckId, Location start, TruckLinks links, ActorRef<Topic.Command<Changed>> topic, TripPlanning planning,
      Clock clock) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(timers -> new Truck(context, timers, truckId, start, links, topic, planning, clock)));
  }

  static final Duration RETRY_DELAY = Duration.ofSeconds(1);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final int truckId;
  private final Location start;
  private final ActorRef<Topic.Command<Changed>> topic;
  private final TripPlanning planning;
  private final Clock clock;
  private final Effects effects;
  private final LoadsAndDrops loadsAndDrops = new LoadsAndDrops();
  private final Departure departure;
  private final StrayDeliveries strayDeliveries;
  private Report report; // transient: the World's latest report

  private Truck(
      ActorContext<Command> context, TimerScheduler<Command> timers, int truckId, Location start, TruckLinks links,
      ActorRef<Topic.Command<Changed>> topic, TripPlanning planning, Clock clock) {
    super(persistenceId(truckId), JournalFailures.restartWithBackoff());
    this.context = context;
    this.timers = timers;
    this.truckId = truckId;
    this.start = start;
    this.topic = topic;
    this.planning = planning;
    this.clock = clock;
    EffectDelivery delivery = new EffectDelivery(context.getSystem(), truckId, links, ASK_TIMEOUT);
    this.departure = new Departure(context, timers, links, truckId, ASK_TIMEOUT);
    this.strayDeliveries = new StrayDeliveries(context, Effect(), truckId, links.shipments(), ASK_TIMEOUT);
    this.effects = new Effects(context, timers, Effect(), delivery, EffectOutcome::new, SettleDue.INSTANCE, RETRY_DELAY);
  }

  @Override
  public TruckState emptyState() {
    return TruckState.initial(truckId, start);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<TruckState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(SnapshotFailed.class, (state, failed) -> JournalFailures.snapshotFailed(context.getLog(), failed))
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // Also after a restart on a failed write (same instance): loads and drops gathered
              // for a write that never happened are void, their senders ask again.
              loadsAndDrops.discard();
              departure.answered();
              // Whatever was decided and not settled before a stop is delivered again.
              effects.deliver(state.effects());
              waitForMore(state);
              departure.prepare(state);
              publish(state);
            })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, TruckState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    // Loads and drops wait for their write: other decisions wait (stashed) until it is done.
    builder.forState(state -> loadsAndDrops.hasDecisions())
        .onCommand(AssignPickups.class, cmd -> Effect().stash())
        .onCommand(DestinationsFixed.class, cmd -> Effect().stash())
        .onCommand(CommandRefused.class, cmd -> Effect().stash())
        .onCommand(CloseLoading.class, cmd -> Effect().stash())
        .onCommand(SettleDue.class, cmd -> Effect().stash())
        .onCommand(ReportFromWorld.class, this::reportDuringBatch);
    builder.forState(state -> state.phase() == Phase.TO_WAREHOUSE)
        .onCommand(ReportFromWorld.class, this::reportOnTheWay);
    builder.forState(state -> state.phase() == Phase.AT_WAREHOUSE)
        .onCommand(ConfirmLoaded.class, this::load)
        .onCommand(DestinationsFixed.class, this::depart)
        .onCommand(CloseLoading.class, this::closeLoading);
    builder.forState(state -> state.phase() == Phase.DELIVERING)
        .onCommand(ReportFromWorld.class, this::reportOnTheRoute);
    // Idle, the truck only takes trips (below, as in every phase).
    builder.forAnyState()
        .onCommand(AssignPickups.class, this::assign)
        .onCommand(ReportFromWorld.class, this::onReport)
        .onCommand(ConfirmLoaded.class, this::refuseLoad)
        .onCommand(DestinationsFixed.class, cmd -> { departure.answered(); return Effect().noReply(); })
        .onCommand(CommandRefused.class, this::onRefused)
        .onCommand(GetSummary.class, (state, cmd) -> Effect().reply(cmd.replyTo(), summary(state)))
        .onCommand(DepartureFailed.class, cmd -> { departure.failed(cmd.reason()); return Effect().noReply(); })
        .onCommand(DeliveryChecked.class, (state, checked) -> strayDeliveries.onChecked(checked))
        .onCommand(RetryDeparture.class, (state, retry) -> { departure.prepare(state); return Effect().noReply(); })
        .onCommand(CloseLoading.class, cmd -> Effect().noReply())
        .onCommand(EffectOutcome.class, (state, cmd) -> effects.onOutcome(cmd.outcome(), state))
        .onCommand(SettleDue.class, (state, cmd) -> effects.settle(state))
        .onCommand(FlushBatch.class, this::flushBatch);
    return builder.build();
  }

  // --- trips

  /**
   * Takes the assignment (an idle truck starts a trip; one under way takes more cargo only for the
   * same warehouse, and only until it leaves). An assignment taken before is answered again.
   */
  private ReplyEffect<Event, TruckState> assign(TruckState state, AssignPickups cmd) {
    List<Cargo> fresh = cmd.cargo().stream().filter(c -> !state.hasTaken(c)).toList();
    Summary now = summary(state);
    if (fresh.isEmpty()) return Effect().reply(cmd.replyTo(), new AssignmentReply(ids(cmd.cargo()), null, now));
    if (!now.canCollectAt(fresh.get(0).warehouse().id())) {
      String why = now.loadingClosed() ? "leaving the warehouse" : now.status();
      return Effect().reply(cmd.replyTo(), new AssignmentReply(List.of(), "truck " + truckId + " is " + why, now));
    }
    List<Event> decisions = new ArrayList<>(List.of(new PickupsAssigned(fresh, now())));
    // Joining a truck that waits at the warehouse: a trip that is full now leaves once loaded.
    if (state.trip().isWaitingForMore() && planning.leavesAtOnce(state.trip().cargo().size() + fresh.size())) {
      decisions.add(new LoadingClosed(now()));
    }
    return decide(state, decisions)
        .thenReply(cmd.replyTo(), s -> new AssignmentReply(ids(cmd.cargo()), null, summary(s)));
  }

  private ReplyEffect<Event, TruckState> load(TruckState state, ConfirmLoaded cmd) {
    if (state.cargo(cmd.shipId()).isEmpty()) return refuseLoad(state, cmd);
    if (state.trip().loaded().contains(cmd.shipId()) || loadsAndDrops.hasLoad(cmd.shipId())) {
      return inBatch(loadsAndDrops.answerWithBatch(() -> cmd.replyTo().tell(new LoadReply(true, "already loaded"))));
    }
    return inBatch(loadsAndDrops.load(cmd.shipId(), () -> cmd.replyTo().tell(new LoadReply(true, "loaded"))));
  }

  private ReplyEffect<Event, TruckState> refuseLoad(TruckState state, ConfirmLoaded cmd) {
    if (state.isAboard(cmd.shipId())) return Effect().reply(cmd.replyTo(), new LoadReply(true, "already out for delivery"));
    String reason =
        state.cargo(cmd.shipId()).isPresent()
            ? "truck " + truckId + " has not arrived at the warehouse yet"
            : "shipment " + cmd.shipId() + " is not assigned to truck " + truckId;
    return Effect().reply(cmd.replyTo(), new LoadReply(false, reason));
  }

  /** Out with the fixed destinations, in the order that drives the fewest units from the warehouse. */
  private ReplyEffect<Event, TruckState> depart(TruckState state, DestinationsFixed cmd) {
    departure.answered();
    if (!state.trip().isLeaving() || !ids(state.trip().cargo()).equals(ids(cmd.cargo()))) return Effect().noReply();
    List<Location> drops = cmd.cargo().stream().map(Cargo::destination).toList();
    List<Cargo> inOrder = planning.planner().plan(state.trip().warehouse().location(), drops).applyTo(cmd.cargo());
    return decide(state, List.of(new DeliveryStarted(inOrder, now()))).thenNoReply();
  }

  /** A truck that arrived with room left waits a while for more shipments; a full one does not. */
  private void waitForMore(TruckState state) {
    if (state.trip().isWaitingForMore()) timers.startSingleTimer(CloseLoading.INSTANCE, planning.consolidationWait());
  }

  private ReplyEffect<Event, TruckState> closeLoading(TruckState state, CloseLoading close) {
    if (!state.trip().isWaitingForMore()) return Effect().noReply();
    return decide(state, List.of(new LoadingClosed(now()))).thenRun(departure::prepare).thenNoReply();
  }

  // --- what the World says

  private ReplyEffect<Event, TruckState> reportDuringBatch(TruckState state, ReportFromWorld cmd) {
    boolean dropAboard = cmd.event() instanceof WorldEvent.PackageDelivered delivered && state.isAboard(delivered.packageId());
    if (dropAboard || cmd.event() instanceof WorldEvent.TruckReport) return onReport(state, cmd);
    return Effect().stash();
  }

  private ReplyEffect<Event, TruckState> reportOnTheWay(TruckState state, ReportFromWorld cmd) {
    if (!(cmd.event() instanceof WorldEvent.Finished finished && finished.arrivedAtWarehouse())) return onReport(state, cmd);
    List<Event> decisions = new ArrayList<>(List.of(new ArrivedAtWarehouse(finished.x(), finished.y(), now())));
    if (planning.leavesAtOnce(state.trip().cargo().size())) decisions.add(new LoadingClosed(now()));
    return decide(state, decisions).thenRun(this::waitForMore).thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  private ReplyEffect<Event, TruckState> reportOnTheRoute(TruckState state, ReportFromWorld cmd) {
    if (!(cmd.event() instanceof WorldEvent.Finished finished && !finished.arrivedAtWarehouse())) return onReport(state, cmd);
    return decide(state, List.of(new BecameIdle(finished.x(), finished.y(), now()))).thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  /** Drops and positions, in any phase; anything else is a repeat or arrives after the fact: acknowledged. */
  private ReplyEffect<Event, TruckState> onReport(TruckState state, ReportFromWorld cmd) {
    if (cmd.event() instanceof WorldEvent.PackageDelivered delivered) {
      long shipId = delivered.packageId();
      if (state.isAboard(shipId)) return inBatch(loadsAndDrops.drop(shipId, () -> cmd.replyTo().tell(Done.getInstance())));
      return strayDeliveries.check(state, delivered, cmd.replyTo());
    }
    if (cmd.event() instanceof WorldEvent.TruckReport position) {
      // Where the truck is matters to people watching, not to the trip: kept in memory only.
      report = new Report(position.status(), new Location(position.x(), position.y()), now());
      publish(state);
    }
    return Effect().reply(cmd.replyTo(), Done.getInstance());
  }

  private ReplyEffect<Event, TruckState> onRefused(TruckState state, CommandRefused cmd) {
    context.getLog().warn("World refused truck {}'s command {}: {}", truckId, cmd.number(), cmd.error());
    return decide(state, List.of(new CommandFailed(cmd.number(), cmd.error(), now())))
        .thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  // --- loads and drops: group commit

  private ReplyEffect<Event, TruckState> inBatch(boolean flushNeeded) {
    if (flushNeeded) context.getSelf().tell(FlushBatch.INSTANCE);
    return Effect().noReply();
  }

  private ReplyEffect<Event, TruckState> flushBatch(TruckState state, FlushBatch flush) {
    LoadsAndDrops.Batch batch = loadsAndDrops.flush(now());
    if (batch.events().isEmpty()) {
      batch.replies().forEach(Runnable::run);
      return Effect().noReply().thenUnstashAll();
    }
    return decide(state, batch.events())
        .thenRun(after -> batch.replies().forEach(Runnable::run))
        .thenRun(departure::prepare)
        .thenNoReply()
        .thenUnstashAll();
  }

  // --- effects and views

  /** One write of decisions; then their effects are delivered and the topic told. */
  private EffectBuilder<Event, TruckState> decide(TruckState state, List<Event> decisions) {
    return effects.decide(state, decisions).thenRun(this::publish);
  }

  private void publish(TruckState state) {
    topic.tell(Topic.publish(new Changed(summary(state))));
  }

  private Summary summary(TruckState state) {
    return state.summary(report, planning.planner());
  }

  private Instant now() {
    return clock.instant();
  }

  private static List<Long> ids(List<Cargo> cargo) {
    return cargo.stream().map(Cargo::shipId).toList();
  }

  /** Every event moves the state on; one that moves the truck adds its way there to the ledger. */
  @Override
  public EventHandler<TruckState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent((state, event) -> apply(state, event).drivenFrom(state.position(), planning.planner().metric()));
  }

  private static TruckState apply(TruckState state, Event event) {
    if (event instanceof PickupsAssigned e) return state.assign(e.cargo(), e.at());
    if (event instanceof ArrivedAtWarehouse e) return state.arrive(e.x(), e.y(), e.at());
    if (event instanceof CargoLoaded e) return state.load(e.shipId(), e.at());
    if (event instanceof DeliveryStarted e) return state.depart(e.cargo(), e.at());
    if (event instanceof PackageDelivered e) return state.delivered(e.shipId(), e.at());
    if (event instanceof BecameIdle e) return state.becomeIdle(e.x(), e.y(), e.at());
    if (event instanceof CommandFailed e) return state.fail(e.number(), e.error(), e.at());
    if (event instanceof EffectsSettled e) return state.settle(e.ids());
    return state.closeLoading(((LoadingClosed) event).at());
  }

}
