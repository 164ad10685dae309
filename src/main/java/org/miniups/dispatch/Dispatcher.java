package org.miniups.dispatch;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.miniups.truck.Truck;

/**
 * Assigns shipments to trucks. Shipments wait in a queue, in arrival order, until the policy finds
 * a truck; none is ever lost when no truck is free. The chosen truck is recorded before it is
 * asked, so after a crash the same truck is asked again (it answers idempotently) rather than a
 * second truck being sent. One assignment is in flight at a time: each answer carries the truck's
 * new state, so the next choice sees it.
 */
public final class Dispatcher
    extends EventSourcedBehavior<Dispatcher.Command, Dispatcher.Event, Dispatcher.State> {

  public sealed interface Command extends CborSerializable {}

  /** Find a truck for {@code cargo}; answered once it is queued (or known). */
  public record Dispatch(Truck.Cargo cargo, ActorRef<Done> replyTo) implements Command {}

  public record GetQueue(ActorRef<State> replyTo) implements Command {}

  private record FleetChanged(Truck.State truck) implements Command {}

  /** Ask this truck where it is (again, when it did not answer). */
  private record LearnTruck(int truckId) implements Command {}

  private record Offer(long shipId, int truckId) implements Command {}

  private record Answered(long shipId, int truckId, Truck.AssignmentReply reply, String failure)
      implements Command {}

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Queued.class, name = "dispatcher.queued"),
    @JsonSubTypes.Type(value = Offered.class, name = "dispatcher.offered"),
    @JsonSubTypes.Type(value = Assigned.class, name = "dispatcher.assigned"),
    @JsonSubTypes.Type(value = Declined.class, name = "dispatcher.declined")
  })
  public sealed interface Event extends Persisted {}

  public record Queued(Truck.Cargo cargo) implements Event {}

  public record Offered(long shipId, int truckId) implements Event {}

  public record Assigned(long shipId, int truckId) implements Event {}

  public record Declined(long shipId, int truckId) implements Event {}

  /**
   * @param queue shipments without a truck, in arrival order
   * @param offer the shipment currently offered to a truck, if any (its truck in {@code offeredTo})
   * @param done keys ("shipId#attempt") of recent assignments, so a repeated request changes nothing
   */
  public record State(List<Truck.Cargo> queue, Long offer, int offeredTo, List<String> done)
      implements Persisted {
    public State {
      queue = List.copyOf(queue);
      done = List.copyOf(done);
    }

    static final int DONE_MEMORY = 10_000;

    static String key(Truck.Cargo cargo) {
      return cargo.shipId() + "#" + cargo.attempt();
    }

    boolean knows(Truck.Cargo cargo) {
      return done.contains(key(cargo)) || queue.stream().anyMatch(c -> key(c).equals(key(cargo)));
    }

    Optional<Truck.Cargo> offered() {
      return offer == null ? Optional.empty() : queue.stream().filter(c -> c.shipId() == offer).findFirst();
    }

    State enqueue(Truck.Cargo cargo) {
      List<Truck.Cargo> more = new ArrayList<>(queue);
      more.removeIf(c -> c.shipId() == cargo.shipId()); // a newer attempt replaces an older one
      more.add(cargo);
      return new State(more, offer, offeredTo, done);
    }

    State offer(long shipId, int truckId) {
      return new State(queue, shipId, truckId, done);
    }

    State assigned(long shipId) {
      List<Truck.Cargo> rest = new ArrayList<>();
      List<String> remembered = new ArrayList<>(done);
      for (Truck.Cargo c : queue) {
        if (c.shipId() == shipId) remembered.add(key(c));
        else rest.add(c);
      }
      while (remembered.size() > DONE_MEMORY) remembered.remove(0);
      return new State(rest, null, 0, remembered);
    }

    State declined() {
      return new State(queue, null, 0, done);
    }
  }

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("dispatcher");

  public static Behavior<Command> create(
      PersistenceId persistenceId,
      DispatchPolicy policy,
      List<Integer> fleet,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      ActorRef<Topic.Command<Truck.Changed>> truckTopic,
      Duration askTimeout) {
    return Behaviors.setup(
        context -> new Dispatcher(persistenceId, context, policy, fleet, trucks, truckTopic, askTimeout));
  }

  private final ActorContext<Command> context;
  private final DispatchPolicy policy;
  private final List<Integer> fleet;
  private final IntFunction<RecipientRef<Truck.Command>> trucks;
  private final Duration askTimeout;
  // Transient: the latest state each truck reported, and trucks that just declined.
  private final Map<Integer, Truck.State> view = new HashMap<>();
  private final LinkedHashSet<Integer> declinedSinceChange = new LinkedHashSet<>();
  private boolean asking;

  private Dispatcher(
      PersistenceId persistenceId,
      ActorContext<Command> context,
      DispatchPolicy policy,
      List<Integer> fleet,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      ActorRef<Topic.Command<Truck.Changed>> truckTopic,
      Duration askTimeout) {
    super(persistenceId);
    this.context = context;
    this.policy = policy;
    this.fleet = List.copyOf(fleet);
    this.trucks = trucks;
    this.askTimeout = askTimeout;
    truckTopic.tell(Topic.subscribe(context.messageAdapter(Truck.Changed.class, c -> new FleetChanged(c.state()))));
  }

  @Override
  public State emptyState() {
    return new State(List.of(), null, 0, List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(500, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // Learn where every truck is before choosing; re-ask the truck of an open offer.
              fleet.forEach(this::learn);
              state.offered().ifPresent(cargo -> ask(cargo, state.offeredTo()));
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
        .onCommand(Offer.class, this::onOffer)
        .onCommand(Answered.class, this::onAnswered)
        .onCommand(GetQueue.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  private Effect<Event, State> onDispatch(State state, Dispatch cmd) {
    if (state.knows(cmd.cargo())) return Effect().reply(cmd.replyTo(), Done.getInstance());
    return Effect()
        .persist(new Queued(cmd.cargo()))
        .thenRun(this::dispatchNext)
        .thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  private void learn(int truckId) {
    context.pipeToSelf(
        AskPattern.<Truck.Command, Truck.State>ask(trucks.apply(truckId), Truck.GetState::new, askTimeout, context.getSystem().scheduler()),
        (truck, failure) -> truck != null ? new FleetChanged(truck) : new LearnTruck(truckId));
  }

  private Effect<Event, State> onFleetChanged(State state, FleetChanged changed) {
    view.put(changed.truck().truckId(), changed.truck());
    declinedSinceChange.remove(changed.truck().truckId());
    dispatchNext(state);
    return Effect().none();
  }

  /** Records the chosen truck before asking it, so a crash re-asks the same one. */
  private Effect<Event, State> onOffer(State state, Offer offer) {
    Optional<Truck.Cargo> cargo =
        state.queue().stream().filter(c -> c.shipId() == offer.shipId()).findFirst();
    if (state.offer() != null || cargo.isEmpty()) {
      asking = false;
      return Effect().none();
    }
    return Effect()
        .persist(new Offered(offer.shipId(), offer.truckId()))
        .thenRun(s -> ask(cargo.get(), offer.truckId()));
  }

  private Effect<Event, State> onAnswered(State state, Answered answer) {
    asking = false;
    if (state.offer() == null || state.offer() != answer.shipId()) return Effect().none();
    if (answer.reply() != null) view.put(answer.truckId(), answer.reply().state());
    if (answer.reply() != null && answer.reply().accepted()) {
      return Effect().persist(new Assigned(answer.shipId(), answer.truckId())).thenRun(this::dispatchNext);
    }
    if (answer.failure() != null) {
      // The truck did not answer (restarting?): ask it again; the offer stands.
      context.getLog().warn("Truck {} did not answer an offer ({}); asking again", answer.truckId(), answer.failure());
      state.offered().ifPresent(cargo -> ask(cargo, answer.truckId()));
      return Effect().none();
    }
    declinedSinceChange.add(answer.truckId());
    return Effect().persist(new Declined(answer.shipId(), answer.truckId())).thenRun(this::dispatchNext);
  }

  /** Offers the oldest shipment that some truck can take; the rest wait their turn. */
  private void dispatchNext(State state) {
    // "Soonest" needs the whole fleet: until every truck has reported, nobody is chosen.
    if (asking || state.offer() != null || view.size() < fleet.size()) return;
    List<Truck.State> available =
        view.values().stream().filter(t -> !declinedSinceChange.contains(t.truckId())).toList();
    for (Truck.Cargo cargo : state.queue()) {
      Optional<Integer> truck = policy.choose(cargo, available);
      if (truck.isPresent()) {
        context.getSelf().tell(new Offer(cargo.shipId(), truck.get()));
        asking = true;
        return;
      }
    }
  }

  private void ask(Truck.Cargo cargo, int truckId) {
    asking = true;
    context.pipeToSelf(
        AskPattern.<Truck.Command, Truck.AssignmentReply>ask(
            trucks.apply(truckId),
            replyTo -> new Truck.AssignPickup(cargo, replyTo),
            askTimeout,
            context.getSystem().scheduler()),
        (reply, failure) ->
            new Answered(cargo.shipId(), truckId, reply, failure == null ? null : String.valueOf(failure)));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Queued.class, (state, e) -> state.enqueue(e.cargo()))
        .onEvent(Offered.class, (state, e) -> state.offer(e.shipId(), e.truckId()))
        .onEvent(Assigned.class, (state, e) -> state.assigned(e.shipId()))
        .onEvent(Declined.class, (state, e) -> state.declined())
        .build();
  }
}
