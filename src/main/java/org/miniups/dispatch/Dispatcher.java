package org.miniups.dispatch;

import org.miniups.truck.Cargo;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.miniups.Placement;
import org.miniups.persistence.JournalFailures;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.miniups.link.Backoff;
import org.miniups.persistence.GroupCommit;
import org.miniups.truck.Truck;
import org.miniups.truck.TripPlanning;

/**
 * Assigns shipments to trucks. Shipments wait in a queue, in arrival order, until the policy finds
 * a truck; none is ever lost when no truck is free. Each planning round offers every truck that has
 * room its share of the queue in one offer (counting what it was offered and has not answered
 * yet), and the offers are recorded before the trucks are asked, so after a crash the same trucks
 * are asked again (they answer idempotently) rather than a second truck being sent.
 *
 * <p>A shipment dispatched again (the World refused its pickup) is held back before it is offered:
 * {@code redispatch-backoff-min}, doubled per retry, at most {@code redispatch-backoff-max}, so a
 * pickup the World keeps refusing is not retried in a tight loop. The hold is a timer, and the rest
 * of the queue is planned meanwhile. The held shipment is in the recorded queue: after a restart it
 * is held back for its whole delay again (from the restart), then offered.
 *
 * <p>Group commit: shipments queued, trucks' answers and the next round's offers that come up
 * while a write is in flight all go into the next single write.
 */
