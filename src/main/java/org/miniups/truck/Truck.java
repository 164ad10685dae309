package org.miniups.truck;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.miniups.amazon.AmazonNotice;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

/**
 * One truck of our fleet, event-sourced. It decides what the truck does next and records it; the
 * World commands that follow from a decision are part of the persisted state until the outbox has
 * stored them, so a crash between the two re-sends them instead of losing them.
 *
 * <p>A trip: idle → (pickup assigned) to warehouse → at warehouse → (every cargo loaded, then
 * every destination frozen by its shipment) delivering → (last drop) idle. More cargo for the same
 * warehouse joins the trip until the truck leaves. Every step is reported to the shipments
 * concerned, and the arrival to Amazon, through the same persisted side effects as World commands.
 */
public final class Truck extends EventSourcedBehavior<Truck.Command, Truck.Event, Truck.State> {

  public static final String TOPIC_NAME = "truck-changes";

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Truck");

  public record Location(int x, int y) implements CborSerializable {
    public double distanceTo(Location other) {
      return Math.hypot(x - other.x, y - other.y);
    }
  }

  public record Warehouse(int id, int x, int y) implements CborSerializable {
    public Location location() {
      return new Location(x, y);
    }
  }

  /**
   * A shipment this truck collects at {@code warehouse}; {@code destination} is Amazon's, the
   * shipment has the last word when the truck leaves. {@code attempt} counts dispatches of the
   * same shipment (a refused pickup dispatches it again).
   */
  public record Cargo(long shipId, Warehouse warehouse, Location destination, boolean loaded, int attempt)
      implements CborSerializable {
    public Cargo(long shipId, Warehouse warehouse, Location destination) {
      this(shipId, warehouse, destination, false, 0);
    }

    Cargo markLoaded() {
      return new Cargo(shipId, warehouse, destination, true, attempt);
    }

    Cargo nextAttempt() {
      return new Cargo(shipId, warehouse, destination, false, attempt + 1);
    }
  }

  /** Where the side effects of a truck go. */
  public record Links(
      ActorRef<ResendSupervisor.Command> worldOutbox,
      ActorRef<ResendSupervisor.Command> amazonOutbox,
      java.util.function.LongFunction<RecipientRef<Shipment.Command>> shipments,
      RecipientRef<Dispatcher.Command> dispatcher) {}

  public enum Phase {
    IDLE,
    TO_WAREHOUSE,
    AT_WAREHOUSE,
    DELIVERING
  }

  /** A side effect decided by an event, kept until its receiver confirms it. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = ToWorld.class, name = "to-world"),
    @JsonSubTypes.Type(value = ToAmazon.class, name = "to-amazon"),
    @JsonSubTypes.Type(value = ToShipment.class, name = "to-shipment"),
    @JsonSubTypes.Type(value = ToDispatcher.class, name = "to-dispatcher")
  })
  public sealed interface Outbound extends CborSerializable {}

  public record ToWorld(WorldCommand command) implements Outbound {}

  public record ToAmazon(AmazonNotice notice) implements Outbound {}

  public record ToShipment(long shipId, Shipment.Step step) implements Outbound {}

  public record ToDispatcher(Cargo cargo) implements Outbound {}

  public record PendingOutbound(long id, Outbound outbound) implements CborSerializable {}

  // --- commands

  public sealed interface Command extends CborSerializable {}

  /** Collect {@code cargo}: accepted when idle, or already bound for that warehouse and not left. */
  public record AssignPickup(Cargo cargo, ActorRef<AssignmentReply> replyTo) implements Command {}

  /** {@code state}: the truck after the decision, so a dispatcher's view stays current. */
  public record AssignmentReply(boolean accepted, String reason, State state) implements CborSerializable {}

  /** Amazon put this shipment on the truck. */
  public record ConfirmLoaded(long shipId, ActorRef<LoadReply> replyTo) implements Command {}

  public record LoadReply(boolean accepted, String reason) implements CborSerializable {}

  /** A World item about this truck; answered once its effect is persisted. */
  public record ReportFromWorld(WorldEvent event, ActorRef<Done> replyTo) implements Command {}

  /** The World refused the command this truck sent as outbound {@code outboundId}. */
  public record CommandRefused(long outboundId, String error, ActorRef<Done> replyTo)
      implements Command {}

  public record GetState(ActorRef<State> replyTo) implements Command {}

  private record OutboundStored(long outboundId) implements Command {}

  private record OutboundFailed(long outboundId, String reason) implements Command {}

  private record ResendOutbound(long outboundId) implements Command {}

  /** Every shipment of the trip answered where it goes now. */
  private record DestinationsFrozen(List<WorldCommand.Drop> drops) implements Command {}

  private record FreezeFailed(String reason) implements Command {}

  private record RetryDeparture() implements Command {}

  // --- events

  @JsonSubTypes({
    @JsonSubTypes.Type(value = PickupAssigned.class, name = "truck.pickup-assigned"),
    @JsonSubTypes.Type(value = ArrivedAtWarehouse.class, name = "truck.arrived-at-warehouse"),
    @JsonSubTypes.Type(value = CargoLoaded.class, name = "truck.cargo-loaded"),
    @JsonSubTypes.Type(value = DeliveryStarted.class, name = "truck.delivery-started"),
    @JsonSubTypes.Type(value = PackageDelivered.class, name = "truck.package-delivered"),
    @JsonSubTypes.Type(value = BecameIdle.class, name = "truck.became-idle"),
    @JsonSubTypes.Type(value = PositionReported.class, name = "truck.position-reported"),
    @JsonSubTypes.Type(value = OutboundConfirmed.class, name = "truck.outbound-confirmed"),
    @JsonSubTypes.Type(value = CommandFailed.class, name = "truck.command-failed")
  })
  public sealed interface Event extends Persisted {}

  public record PickupAssigned(Cargo cargo, Instant at) implements Event {}

  public record ArrivedAtWarehouse(int x, int y, Instant at) implements Event {}

  public record CargoLoaded(long shipId, Instant at) implements Event {}

  public record DeliveryStarted(List<WorldCommand.Drop> drops, Instant at) implements Event {}

  public record PackageDelivered(long shipId, Instant at) implements Event {}

  public record BecameIdle(int x, int y, Instant at) implements Event {}

  public record PositionReported(String worldStatus, int x, int y, Instant at) implements Event {}

  public record OutboundConfirmed(long outboundId) implements Event {}

  public record CommandFailed(long outboundId, String error, Instant at) implements Event {}

  /** Published on the truck topic after every change, for the dispatcher and live views. */
  public record Changed(State state) implements CborSerializable {}

  // --- state