public final class Dispatcher
    extends EventSourcedBehavior<Dispatcher.Command, Dispatcher.Event, Dispatcher.State> {

  public sealed interface Command extends CborSerializable {}

  /** Find a truck for {@code cargo}; answered once it is queued (or known). */
  public record Dispatch(Cargo cargo, ActorRef<Done> replyTo) implements Command {}

  public record GetQueue(ActorRef<QueueView> replyTo) implements Command {}

  /** Shipments waiting for a truck, and those offered to a truck that has not answered yet. */
  public record QueueView(List<Long> waiting, Map<Integer, List<Long>> offered) implements CborSerializable {}

  private record FleetChanged(Truck.Summary truck) implements Command {}

  /** Ask this truck where it is (again, when it did not answer). */
  private record LearnTruck(int truckId) implements Command {}

  private record TruckAnswered(Offer offer, Truck.AssignmentReply reply, String failure) implements Command {}

  private record AskAgain(Offer offer) implements Command {}

  /** A re-dispatched shipment has waited its delay: it may be offered now. */
  private record RetryDue(long shipId) implements Command {}

  /** How long a re-dispatched shipment waits: {@code min} on the first retry, doubled per retry, at most {@code max}. */
  public record RetryBackoff(Duration min, Duration max) {
    Duration before(int attempt) {
      return Backoff.exponential(min, max, attempt);
    }
  }

  private enum Flush implements Command {
    INSTANCE
  }

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Queued.class, name = "dispatcher.queued"),
    @JsonSubTypes.Type(value = Offered.class, name = "dispatcher.offered"),
    @JsonSubTypes.Type(value = Answered.class, name = "dispatcher.answered")
  })
  public sealed interface Event extends Persisted {}

  public record Queued(List<Cargo> cargo) implements Event {}

  public record Offered(List<Offer> offers) implements Event {}

  /** Trucks answered offers: what each took; the rest of the offer waits again. */
  public record Answered(List<Answer> answers) implements Event {}

  public record Offer(int truckId, List<Long> shipIds) implements CborSerializable {}

  public record Answer(Offer offer, List<Long> accepted) implements CborSerializable {}

  /**
   * @param queue shipments without a truck, in arrival order (offered ones included)
   * @param offers offers a truck has not answered yet
   * @param done keys ("shipId#attempt") of recent assignments, so a repeated request changes nothing
   */
  public record State(List<Cargo> queue, List<Offer> offers, List<String> done) implements Persisted {
    public State {
      queue = List.copyOf(queue);
      offers = List.copyOf(offers);
      done = List.copyOf(done);
    }

    static final int DONE_MEMORY = 20_000;

    /** Keys of everything queued or done: what a repeated request is recognised by. */
    Set<String> knownKeys() {
      Set<String> keys = new HashSet<>(done);
      queue.forEach(c -> keys.add(c.assignmentKey()));
      return keys;
    }

    boolean isOpen(Offer offer) {
      return offers.contains(offer);
    }

    Set<Long> offeredShipIds() {
      Set<Long> ids = new HashSet<>();
      offers.forEach(o -> ids.addAll(o.shipIds()));
      return ids;
    }

    List<Cargo> cargo(List<Long> shipIds) {
      return queue.stream().filter(c -> shipIds.contains(c.shipId())).toList();
    }

    QueueView view() {
      Set<Long> offered = offeredShipIds();
      Map<Integer, List<Long>> byTruck = new LinkedHashMap<>();
      offers.forEach(o -> byTruck.computeIfAbsent(o.truckId(), id -> new ArrayList<>()).addAll(o.shipIds()));
      return new QueueView(queue.stream().map(Cargo::shipId).filter(id -> !offered.contains(id)).toList(), byTruck);
    }

    State enqueue(Queued e) {
      Set<Long> incoming = new HashSet<>();
      e.cargo().forEach(c -> incoming.add(c.shipId()));
      // A newer attempt replaces an older one.
      List<Cargo> more = new ArrayList<>(queue.stream().filter(c -> !incoming.contains(c.shipId())).toList());
      more.addAll(e.cargo());
      return new State(more, offers, done);
    }

    State offer(Offered e) {
      List<Offer> more = new ArrayList<>(offers);
      more.addAll(e.offers());
      return new State(queue, more, done);
    }

    State answer(Answered e) {
      List<Offer> open = new ArrayList<>(offers);
      Set<Long> taken = new HashSet<>();
      for (Answer answer : e.answers()) {
        open.remove(answer.offer());
        taken.addAll(answer.accepted());
      }
      List<Cargo> rest = new ArrayList<>();
      List<String> remembered = new ArrayList<>(done);
      for (Cargo c : queue) {
        if (taken.contains(c.shipId())) remembered.add(c.assignmentKey());
        else rest.add(c);
      }
      List<String> recent = remembered.subList(Math.max(0, remembered.size() - DONE_MEMORY), remembered.size());
      return new State(rest, open, recent);
    }

    /** The event handler's, and how a flush foresees the state its events lead to. */
    State apply(Event event) {
      if (event instanceof Queued e) return enqueue(e);
      if (event instanceof Offered e) return offer(e);
      return answer((Answered) event);
    }
  }

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("dispatcher");

  /** The cluster's one dispatcher, planning trips as {@code planning} says (cheapest insertion). */
  public static ActorRef<Command> init(
      Placement placement,
      List<Integer> fleet,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      ActorRef<Topic.Command<Truck.Changed>> truckTopic,
      TripPlanning planning,
      Duration askTimeout,
      MeterRegistry metrics) {
    com.typesafe.config.Config config = placement.system().settings().config().getConfig("mini-ups.dispatch");
    RetryBackoff backoff =
        new RetryBackoff(config.getDuration("redispatch-backoff-min"), config.getDuration("redispatch-backoff-max"));
    DispatchPolicy policy = DispatchPolicy.cheapestInsertion(planning.planner(), planning.maxShipments());
    return placement.singleton(
        create(PERSISTENCE_ID, policy, fleet, trucks, truckTopic, askTimeout, backoff, metrics), "dispatcher");
  }

  public static Behavior<Command> create(
      PersistenceId persistenceId,
      DispatchPolicy policy,
      List<Integer> fleet,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      ActorRef<Topic.Command<Truck.Changed>> truckTopic,
      Duration askTimeout,
      RetryBackoff retryBackoff,
      MeterRegistry metrics) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new Dispatcher(
                        persistenceId, context, timers, policy, fleet, trucks, truckTopic, askTimeout, retryBackoff, metrics)));
  }

  private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final DispatchPolicy policy;
  private final List<Integer> fleet;
  private final IntFunction<RecipientRef<Truck.Command>> trucks;
  private final Duration askTimeout;
  private final RetryBackoff retryBackoff;
  private final Counter retries;
  // Transient: what waits for the next write, the latest state each truck reported, and trucks
  // that declined and have not changed since.
  private final GroupCommit<Runnable> batch = new GroupCommit<>();
  private final List<Cargo> toQueue = new ArrayList<>();
  private final List<Answer> answers = new ArrayList<>();
  private final Map<Integer, Truck.Summary> view = new HashMap<>();
  private final Set<Integer> declinedSinceChange = new HashSet<>();
  private final Set<Long> heldBack = new HashSet<>();
  private State indexed;
  private Set<String> knownKeys = Set.of();

  private Dispatcher(
      PersistenceId persistenceId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      DispatchPolicy policy,
      List<Integer> fleet,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      ActorRef<Topic.Command<Truck.Changed>> truckTopic,
      Duration askTimeout,
      RetryBackoff retryBackoff,
      MeterRegistry metrics) {
    super(persistenceId, JournalFailures.restartWithBackoff());
    this.context = context;
    this.timers = timers;
    this.policy = policy;
    this.fleet = List.copyOf(fleet);
    this.trucks = trucks;
    this.askTimeout = askTimeout;
    this.retryBackoff = retryBackoff;
    this.retries =
        Counter.builder("miniups.dispatch.retries")
            .description("Shipments dispatched again because the World refused their pickup")
            .register(metrics);
    truckTopic.tell(Topic.subscribe(context.messageAdapter(Truck.Changed.class, c -> new FleetChanged(c.truck()))));
  }

  @Override
  public State emptyState() {
    return new State(List.of(), List.of(), List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(SnapshotFailed.class, (state, failed) -> JournalFailures.snapshotFailed(context.getLog(), failed))
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // Learn where every truck is before choosing; re-ask the trucks of open offers.
              fleet.forEach(this::learn);
              state.offers().forEach(offer -> ask(state, offer));
              Set<Long> offered = state.offeredShipIds();
              state.queue().stream().filter(c -> c.attempt() > 0 && !offered.contains(c.shipId())).forEach(this::holdBack);
            })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Dispatch.class, this::onDispatch)
        .onCommand(FleetChanged.class, this::onFleetChanged)
        .onCommand(LearnTruck.class, (state, cmd) -> {
          learn(cmd.truckId());
          return Effect().none();
        })
        .onCommand(TruckAnswered.class, this::onTruckAnswered)
        .onCommand(AskAgain.class, (state, cmd) -> {
          if (state.isOpen(cmd.offer())) ask(state, cmd.offer());
          return Effect().none();
        })
        .onCommand(RetryDue.class, (state, due) -> heldBack.remove(due.shipId()) ? waitForWrite(() -> {}) : Effect().none())
        .onCommand(Flush.class, this::onFlush)
        .onCommand(GetQueue.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.view()))
        .build();
  }

  private Effect<Event, State> onDispatch(State state, Dispatch cmd) {
    if (indexed != state) {
      // Rebuilt once per write, not per request.
      indexed = state;
      knownKeys = state.knownKeys();
      toQueue.forEach(c -> knownKeys.add(c.assignmentKey()));
    }
    if (knownKeys.add(cmd.cargo().assignmentKey())) {
      toQueue.add(cmd.cargo());
      if (cmd.cargo().attempt() > 0) {
        retries.increment();
        holdBack(cmd.cargo());
      }
    }
    return waitForWrite(() -> cmd.replyTo().tell(Done.getInstance()));
  }

  /** Not offered until its retry's delay has passed (a planning round then follows). */
  private void holdBack(Cargo cargo) {
    Duration delay = retryBackoff.before(cargo.attempt());
    heldBack.add(cargo.shipId());
    timers.startSingleTimer(new RetryDue(cargo.shipId()), new RetryDue(cargo.shipId()), delay);
    context.getLog().info("Shipment {}: dispatching again (retry {}) in {}", cargo.shipId(), cargo.attempt(), Backoff.describe(delay));
  }

  private void learn(int truckId) {
    context.pipeToSelf(
        AskPattern.<Truck.Command, Truck.Summary>ask(trucks.apply(truckId), Truck.GetSummary::new, askTimeout, context.getSystem().scheduler()),
        (truck, failure) -> truck != null ? new FleetChanged(truck) : new LearnTruck(truckId));
  }

  private Effect<Event, State> onFleetChanged(State state, FleetChanged changed) {
    Truck.Summary before = view.put(changed.truck().truckId(), changed.truck());
    declinedSinceChange.remove(changed.truck().truckId());
    // Only a truck that could now take more is worth a planning round.
    boolean couldTakeMore = before == null || changed.truck().cargo() < before.cargo() || changed.truck().phase() != before.phase();
    return couldTakeMore && !state.queue().isEmpty() ? waitForWrite(() -> {}) : Effect().none();
  }

  private Effect<Event, State> onTruckAnswered(State state, TruckAnswered answered) {
    Offer offer = answered.offer();
    if (!state.isOpen(offer) || answers.stream().anyMatch(a -> a.offer().equals(offer))) return Effect().none(); // stale
    if (answered.reply() == null) {
      // The truck did not answer (restarting?): ask it again in a moment; the offer stands.
      context.getLog().warn("Truck {} did not answer an offer ({}); asking again", offer.truckId(), answered.failure());
      timers.startSingleTimer(offer, new AskAgain(offer), RETRY_DELAY);
      return Effect().none();
    }
    view.put(offer.truckId(), answered.reply().truck());
    if (answered.reply().accepted().isEmpty()) declinedSinceChange.add(offer.truckId());
    answers.add(new Answer(offer, answered.reply().accepted()));
    return waitForWrite(() -> {});
  }

  private Effect<Event, State> waitForWrite(Runnable reply) {
    if (batch.add(reply)) context.getSelf().tell(Flush.INSTANCE);
    return Effect().none();
  }

  /** One write: what was queued and answered meanwhile, and the offers that follow from it. */
  private Effect<Event, State> onFlush(State state, Flush flush) {
    List<Runnable> replies = batch.drain();
    List<Event> events = new ArrayList<>();
    if (!toQueue.isEmpty()) events.add(new Queued(List.copyOf(toQueue)));
    if (!answers.isEmpty()) events.add(new Answered(List.copyOf(answers)));
    toQueue.clear();
    answers.clear();
    State next = state;
    for (Event event : events) next = next.apply(event);
    List<Offer> offers = plan(next);
    if (!offers.isEmpty()) events.add(new Offered(offers));
    if (events.isEmpty()) {
      replies.forEach(Runnable::run);
      return Effect().none();
    }
    return Effect()
        .persist(events)
        .thenRun(
            after -> {
              replies.forEach(Runnable::run);
              offers.forEach(offer -> ask(after, offer));
            });
  }

  /**
   * Offers each truck with room its share of the queue, oldest shipments first. What a truck was
   * offered and has not answered yet counts as planned for it, so a trip keeps filling up.
   */
  private List<Offer> plan(State state) {
    // "Soonest" needs the whole fleet: until every truck has reported, nobody is chosen.
    if (view.size() < fleet.size() || state.queue().isEmpty()) return List.of();
    Set<Long> offered = state.offeredShipIds();
    Map<Long, Cargo> queued = new HashMap<>();
    state.queue().forEach(c -> queued.put(c.shipId(), c));
    Map<Integer, DispatchPolicy.Candidate> candidates = new LinkedHashMap<>();
    for (Truck.Summary truck : view.values()) {
      if (!declinedSinceChange.contains(truck.truckId())) candidates.put(truck.truckId(), DispatchPolicy.Candidate.of(truck));
    }
    for (Offer open : state.offers()) {
      for (long shipId : open.shipIds()) {
        Cargo pending = queued.get(shipId);
        if (pending != null) candidates.computeIfPresent(open.truckId(), (id, c) -> c.planning(pending));
      }
    }
    Map<Integer, List<Long>> planned = new LinkedHashMap<>();
    // Trucks only lose room during a round: a warehouse no truck can serve stays so until the end.
    Set<Integer> unservable = new HashSet<>();
    for (Cargo cargo : state.queue()) {
      if (candidates.isEmpty()) break;
      if (offered.contains(cargo.shipId()) || heldBack.contains(cargo.shipId()) || unservable.contains(cargo.warehouse().id())) continue;
      Optional<Integer> truck = policy.choose(cargo, candidates.values());
      if (truck.isEmpty()) {
        unservable.add(cargo.warehouse().id());
        continue;
      }
      candidates.computeIfPresent(truck.get(), (id, chosen) -> chosen.planning(cargo));
      planned.computeIfAbsent(truck.get(), id -> new ArrayList<>()).add(cargo.shipId());
    }
    List<Offer> offers = new ArrayList<>();
    planned.forEach((truck, ids) -> offers.add(new Offer(truck, ids)));
    return offers;
  }

  private void ask(State state, Offer offer) {
    List<Cargo> cargo = state.cargo(offer.shipIds());
    context.pipeToSelf(
        AskPattern.<Truck.Command, Truck.AssignmentReply>ask(
            trucks.apply(offer.truckId()),
            replyTo -> new Truck.AssignPickups(cargo, replyTo),
            askTimeout,
            context.getSystem().scheduler()),
        (reply, failure) -> new TruckAnswered(offer, reply, failure == null ? null : String.valueOf(failure)));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(State::apply);
  }
}