  /**
   * @param cargo shipments of the current trip not yet out for delivery, in assignment order
   * @param aboard drops handed to the World and not yet delivered
   * @param unconfirmed side effects not yet confirmed by their receiver (re-sent after recovery)
   * @param trip side effects of the current trip, to find what a World error refers to
   */
  public record State(
      int truckId,
      Phase phase,
      String worldStatus,
      Location position,
      Instant updatedAt,
      Warehouse warehouse,
      List<Cargo> cargo,
      List<WorldCommand.Drop> aboard,
      long deliveredCount,
      long nextOutboundId,
      List<PendingOutbound> unconfirmed,
      List<PendingOutbound> trip,
      String lastError)
      implements Persisted {

    public State {
      cargo = List.copyOf(cargo);
      aboard = List.copyOf(aboard);
      unconfirmed = List.copyOf(unconfirmed);
      trip = List.copyOf(trip);
    }

    static State initial(int truckId, Location start) {
      return new State(
          truckId, Phase.IDLE, "idle", start, null, null, List.of(), List.of(), 0, 1, List.of(),
          List.of(), null);
    }

    /** Status as people read it: the trip phase, refined by what the World last reported. */
    public String status() {
      return switch (phase) {
        case IDLE -> "idle";
        case TO_WAREHOUSE -> "traveling";
        case AT_WAREHOUSE -> "loading".equalsIgnoreCase(worldStatus) ? "loading" : "arrive warehouse";
        case DELIVERING -> "delivering";
      };
    }

    /** Idle, or bound for that warehouse and not leaving yet (batching). */
    public boolean canCollectAt(Warehouse target) {
      if (phase == Phase.IDLE) return true;
      boolean sameWarehouse = warehouse != null && warehouse.id() == target.id();
      return sameWarehouse && (phase == Phase.TO_WAREHOUSE || (phase == Phase.AT_WAREHOUSE && !isLeaving()));
    }

    /** At the warehouse with everything loaded: waiting only for the destinations. */
    public boolean isLeaving() {
      return phase == Phase.AT_WAREHOUSE && allCargoLoaded();
    }

    public Optional<Cargo> cargo(long shipId) {
      return cargo.stream().filter(c -> c.shipId() == shipId).findFirst();
    }

    public boolean isAboard(long shipId) {
      return aboard.stream().anyMatch(d -> d.packageId() == shipId);
    }

    public boolean allCargoLoaded() {
      return !cargo.isEmpty() && cargo.stream().allMatch(Cargo::loaded);
    }

    Optional<PendingOutbound> tripOutbound(long id) {
      return trip.stream().filter(p -> p.id() == id).findFirst();
    }

    private State with(
        Phase phase,
        Location position,
        Instant at,
        Warehouse warehouse,
        List<Cargo> cargo,
        List<WorldCommand.Drop> aboard,
        long deliveredCount) {
      return new State(
          truckId, phase, worldStatus, position, at, warehouse, cargo, aboard, deliveredCount,
          nextOutboundId, unconfirmed, trip, lastError);
    }

    /** Adds a side effect to the unconfirmed list and to the trip. */
    private State emit(Outbound outbound) {
      PendingOutbound pending = new PendingOutbound(nextOutboundId, outbound);
      return new State(
          truckId, phase, worldStatus, position, updatedAt, warehouse, cargo, aboard,
          deliveredCount, nextOutboundId + 1, append(unconfirmed, pending), append(trip, pending),
          lastError);
    }

    State assign(Cargo newCargo, Instant at) {
      Shipment.Step enRoute = step(Shipment.Status.EN_ROUTE, position, at, null);
      if (phase == Phase.IDLE) {
        return with(Phase.TO_WAREHOUSE, position, at, newCargo.warehouse(), List.of(newCargo), aboard, deliveredCount)
            .withTrip(List.of())
            .emit(new ToWorld(new WorldCommand.GoPickup(truckId, newCargo.warehouse().id())))
            .emit(new ToShipment(newCargo.shipId(), enRoute));
      }
      State joined =
          with(phase, position, at, warehouse, append(cargo, newCargo), aboard, deliveredCount)
              .emit(new ToShipment(newCargo.shipId(), enRoute));
      // Already there: this shipment gets its own arrival notice.
      return phase == Phase.AT_WAREHOUSE ? joined.announceArrival(List.of(newCargo), at) : joined;
    }

    State arrive(int x, int y, Instant at) {
      return with(Phase.AT_WAREHOUSE, new Location(x, y), at, warehouse, cargo, aboard, deliveredCount)
          .withWorldStatus("arrive warehouse")
          .announceArrival(cargo, at);
    }

    private State announceArrival(List<Cargo> arrivedFor, Instant at) {
      if (arrivedFor.isEmpty()) return this; // UATruckArrived always names a shipment
      State next =
          emit(new ToAmazon(new AmazonNotice.TruckArrived(
              truckId, warehouse.id(), arrivedFor.stream().map(Cargo::shipId).toList())));
      for (Cargo c : arrivedFor) {
        next = next.emit(new ToShipment(c.shipId(), step(Shipment.Status.WAITING, position, at, null)));
      }
      return next;
    }

    State load(long shipId, Instant at) {
      List<Cargo> updated = new ArrayList<>();
      for (Cargo c : cargo) updated.add(c.shipId() == shipId ? c.markLoaded() : c);
      return with(phase, position, at, warehouse, updated, aboard, deliveredCount)
          .emit(new ToShipment(shipId, step(Shipment.Status.LOADING, position, at, null)));
    }

    State depart(List<WorldCommand.Drop> drops, Instant at) {
      List<WorldCommand.Drop> route = new ArrayList<>(aboard);
      route.addAll(drops);
      State next =
          with(Phase.DELIVERING, position, at, null, List.of(), route, deliveredCount)
              .withWorldStatus("delivering")
              .emit(new ToWorld(new WorldCommand.GoDeliver(truckId, drops)));
      for (WorldCommand.Drop drop : drops) {
        String to = "to (" + drop.x() + ", " + drop.y() + ")";
        next = next.emit(new ToShipment(drop.packageId(), step(Shipment.Status.OUT_FOR_DELIVERY, position, at, to)));
      }
      return next;
    }

    State delivered(long shipId, Instant at) {
      Optional<WorldCommand.Drop> drop = aboard.stream().filter(d -> d.packageId() == shipId).findFirst();
      List<WorldCommand.Drop> rest = aboard.stream().filter(d -> d.packageId() != shipId).toList();
      State next = with(phase, position, at, warehouse, cargo, rest, deliveredCount + 1);
      if (drop.isEmpty()) return next;
      Location dropPoint = new Location(drop.get().x(), drop.get().y());
      return next.emit(new ToShipment(shipId, step(Shipment.Status.DELIVERED, dropPoint, at, null)));
    }

    private Shipment.Step step(Shipment.Status status, Location where, Instant at, String detail) {
      return new Shipment.Step(status, truckId, where.x(), where.y(), at, detail);
    }

    State becomeIdle(int x, int y, Instant at) {
      return with(Phase.IDLE, new Location(x, y), at, null, List.of(), aboard, deliveredCount)
          .withWorldStatus("idle");
    }

    State report(String status, int x, int y, Instant at) {
      return with(phase, new Location(x, y), at, warehouse, cargo, aboard, deliveredCount)
          .withWorldStatus(status);
    }

    State confirm(long outboundId) {
      List<PendingOutbound> rest = unconfirmed.stream().filter(p -> p.id() != outboundId).toList();
      return new State(
          truckId, phase, worldStatus, position, updatedAt, warehouse, cargo, aboard,
          deliveredCount, nextOutboundId, rest, trip, lastError);
    }

    /**
     * The World refused a command. A refused pickup leaves the truck where it was, so its cargo
     * goes back unserved; a refused delivery (some package was not aboard) leaves the packages
     * where the World has them, so the truck is free again and they are reported as exceptions.
     */
    State fail(long outboundId, String error, Instant at) {
      State failed =
          new State(
              truckId, phase, worldStatus, position, at, warehouse, cargo, aboard, deliveredCount,
              nextOutboundId, unconfirmed, trip, error);
      Optional<PendingOutbound> refused = tripOutbound(outboundId);
      if (refused.isEmpty() || !(refused.get().outbound() instanceof ToWorld toWorld)) return failed;
      String reason = "the World refused " + (toWorld.command() instanceof WorldCommand.GoPickup ? "the pickup" : "the delivery") + ": " + error;
      if (toWorld.command() instanceof WorldCommand.GoPickup && phase == Phase.TO_WAREHOUSE) {
        State next = failed.with(Phase.IDLE, position, at, null, List.of(), aboard, deliveredCount);
        for (Cargo c : cargo) {
          next = next.emit(new ToShipment(c.shipId(), step(Shipment.Status.EXCEPTION, position, at, reason)))
              .emit(new ToDispatcher(c.nextAttempt()));
        }
        return next;
      }
      if (toWorld.command() instanceof WorldCommand.GoDeliver deliver && phase == Phase.DELIVERING) {
        List<Long> refusedIds = deliver.drops().stream().map(WorldCommand.Drop::packageId).toList();
        List<WorldCommand.Drop> rest =
            aboard.stream().filter(d -> !refusedIds.contains(d.packageId())).toList();
        State next = failed.with(rest.isEmpty() ? Phase.IDLE : Phase.DELIVERING, position, at, null, List.of(), rest, deliveredCount);
        for (long shipId : refusedIds) {
          next = next.emit(new ToShipment(shipId, step(Shipment.Status.EXCEPTION, position, at, reason)));
        }
        return next;
      }
      return failed;
    }

    private State withWorldStatus(String status) {
      return new State(
          truckId, phase, status, position, updatedAt, warehouse, cargo, aboard, deliveredCount,
          nextOutboundId, unconfirmed, trip, lastError);
    }

    private State withTrip(List<PendingOutbound> newTrip) {
      return new State(
          truckId, phase, worldStatus, position, updatedAt, warehouse, cargo, aboard,
          deliveredCount, nextOutboundId, unconfirmed, newTrip, lastError);
    }

    private static <T> List<T> append(List<T> list, T item) {
      List<T> out = new ArrayList<>(list);
      out.add(item);
      return out;
    }
  }

  // --- behavior

  public static PersistenceId persistenceId(int truckId) {
    return PersistenceId.of("Truck", String.valueOf(truckId));
  }

  /** Outbox keys name the truck and the side effect, so re-sending one is recognised. */
  public static String outboxKey(int truckId, long outboundId) {
    return "truck-" + truckId + "/" + outboundId;
  }

  /** The truck and side effect behind an outbox key, if it is a truck's. */
  public static Optional<long[]> parseOutboxKey(String key) {
    if (key == null || !key.startsWith("truck-")) return Optional.empty();
    int slash = key.indexOf('/');
    try {
      return Optional.of(
          new long[] {
            Long.parseLong(key.substring("truck-".length(), slash)),
            Long.parseLong(key.substring(slash + 1))
          });
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Registers trucks with cluster sharding; each starts at {@code start.apply(id)}. */
  public static void init(
      ActorSystem<?> system,
      IntFunction<Location> start,
      Links links,
      ActorRef<Topic.Command<Changed>> topic,
      Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                ENTITY_KEY,
                entity -> {
                  int id = Integer.parseInt(entity.getEntityId());
                  return create(id, start.apply(id), links, topic, clock);
                }));
  }

  public static Behavior<Command> create(
      int truckId, Location start, Links links, ActorRef<Topic.Command<Changed>> topic, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(timers -> new Truck(context, timers, truckId, start, links, topic, clock)));
  }

  private static final java.time.Duration RETRY_DELAY = java.time.Duration.ofSeconds(1);
  private static final java.time.Duration ASK_TIMEOUT = java.time.Duration.ofSeconds(10);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final int truckId;
  private final Location start;
  private final Links links;
  private final ActorRef<Topic.Command<Changed>> topic;
  private final Clock clock;
  private final ActorRef<ResendSupervisor.Stored> storedAdapter;
  // Transient: a departure is being prepared (destinations asked for).
  private boolean freezing;

  private Truck(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      int truckId,
      Location start,
      Links links,
      ActorRef<Topic.Command<Changed>> topic,
      Clock clock) {
    super(
        persistenceId(truckId),
        SupervisorStrategy.restartWithBackoff(
            java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(5), 0.1));
    this.context = context;
    this.timers = timers;
    this.truckId = truckId;
    this.start = start;
    this.links = links;
    this.topic = topic;
    this.clock = clock;
    this.storedAdapter =
        context.messageAdapter(
            ResendSupervisor.Stored.class,
            stored -> new OutboundStored(parseOutboxKey(stored.key()).map(k -> k[1]).orElse(-1L)));
  }

  @Override
  public State emptyState() {
    return State.initial(truckId, start);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // Whatever was decided but not confirmed before a crash is sent again (same key).
              state.unconfirmed().forEach(this::send);
              prepareDeparture(state);
              publish(state);
            })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(AssignPickup.class, this::onAssignPickup)
        .onCommand(ConfirmLoaded.class, this::onConfirmLoaded)
        .onCommand(DestinationsFrozen.class, this::onDestinationsFrozen)
        .onCommand(FreezeFailed.class, this::onFreezeFailed)
        .onCommand(RetryDeparture.class, (state, cmd) -> {
          prepareDeparture(state);
          return Effect().none();
        })
        .onCommand(ReportFromWorld.class, this::onReportFromWorld)
        .onCommand(CommandRefused.class, this::onCommandRefused)
        .onCommand(OutboundStored.class, this::onOutboundStored)
        .onCommand(OutboundFailed.class, this::onOutboundFailed)
        .onCommand(ResendOutbound.class, this::onResendOutbound)
        .onCommand(GetState.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  private Effect<Event, State> onAssignPickup(State state, AssignPickup cmd) {
    Cargo cargo = cmd.cargo();
    if (state.cargo(cargo.shipId()).isPresent() || state.isAboard(cargo.shipId())) {
      return Effect().reply(cmd.replyTo(), new AssignmentReply(true, "already assigned", state));
    }
    if (!state.canCollectAt(cargo.warehouse())) {
      String why = state.isLeaving() ? "leaving the warehouse" : state.status();
      return Effect()
          .reply(cmd.replyTo(), new AssignmentReply(false, "truck " + truckId + " is " + why, state));
    }
    return persistThenPublish(state, List.of(new PickupAssigned(cargo, now())))
        .thenReply(cmd.replyTo(), s -> new AssignmentReply(true, "assigned", s));
  }

  private Effect<Event, State> onConfirmLoaded(State state, ConfirmLoaded cmd) {
    if (state.isAboard(cmd.shipId())) {
      return Effect().reply(cmd.replyTo(), new LoadReply(true, "already out for delivery"));
    }
    Optional<Cargo> cargo = state.cargo(cmd.shipId());
    if (cargo.isEmpty()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new LoadReply(false, "shipment " + cmd.shipId() + " is not assigned to truck " + truckId));
    }
    if (state.phase() != Phase.AT_WAREHOUSE) {
      return Effect()
          .reply(cmd.replyTo(), new LoadReply(false, "truck " + truckId + " has not arrived at the warehouse yet"));
    }
    if (cargo.get().loaded()) {
      return Effect().reply(cmd.replyTo(), new LoadReply(true, "already loaded"));
    }
    return persistThenPublish(state, List.of(new CargoLoaded(cmd.shipId(), now())))
        .thenRun(this::prepareDeparture)
        .thenReply(cmd.replyTo(), s -> new LoadReply(true, "loaded"));
  }

  /**
   * Everything is loaded: each shipment fixes its destination (after which nobody can change it)
   * and only then does the truck leave, so a change of destination can never race the dispatch.
   */
  private void prepareDeparture(State state) {
    if (!state.isLeaving() || freezing) return;
    freezing = true;
    List<java.util.concurrent.CompletableFuture<Shipment.Frozen>> answers = new ArrayList<>();
    for (Cargo c : state.cargo()) {
      answers.add(
          AskPattern.<Shipment.Command, Shipment.Frozen>ask(
                  links.shipments().apply(c.shipId()),
                  replyTo -> new Shipment.FreezeDestination(truckId, replyTo),
                  ASK_TIMEOUT,
                  context.getSystem().scheduler())
              .toCompletableFuture());
    }
    List<Cargo> cargo = state.cargo();
    context.pipeToSelf(
        java.util.concurrent.CompletableFuture.allOf(answers.toArray(java.util.concurrent.CompletableFuture[]::new)),
        (ok, failure) -> {
          if (failure != null) return new FreezeFailed(String.valueOf(failure));
          List<WorldCommand.Drop> drops = new ArrayList<>();
          for (int i = 0; i < cargo.size(); i++) {
            Shipment.Frozen frozen = answers.get(i).join();
            Location to = frozen.known() ? new Location(frozen.x(), frozen.y()) : cargo.get(i).destination();
            drops.add(new WorldCommand.Drop(cargo.get(i).shipId(), to.x(), to.y()));
          }
          return new DestinationsFrozen(drops);
        });
  }

  private Effect<Event, State> onDestinationsFrozen(State state, DestinationsFrozen cmd) {
    freezing = false;
    List<Long> expected = state.cargo().stream().map(Cargo::shipId).toList();
    List<Long> frozen = cmd.drops().stream().map(WorldCommand.Drop::packageId).toList();
    if (!state.isLeaving() || !expected.equals(frozen)) return Effect().none();
    return persistThenPublish(state, List.of(new DeliveryStarted(cmd.drops(), now())));
  }

  private Effect<Event, State> onFreezeFailed(State state, FreezeFailed cmd) {
    freezing = false;
    context.getLog().warn("Truck {} could not fix its destinations ({}); trying again", truckId, cmd.reason());
    timers.startSingleTimer(new RetryDeparture(), RETRY_DELAY);
    return Effect().none();
  }

  private Effect<Event, State> onReportFromWorld(State state, ReportFromWorld cmd) {
    Instant at = now();
    Event event = null;
    if (cmd.event() instanceof WorldEvent.Finished finished) {
      if (finished.arrivedAtWarehouse() && state.phase() == Phase.TO_WAREHOUSE) {
        event = new ArrivedAtWarehouse(finished.x(), finished.y(), at);
      } else if (!finished.arrivedAtWarehouse() && state.phase() == Phase.DELIVERING) {
        event = new BecameIdle(finished.x(), finished.y(), at);
      }
    } else if (cmd.event() instanceof WorldEvent.PackageDelivered delivered) {
      if (state.isAboard(delivered.packageId())) {
        event = new PackageDelivered(delivered.packageId(), at);
      }
    } else if (cmd.event() instanceof WorldEvent.TruckReport report) {
      boolean moved = !new Location(report.x(), report.y()).equals(state.position());
      if (moved || !report.status().equalsIgnoreCase(state.worldStatus())) {
        event = new PositionReported(report.status(), report.x(), report.y(), at);
      }
    }
    // Anything else is a repeat or arrives after the fact: acknowledged, nothing changes.
    if (event == null) return Effect().reply(cmd.replyTo(), Done.getInstance());
    return persistThenPublish(state, List.of(event)).thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  private Effect<Event, State> onCommandRefused(State state, CommandRefused cmd) {
    context
        .getLog()
        .warn("World refused truck {}'s command {}: {}", truckId, cmd.outboundId(), cmd.error());
    return persistThenPublish(state, List.of(new CommandFailed(cmd.outboundId(), cmd.error(), now())))
        .thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  private Effect<Event, State> onOutboundStored(State state, OutboundStored cmd) {
    boolean pending = state.unconfirmed().stream().anyMatch(p -> p.id() == cmd.outboundId());
    if (!pending) return Effect().none();
    return Effect().persist(new OutboundConfirmed(cmd.outboundId()));
  }

  private Effect<Event, State> onOutboundFailed(State state, OutboundFailed cmd) {
    context.getLog().debug("Truck {} side effect {} not confirmed ({}); retrying", truckId, cmd.outboundId(), cmd.reason());
    timers.startSingleTimer(cmd.outboundId(), new ResendOutbound(cmd.outboundId()), RETRY_DELAY);
    return Effect().none();
  }

  private Effect<Event, State> onResendOutbound(State state, ResendOutbound cmd) {
    state.unconfirmed().stream().filter(p -> p.id() == cmd.outboundId()).findFirst().ifPresent(this::send);
    return Effect().none();
  }

  /** Persists, sends the side effects these events added, then tells the topic. */
  private EffectBuilder<Event, State> persistThenPublish(State before, List<Event> events) {
    long firstNewOutbound = before.nextOutboundId();
    return Effect()
        .persist(events)
        .thenRun(
            (State after) -> {
              for (PendingOutbound pending : after.unconfirmed()) {
                if (pending.id() >= firstNewOutbound) send(pending);
              }
              publish(after);
            });
  }

  private void send(PendingOutbound pending) {
    String key = outboxKey(truckId, pending.id());
    Outbound outbound = pending.outbound();
    if (outbound instanceof ToWorld toWorld) {
      links.worldOutbox().tell(new ResendSupervisor.Store(key, toWorld.command(), storedAdapter));
    } else if (outbound instanceof ToAmazon toAmazon) {
      links.amazonOutbox().tell(new ResendSupervisor.Store(key, toAmazon.notice(), storedAdapter));
    } else if (outbound instanceof ToShipment toShipment) {
      confirmWhenDone(
          pending.id(),
          AskPattern.ask(
              links.shipments().apply(toShipment.shipId()),
              replyTo -> new Shipment.Update(toShipment.step(), replyTo),
              ASK_TIMEOUT,
              context.getSystem().scheduler()));
    } else if (outbound instanceof ToDispatcher toDispatcher) {
      confirmWhenDone(
          pending.id(),
          AskPattern.ask(
              links.dispatcher(),
              replyTo -> new Dispatcher.Dispatch(toDispatcher.cargo(), replyTo),
              ASK_TIMEOUT,
              context.getSystem().scheduler()));
    }
  }

  private void confirmWhenDone(long outboundId, java.util.concurrent.CompletionStage<Done> answer) {
    context.pipeToSelf(
        answer,
        (done, failure) ->
            failure == null ? new OutboundStored(outboundId) : new OutboundFailed(outboundId, String.valueOf(failure)));
  }

  private void publish(State state) {
    topic.tell(Topic.publish(new Changed(state)));
  }

  private Instant now() {
    return clock.instant();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(PickupAssigned.class, (state, e) -> state.assign(e.cargo(), e.at()))
        .onEvent(ArrivedAtWarehouse.class, (state, e) -> state.arrive(e.x(), e.y(), e.at()))
        .onEvent(CargoLoaded.class, (state, e) -> state.load(e.shipId(), e.at()))
        .onEvent(DeliveryStarted.class, (state, e) -> state.depart(e.drops(), e.at()))
        .onEvent(PackageDelivered.class, (state, e) -> state.delivered(e.shipId(), e.at()))
        .onEvent(BecameIdle.class, (state, e) -> state.becomeIdle(e.x(), e.y(), e.at()))
        .onEvent(
            PositionReported.class,
            (state, e) -> state.report(e.worldStatus(), e.x(), e.y(), e.at()))
        .onEvent(OutboundConfirmed.class, (state, e) -> state.confirm(e.outboundId()))
        .onEvent(CommandFailed.class, (state, e) -> state.fail(e.outboundId(), e.error(), e.at()))
        .build();
  }
}
