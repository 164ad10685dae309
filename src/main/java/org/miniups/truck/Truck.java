package org.miniups.truck;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
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
import org.miniups.amazon.AmazonNotice;
import org.miniups.effects.EffectLog;
import org.miniups.effects.EffectRunner;
import org.miniups.persistence.GroupCommit;
import org.miniups.link.PeerMessage;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

/**
 * One truck of our fleet, event-sourced. It decides what the truck does next, and every decision
 * carries its side effects in the truck's {@link EffectLog}: World commands, Amazon notices, steps
 * for the shipments aboard, and re-dispatches. They are written with the decision and delivered
 * after it (again after a crash, under the same numbers), by the one {@link EffectRunner}.
 *
 * <p>Everything Amazon hears about a shipment comes from the truck that carries it, on one
 * channel numbered in decision order (accepted, arrived, out for delivery, delivered), and the
 * Amazon outbox stores a channel in that order: so seqnums, and what Amazon sees, follow causal
 * order by construction. A re-dispatch after a refused pickup is sent only once the acceptance it
 * follows is stored.
 *
 * <p>A trip: idle → (pickups assigned) to warehouse → at warehouse → (every cargo loaded, then every
 * shipment fixes its destination) delivering → (last drop) idle. More cargo for the same warehouse
 * joins the trip until the truck leaves.
 */
public final class Truck
    extends EventSourcedBehaviorWithEnforcedReplies<Truck.Command, Truck.Event, Truck.State> {

  public static final String TOPIC_NAME = "truck-changes";

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Truck");

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
   * An order to collect a shipment at {@code warehouse}: what the truck needs to tell Amazon and the
   * World about it. {@code destination} is Amazon's until the shipment fixes it on leaving;
   * {@code attempt} counts dispatches (a refused pickup dispatches it again, and only the first
   * dispatch is announced to Amazon); {@code promisedTruck} is the truck that announcement named,
   * 0 before it (and in events stored before there was such a field).
   */
  public record Cargo(
      long shipId,
      Warehouse warehouse,
      Location destination,
      String trackingNumber,
      boolean userLinked,
      long pickupSeqnum,
      int attempt,
      int promisedTruck)
      implements CborSerializable {

    /** "shipId#attempt": names this very assignment, in the truck's and the dispatcher's memory of it. */
    public String assignmentKey() {
      return shipId + "#" + attempt;
    }

    /**
     * The next dispatch after the World refused truck {@code truckId}'s pickup of it. Amazon was
     * told on the first dispatch which truck collects the shipment (UAPickupAccepted), and no
     * message of the protocol changes that: every later dispatch goes to that truck.
     */
    public Cargo refusedBy(int truckId) {
      int promised = promisedTruck != 0 ? promisedTruck : truckId;
      return new Cargo(shipId, warehouse, destination, trackingNumber, userLinked, pickupSeqnum, attempt + 1, promised);
    }

    Cargo goingTo(Location fixed) {
      return new Cargo(shipId, warehouse, fixed, trackingNumber, userLinked, pickupSeqnum, attempt, promisedTruck);
    }

    WorldCommand.Drop drop() {
      return new WorldCommand.Drop(shipId, destination.x(), destination.y());
    }
  }

  /**
   * Where the side effects of a truck go. {@code redispatch} hands a shipment whose pickup the
   * World refused back to whoever assigns trucks (completes once it is queued there).
   */
  public record Links(
      ActorRef<ResendSupervisor.Command> worldOutbox,
      ActorRef<ResendSupervisor.Command> amazonOutbox,
      LongFunction<RecipientRef<Shipment.Command>> shipments,
      Function<Cargo, CompletionStage<Done>> redispatch) {}

  public enum Phase {
    IDLE,
    TO_WAREHOUSE,
    AT_WAREHOUSE,
    DELIVERING
  }

  // --- side effects, kept in the effect log until delivered

  static final String WORLD = "world";
  static final String AMAZON = "amazon";
  static final String SHIPMENTS = "shipments";
  static final String DISPATCH = "dispatch";

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = ToWorld.class, name = "truck.to-world"),
    @JsonSubTypes.Type(value = ToAmazon.class, name = "truck.to-amazon"),
    @JsonSubTypes.Type(value = ToShipment.class, name = "truck.to-shipment"),
    @JsonSubTypes.Type(value = Redispatch.class, name = "truck.redispatch")
  })
  public sealed interface Effect extends CborSerializable {}

  public record ToWorld(WorldCommand command) implements Effect {}

  public record ToAmazon(AmazonNotice notice) implements Effect {}

  public record ToShipment(long shipId, Shipment.Step step) implements Effect {}

  public record Redispatch(Cargo cargo) implements Effect {}

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

  private record EffectOutcome(EffectRunner.Outcome outcome) implements Command {}

  private enum SettleDue implements Command {
    INSTANCE
  }

  /** Write the loads and drops decided since the last write. */
  private enum FlushBatch implements Command {
    INSTANCE
  }

  /** Every shipment of the trip said where it goes now. */
  private record DestinationsFixed(List<Cargo> cargo) implements Command {}

  private record DepartureFailed(String reason) implements Command {}

  /** What the shipment of a delivery this truck does not carry says of itself; null if it did not answer. */
  private record DeliveryChecked(WorldEvent.PackageDelivered delivered, Shipment.Summary shipment, ActorRef<Done> replyTo)
      implements Command {}

  private enum RetryDeparture implements Command {
    INSTANCE
  }

  // --- events

  @JsonSubTypes({
    @JsonSubTypes.Type(value = PickupsAssigned.class, name = "truck.pickups-assigned"),
    @JsonSubTypes.Type(value = ArrivedAtWarehouse.class, name = "truck.arrived-at-warehouse"),
    @JsonSubTypes.Type(value = CargoLoaded.class, name = "truck.cargo-loaded"),
    @JsonSubTypes.Type(value = DeliveryStarted.class, name = "truck.delivery-started"),
    @JsonSubTypes.Type(value = PackageDelivered.class, name = "truck.package-delivered"),
    @JsonSubTypes.Type(value = BecameIdle.class, name = "truck.became-idle"),
    @JsonSubTypes.Type(value = CommandFailed.class, name = "truck.command-failed"),
    @JsonSubTypes.Type(value = EffectsSettled.class, name = "truck.effects-settled")
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

  /** Published on the truck topic after every change, for the dispatcher and live views. */
  public record Changed(Summary truck) implements CborSerializable {}

  // --- the view readers get

  /**
   * The truck as the dispatcher, HTTP and live views see it. {@code position} is the latest the
   * World reported; {@code warehouseId} is 0 when not bound for one.
   */
  public record Summary(
      int truckId,
      Phase phase,
      String status,
      Location position,
      int warehouseId,
      int cargo,
      int loaded,
      int aboard,
      long delivered,
      String lastError,
      Instant updatedAt)
      implements CborSerializable {

    /** At the warehouse with everything loaded: waiting only for the destinations. */
    public boolean isLeaving() {
      return isLeaving(phase, cargo, loaded);
    }

    static boolean isLeaving(Phase phase, int cargo, int loaded) {
      return phase == Phase.AT_WAREHOUSE && cargo > 0 && loaded == cargo;
    }

    /** Idle, or bound for that warehouse and not leaving yet (shipments batch onto one trip). */
    public boolean canCollectAt(int warehouse) {
      if (phase == Phase.IDLE) return true;
      return warehouseId == warehouse && (phase == Phase.TO_WAREHOUSE || (phase == Phase.AT_WAREHOUSE && !isLeaving()));
    }
  }

  // --- state

  /**
   * @param cargo shipments of the current trip not yet out for delivery, in assignment order
   * @param loaded those of {@code cargo} that Amazon loaded
   * @param aboard shipments handed to the World for delivery and not delivered yet
   * @param pickupCommand number of this trip's UGoPickup among the truck's World effects (0: none)
   * @param deliveryCommand number of the last UGoDeliver among them (0: none)
   * @param taken the latest assignments taken ("shipId#attempt"), so an assignment asked for again
   *     (a dispatcher re-asking after a crash) is recognised even once its trip is over
   * @param effects side effects decided and not settled
   */
  public record State(
      int truckId,
      Phase phase,
      Location position,
      Instant updatedAt,
      Warehouse warehouse,
      List<Cargo> cargo,
      List<Long> loaded,
      List<Cargo> aboard,
      long deliveredCount,
      long pickupCommand,
      long deliveryCommand,
      String lastError,
      List<String> taken,
      EffectLog<Effect> effects)
      implements Persisted {

    static final int TAKEN_MEMORY = 256;

    public State {
      cargo = List.copyOf(cargo);
      loaded = List.copyOf(loaded);
      aboard = List.copyOf(aboard);
      taken = List.copyOf(taken);
    }

    static State initial(int truckId, Location start) {
      return new State(
          truckId, Phase.IDLE, start, null, null, List.of(), List.of(), List.of(), 0, 0, 0, null, List.of(), EffectLog.empty());
    }

    /** This truck took (or still carries) this very assignment. */
    boolean hasTaken(Cargo c) {
      return taken.contains(c.assignmentKey()) || carries(c.shipId());
    }

    Summary summary(Report report) {
      boolean reportIsNewer = report != null && (updatedAt == null || !report.at().isBefore(updatedAt));
      String status =
          switch (phase) {
            case IDLE -> "idle";
            case TO_WAREHOUSE -> "traveling";
            case AT_WAREHOUSE -> reportIsNewer && "loading".equalsIgnoreCase(report.status()) ? "loading" : "arrive warehouse";
            case DELIVERING -> "delivering";
          };
      return new Summary(
          truckId, phase, status, reportIsNewer ? report.position() : position, warehouse == null ? 0 : warehouse.id(),
          cargo.size(), loaded.size(), aboard.size(), deliveredCount, lastError, reportIsNewer ? report.at() : updatedAt);
    }

    boolean isLeaving() {
      return Summary.isLeaving(phase, cargo.size(), loaded.size());
    }

    boolean carries(long shipId) {
      return cargo(shipId).isPresent() || isAboard(shipId);
    }

    Optional<Cargo> cargo(long shipId) {
      return cargo.stream().filter(c -> c.shipId() == shipId).findFirst();
    }

    /** This truck recorded dropping {@code shipId} and its shipment may not have heard yet. */
    boolean recordedDelivery(long shipId) {
      return effects.open().stream()
          .anyMatch(d -> d.effect() instanceof ToShipment to && to.shipId() == shipId && to.step().status() == Shipment.Status.DELIVERED);
    }

    boolean isAboard(long shipId) {
      return aboard.stream().anyMatch(c -> c.shipId() == shipId);
    }

    // transitions

    State assign(List<Cargo> more, Instant at) {
      List<String> keys = new ArrayList<>(taken);
      more.forEach(c -> keys.add(c.assignmentKey()));
      return withTaken(keys.subList(Math.max(0, keys.size() - TAKEN_MEMORY), keys.size())).collect(more, at);
    }

    private State collect(List<Cargo> more, Instant at) {
      if (phase == Phase.IDLE) {
        State leaving = withTrip(Phase.TO_WAREHOUSE, more.get(0).warehouse(), more, List.of()).at(position, at);
        State commanded = leaving.emit(WORLD, new ToWorld(new WorldCommand.GoPickup(truckId, more.get(0).warehouse().id())));
        return commanded.withCommands(commanded.lastNumber(WORLD), deliveryCommand).announce(more, at);
      }
      List<Cargo> all = new ArrayList<>(cargo);
      all.addAll(more);
      State joined = withTrip(phase, warehouse, all, loaded).at(position, at).announce(more, at);
      // Already there: these shipments get their own arrival notice.
      return phase == Phase.AT_WAREHOUSE ? joined.announceArrival(more, at) : joined;
    }

    /** Amazon hears which truck collects each new shipment; the shipment hears its truck is coming. */
    private State announce(List<Cargo> assigned, Instant at) {
      State next = this;
      for (Cargo c : assigned) {
        if (c.attempt() == 0) {
          next = next.emit(AMAZON, new ToAmazon(new AmazonNotice.PickupAccepted(c.shipId(), c.trackingNumber(), truckId, c.userLinked())));
        }
        next = next.emit(SHIPMENTS, new ToShipment(c.shipId(), step(Shipment.Status.EN_ROUTE, c, position, at, null)));
      }
      return next;
    }

    State arrive(int x, int y, Instant at) {
      return withTrip(Phase.AT_WAREHOUSE, warehouse, cargo, loaded).at(new Location(x, y), at).announceArrival(cargo, at);
    }

    private State announceArrival(List<Cargo> arrivedFor, Instant at) {
      if (arrivedFor.isEmpty()) return this; // UATruckArrived always names a shipment
      List<Long> ids = arrivedFor.stream().map(Cargo::shipId).toList();
      State next = emit(AMAZON, new ToAmazon(new AmazonNotice.TruckArrived(truckId, warehouse.id(), ids)));
      for (Cargo c : arrivedFor) {
        next = next.emit(SHIPMENTS, new ToShipment(c.shipId(), step(Shipment.Status.WAITING, c, position, at, null)));
      }
      return next;
    }

    State load(long shipId, Instant at) {
      List<Long> more = new ArrayList<>(loaded);
      more.add(shipId);
      Cargo c = cargo(shipId).orElseThrow();
      return withTrip(phase, warehouse, cargo, more)
          .at(position, at)
          .emit(SHIPMENTS, new ToShipment(shipId, step(Shipment.Status.LOADING, c, position, at, null)));
    }

    /** Out with {@code leaving} (destinations fixed): one UGoDeliver, and Amazon hears each one. */
    State depart(List<Cargo> leaving, Instant at) {
      List<Cargo> route = new ArrayList<>(aboard);
      route.addAll(leaving);
      State next =
          withTrip(Phase.DELIVERING, null, List.of(), List.of())
              .withAboard(route, deliveredCount)
              .at(position, at)
              .emit(WORLD, new ToWorld(new WorldCommand.GoDeliver(truckId, leaving.stream().map(Cargo::drop).toList())));
      next = next.withCommands(pickupCommand, next.lastNumber(WORLD));
      for (Cargo c : leaving) {
        next = next.emit(AMAZON, new ToAmazon(new AmazonNotice.OutForDelivery(c.shipId(), c.destination().x(), c.destination().y())));
      }
      return next;
    }

    State delivered(long shipId, Instant at) {
      Cargo c = aboard.stream().filter(a -> a.shipId() == shipId).findFirst().orElseThrow();
      List<Cargo> rest = aboard.stream().filter(a -> a.shipId() != shipId).toList();
      Location dropPoint = c.destination();
      return withAboard(rest, deliveredCount + 1)
          .at(position, at)
          .emit(AMAZON, new ToAmazon(new AmazonNotice.Delivered(shipId, dropPoint.x(), dropPoint.y())))
          .emit(SHIPMENTS, new ToShipment(shipId, step(Shipment.Status.DELIVERED, c, dropPoint, at, null)));
    }

    State becomeIdle(int x, int y, Instant at) {
      return withTrip(Phase.IDLE, null, List.of(), List.of()).at(new Location(x, y), at);
    }

    /**
     * The World refused a command. A refused pickup leaves the truck where it was: its cargo goes
     * back to be dispatched again. A refused delivery (some package was not aboard, says the World)
     * leaves the packages where the World has them: they are exceptions, and the truck is free.
     */
    State fail(long number, String error, Instant at) {
      State failed = withError(error).at(position, at);
      if (number == pickupCommand && phase == Phase.TO_WAREHOUSE) {
        String reason = "the World refused the pickup: " + error;
        State next = failed.withTrip(Phase.IDLE, null, List.of(), List.of());
        for (Cargo c : cargo) {
          next = next.emit(SHIPMENTS, new ToShipment(c.shipId(), step(Shipment.Status.EXCEPTION, c, position, at, reason)))
              .emit(DISPATCH, new Redispatch(c.refusedBy(truckId)));
        }
        return next;
      }
      if (number == deliveryCommand && phase == Phase.DELIVERING) {
        String reason = "the World refused the delivery: " + error;
        State next = failed.withTrip(Phase.IDLE, null, List.of(), List.of()).withAboard(List.of(), deliveredCount);
        for (Cargo c : aboard) {
          next = next.emit(SHIPMENTS, new ToShipment(c.shipId(), step(Shipment.Status.EXCEPTION, c, position, at, reason)))
              .emit(AMAZON, new ToAmazon(new AmazonNotice.Error("shipment " + c.shipId() + ": " + reason, c.pickupSeqnum())));
        }
        return next;
      }
      return failed;
    }

    State settle(List<Long> ids) {
      return withEffects(effects.settle(ids));
    }

    private Shipment.Step step(Shipment.Status status, Cargo c, Location where, Instant at, String detail) {
      return new Shipment.Step(status, truckId, c.attempt(), where.x(), where.y(), at, detail);
    }

    private long lastNumber(String destination) {
      return effects.lastNumber().getOrDefault(destination, 0L);
    }

    private State emit(String destination, Effect effect) {
      return withEffects(effects.add(destination, effect));
    }

    // named copies

    private State withTrip(Phase newPhase, Warehouse newWarehouse, List<Cargo> newCargo, List<Long> newLoaded) {
      return new State(truckId, newPhase, position, updatedAt, newWarehouse, newCargo, newLoaded, aboard,
          deliveredCount, pickupCommand, deliveryCommand, lastError, taken, effects);
    }

    private State at(Location newPosition, Instant at) {
      return new State(truckId, phase, newPosition, at, warehouse, cargo, loaded, aboard,
          deliveredCount, pickupCommand, deliveryCommand, lastError, taken, effects);
    }

    private State withAboard(List<Cargo> newAboard, long delivered) {
      return new State(truckId, phase, position, updatedAt, warehouse, cargo, loaded, newAboard,
          delivered, pickupCommand, deliveryCommand, lastError, taken, effects);
    }

    private State withCommands(long pickup, long delivery) {
      return new State(truckId, phase, position, updatedAt, warehouse, cargo, loaded, aboard,
          deliveredCount, pickup, delivery, lastError, taken, effects);
    }

    private State withError(String error) {
      return new State(truckId, phase, position, updatedAt, warehouse, cargo, loaded, aboard,
          deliveredCount, pickupCommand, deliveryCommand, error, taken, effects);
    }

    private State withTaken(List<String> keys) {
      return new State(truckId, phase, position, updatedAt, warehouse, cargo, loaded, aboard,
          deliveredCount, pickupCommand, deliveryCommand, lastError, keys, effects);
    }

    private State withEffects(EffectLog<Effect> newEffects) {
      return new State(truckId, phase, position, updatedAt, warehouse, cargo, loaded, aboard,
          deliveredCount, pickupCommand, deliveryCommand, lastError, taken, newEffects);
    }
  }

  /** What the World last said about the truck's whereabouts: a view only, never persisted. */
  record Report(String status, Location position, Instant at) {}

  // --- behavior

  public static PersistenceId persistenceId(int truckId) {
    return PersistenceId.of(ENTITY_KEY.name(), String.valueOf(truckId));
  }

  /** Whether a stored item came from a truck, and which: how a World error finds its truck. */
  public static Optional<Integer> truckOf(ResendSupervisor.Origin origin) {
    if (!ENTITY_KEY.name().equals(origin.entityType())) return Optional.empty();
    return Optional.of(Integer.parseInt(origin.entityId()));
  }

  /**
   * Registers the trucks (entities of {@link #ENTITY_KEY}); each starts at {@code start.apply(id)}.
   * They are resident: a truck stopped with its node (its shard handed over) may hold effects it
   * has not delivered, and nobody else would start it to send them.
   */
  public static void init(
      Placement placement,
      IntFunction<Location> start,
      Links links,
      ActorRef<Topic.Command<Changed>> topic,
      Clock clock) {
    placement.initResidentEntities(
        ENTITY_KEY,
        entityId -> {
          int id = Integer.parseInt(entityId);
          return create(id, start.apply(id), links, topic, clock);
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
      int truckId, Location start, Links links, ActorRef<Topic.Command<Changed>> topic, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(timers -> new Truck(context, timers, truckId, start, links, topic, clock)));
  }

  private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  /** Confirmed effects leave the log with the next decision once this many have gathered… */
  private static final int SETTLE_WITH_DECISION = 32;
  /** …or on their own once everything is confirmed and the truck is quiet for this long. */
  private static final Duration SETTLE_WHEN_QUIET = Duration.ofSeconds(1);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final int truckId;
  private final Location start;
  private final Links links;
  private final ActorRef<Topic.Command<Changed>> topic;
  private final Clock clock;
  private final EffectRunner<Effect, Command> effects;
  // Transient: loads and drops decided since the last write (see inBatch).
  private final GroupCommit<Runnable> batch = new GroupCommit<>();
  private final List<Event> batched = new ArrayList<>();
  // Transient: a departure is being prepared (destinations asked for); the World's latest report.
  private boolean departing;
  private Report report;

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
        JournalFailures.restartWithBackoff());
    this.context = context;
    this.timers = timers;
    this.truckId = truckId;
    this.start = start;
    this.links = links;
    this.topic = topic;
    this.clock = clock;
    this.effects =
        new EffectRunner<>(
            context,
            EffectOutcome::new,
            Map.of(
                WORLD, batch -> store(links.worldOutbox(), batch, e -> ((ToWorld) e).command()),
                AMAZON, batch -> store(links.amazonOutbox(), batch, e -> ((ToAmazon) e).notice()),
                SHIPMENTS, this::stepShipments,
                DISPATCH, this::redispatch),
            // A shipment is dispatched again only once Amazon's acceptance of it is stored.
            Map.of(DISPATCH, Set.of(AMAZON)),
            RETRY_DELAY);
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
              // Also after a restart on a failed write (same instance): loads and drops gathered
              // for a write that never happened are void, their senders ask again.
              batch.drain();
              batched.clear();
              departing = false;
              // Whatever was decided and not settled before a stop is delivered again.
              effects.deliver(state.effects());
              prepareDeparture(state);
              publish(state);
            })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forState(state -> state.phase() == Phase.AT_WAREHOUSE)
        .onCommand(ConfirmLoaded.class, this::load)
        .onCommand(DestinationsFixed.class, this::depart);
    builder.forState(state -> state.phase() != Phase.AT_WAREHOUSE)
        .onCommand(ConfirmLoaded.class, this::refuseLoad);
    builder.forAnyState()
        .onCommand(AssignPickups.class, this::assign)
        .onCommand(ReportFromWorld.class, this::onReport)
        .onCommand(CommandRefused.class, this::onRefused)
        .onCommand(GetSummary.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.summary(report)))
        .onCommand(DestinationsFixed.class, (state, cmd) -> notDeparting())
        .onCommand(DepartureFailed.class, this::onDepartureFailed)
        .onCommand(DeliveryChecked.class, this::onDeliveryChecked)
        .onCommand(RetryDeparture.class, (state, cmd) -> {
          prepareDeparture(state);
          return Effect().noReply();
        })
        .onCommand(EffectOutcome.class, this::onEffectOutcome)
        .onCommand(SettleDue.class, this::settle)
        .onCommand(FlushBatch.class, this::flushBatch);
    return builder.build();
  }

  // --- trips

  /**
   * Takes the assignment (an idle truck starts a trip; one under way takes more cargo only for the
   * same warehouse, and only until it leaves). An assignment taken before is answered again.
   */
  private ReplyEffect<Event, State> assign(State state, AssignPickups cmd) {
    if (!batched.isEmpty()) return Effect().stash();
    List<Cargo> fresh = cmd.cargo().stream().filter(c -> !state.hasTaken(c)).toList();
    if (fresh.isEmpty()) {
      return Effect().reply(cmd.replyTo(), new AssignmentReply(ids(cmd.cargo()), null, state.summary(report)));
    }
    Summary now = state.summary(report);
    if (!now.canCollectAt(fresh.get(0).warehouse().id())) {
      String why = now.isLeaving() ? "leaving the warehouse" : now.status();
      return Effect().reply(cmd.replyTo(), new AssignmentReply(List.of(), "truck " + truckId + " is " + why, now));
    }
    return decide(state, List.of(new PickupsAssigned(fresh, now())))
        .thenReply(cmd.replyTo(), s -> new AssignmentReply(ids(cmd.cargo()), null, s.summary(report)));
  }

  private ReplyEffect<Event, State> load(State state, ConfirmLoaded cmd) {
    Optional<Cargo> cargo = state.cargo(cmd.shipId());
    if (cargo.isEmpty()) return refuseLoad(state, cmd);
    boolean decided = state.loaded().contains(cmd.shipId()) || batched.contains(new CargoLoaded(cmd.shipId(), null));
    if (decided) return inBatch(null, () -> cmd.replyTo().tell(new LoadReply(true, "already loaded")));
    return inBatch(new CargoLoaded(cmd.shipId(), null), () -> cmd.replyTo().tell(new LoadReply(true, "loaded")));
  }

  private ReplyEffect<Event, State> refuseLoad(State state, ConfirmLoaded cmd) {
    if (state.isAboard(cmd.shipId())) return Effect().reply(cmd.replyTo(), new LoadReply(true, "already out for delivery"));
    String reason =
        state.cargo(cmd.shipId()).isPresent()
            ? "truck " + truckId + " has not arrived at the warehouse yet"
            : "shipment " + cmd.shipId() + " is not assigned to truck " + truckId;
    return Effect().reply(cmd.replyTo(), new LoadReply(false, reason));
  }

  /**
   * Everything is loaded: each shipment fixes its destination (after which nobody can change it)
   * and only then does the truck leave, so a change of destination can never race the departure.
   */
  private void prepareDeparture(State state) {
    if (!state.isLeaving() || departing) return;
    departing = true;
    List<CompletableFuture<Shipment.Destination>> answers = new ArrayList<>();
    for (Cargo c : state.cargo()) {
      answers.add(
          AskPattern.<Shipment.Command, Shipment.Destination>ask(
                  links.shipments().apply(c.shipId()),
                  replyTo -> new Shipment.LeaveWarehouse(truckId, c.attempt(), replyTo),
                  ASK_TIMEOUT,
                  context.getSystem().scheduler())
              .toCompletableFuture());
    }
    List<Cargo> cargo = state.cargo();
    context.pipeToSelf(
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)),
        (ok, failure) -> {
          if (failure != null) return new DepartureFailed(String.valueOf(failure));
          List<Cargo> fixed = new ArrayList<>();
          for (int i = 0; i < cargo.size(); i++) {
            Shipment.Destination to = answers.get(i).join();
            fixed.add(to.known() ? cargo.get(i).goingTo(new Location(to.x(), to.y())) : cargo.get(i));
          }
          return new DestinationsFixed(fixed);
        });
  }

  private ReplyEffect<Event, State> depart(State state, DestinationsFixed cmd) {
    if (!batched.isEmpty()) return Effect().stash();
    departing = false;
    if (!state.isLeaving() || !ids(state.cargo()).equals(ids(cmd.cargo()))) return Effect().noReply();
    return decide(state, List.of(new DeliveryStarted(cmd.cargo(), now()))).thenNoReply();
  }

  private ReplyEffect<Event, State> notDeparting() {
    departing = false;
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onDepartureFailed(State state, DepartureFailed cmd) {
    departing = false;
    context.getLog().warn("Truck {} could not fix its destinations ({}); trying again", truckId, cmd.reason());
    timers.startSingleTimer(RetryDeparture.INSTANCE, RETRY_DELAY);
    return Effect().noReply();
  }

  // --- what the World says

  private ReplyEffect<Event, State> onReport(State state, ReportFromWorld cmd) {
    if (cmd.event() instanceof WorldEvent.PackageDelivered delivered && state.isAboard(delivered.packageId())) {
      boolean decided = batched.contains(new PackageDelivered(delivered.packageId(), null));
      return inBatch(decided ? null : new PackageDelivered(delivered.packageId(), null), () -> cmd.replyTo().tell(Done.getInstance()));
    }
    if (!batched.isEmpty() && !(cmd.event() instanceof WorldEvent.TruckReport)) return Effect().stash();
    if (cmd.event() instanceof WorldEvent.PackageDelivered delivered) {
      return state.cargo(delivered.packageId()).isPresent()
          ? behindTheJournal(delivered)
          : checkWithShipment(state, delivered, cmd.replyTo());
    }
    Instant at = now();
    Event event = null;
    if (cmd.event() instanceof WorldEvent.Finished finished) {
      if (finished.arrivedAtWarehouse() && state.phase() == Phase.TO_WAREHOUSE) {
        event = new ArrivedAtWarehouse(finished.x(), finished.y(), at);
      } else if (!finished.arrivedAtWarehouse() && state.phase() == Phase.DELIVERING) {
        event = new BecameIdle(finished.x(), finished.y(), at);
      }
    } else if (cmd.event() instanceof WorldEvent.TruckReport position) {
      // Where the truck is matters to people watching, not to the trip: kept in memory only.
      report = new Report(position.status(), new Location(position.x(), position.y()), at);
      publish(state);
    }
    // Anything else is a repeat or arrives after the fact: acknowledged, nothing changes.
    if (event == null) return Effect().reply(cmd.replyTo(), Done.getInstance());
    return decide(state, List.of(event)).thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  /**
   * The World delivered a package this truck has not sent out: the World acts only on commands
   * that were written first, so this truck's journal holds a departure its state lacks (an
   * incarnation on a node leaving the cluster wrote it after this one recovered). Acking would
   * lose the delivery; instead the truck stops unanswered, and the report, asked again, meets an
   * incarnation that reads the whole journal.
   */
  private ReplyEffect<Event, State> behindTheJournal(WorldEvent.PackageDelivered delivered) {
    context.getLog().warn(
        "Truck {}: the World delivered shipment {}, which this truck has not sent out; reading the journal again",
        truckId, delivered.packageId());
    return Effect().stop().thenNoReply();
  }

  /**
   * The World delivered a shipment this truck does not carry at all: a repeat of a drop it
   * recorded, or news for an incarnation that recovered before another (on a node leaving the
   * cluster) took the shipment and sent it out. Acking the second would lose the delivery, so the
   * shipment, which records for good which truck it left with, tells them apart.
   */
  private ReplyEffect<Event, State> checkWithShipment(State state, WorldEvent.PackageDelivered delivered, ActorRef<Done> replyTo) {
    if (state.recordedDelivery(delivered.packageId())) return Effect().reply(replyTo, Done.getInstance());
    context.ask(Shipment.Summary.class, links.shipments().apply(delivered.packageId()), ASK_TIMEOUT, Shipment.Get::new,
        (shipment, failure) -> new DeliveryChecked(delivered, failure == null ? shipment : null, replyTo));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onDeliveryChecked(State state, DeliveryChecked checked) {
    Shipment.Summary shipment = checked.shipment();
    if (shipment == null) return Effect().noReply(); // the World's report is asked again
    if (shipment.status() == Shipment.Status.OUT_FOR_DELIVERY && shipment.truckId() == truckId) {
      return behindTheJournal(checked.delivered());
    }
    return Effect().reply(checked.replyTo(), Done.getInstance());
  }

  private ReplyEffect<Event, State> onRefused(State state, CommandRefused cmd) {
    if (!batched.isEmpty()) return Effect().stash();
    context.getLog().warn("World refused truck {}'s command {}: {}", truckId, cmd.number(), cmd.error());
    return decide(state, List.of(new CommandFailed(cmd.number(), cmd.error(), now())))
        .thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  // --- loads and drops: group commit

  /**
   * Amazon loads a trip's shipments, and the World drops them, in quick succession: those that
   * arrive while a write is in flight go into the next single write, so a trip costs a few writes,
   * not one per package. {@code decision} null: nothing new, answered with the batch. Other
   * decisions wait (stash) until the batch is written, so each sees the state it follows.
   */
  private ReplyEffect<Event, State> inBatch(Event decision, Runnable reply) {
    if (decision != null) batched.add(decision);
    if (batch.add(reply)) context.getSelf().tell(FlushBatch.INSTANCE);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> flushBatch(State state, FlushBatch flush) {
    List<Runnable> replies = batch.drain();
    Instant at = now();
    List<Event> decisions = batched.stream().map(decision -> stamped(decision, at)).toList();
    batched.clear();
    if (decisions.isEmpty()) {
      replies.forEach(Runnable::run);
      return Effect().noReply().thenUnstashAll();
    }
    return decide(state, decisions)
        .thenRun(
            after -> {
              replies.forEach(Runnable::run);
              prepareDeparture(after);
            })
        .thenNoReply()
        .thenUnstashAll();
  }

  /** Batched decisions are compared without a time (a repeat is the same decision); stamped on writing. */
  private static Event stamped(Event decision, Instant at) {
    if (decision instanceof CargoLoaded loaded) return new CargoLoaded(loaded.shipId(), at);
    return new PackageDelivered(((PackageDelivered) decision).shipId(), at);
  }

  // --- effects

  /**
   * Persists decisions (with the settling of what was confirmed meanwhile, once enough has
   * gathered) in one write, then delivers the effects they added and tells the topic.
   */
  private EffectBuilder<Event, State> decide(State state, List<Event> decisions) {
    List<Long> confirmed = effects.confirmedIds(state.effects());
    List<Event> events = new ArrayList<>();
    if (confirmed.size() >= SETTLE_WITH_DECISION) events.add(new EffectsSettled(confirmed));
    events.addAll(decisions);
    return Effect()
        .persist(events)
        .thenRun(
            (State after) -> {
              effects.deliver(after.effects());
              publish(after);
            });
  }

  private ReplyEffect<Event, State> onEffectOutcome(State state, EffectOutcome outcome) {
    effects.onOutcome(outcome.outcome(), state.effects());
    if (!state.effects().open().isEmpty() && effects.allConfirmed(state.effects())) {
      timers.startSingleTimer(SettleDue.INSTANCE, SETTLE_WHEN_QUIET);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> settle(State state, SettleDue due) {
    if (!batched.isEmpty()) return Effect().stash();
    List<Long> confirmed = effects.confirmedIds(state.effects());
    if (confirmed.isEmpty()) return Effect().noReply();
    return Effect().persist(new EffectsSettled(confirmed)).thenNoReply();
  }

  /** World and Amazon effects go to their outbox in one batch, numbered on this truck's channel. */
  private CompletionStage<Long> store(
      ActorRef<ResendSupervisor.Command> outbox, List<EffectLog.Decided<Effect>> batch, Function<Effect, PeerMessage> message) {
    ResendSupervisor.Origin first = new ResendSupervisor.Origin(ENTITY_KEY.name(), String.valueOf(truckId), batch.get(0).number());
    List<PeerMessage> messages = batch.stream().map(d -> message.apply(d.effect())).toList();
    return AskPattern.<ResendSupervisor.Command, ResendSupervisor.StoredThrough>ask(
            outbox, replyTo -> new ResendSupervisor.Store(first, messages, replyTo), ASK_TIMEOUT, context.getSystem().scheduler())
        .thenApply(ResendSupervisor.StoredThrough::effectId);
  }

  private CompletionStage<Long> stepShipments(List<EffectLog.Decided<Effect>> batch) {
    List<CompletableFuture<Done>> answers = new ArrayList<>();
    for (EffectLog.Decided<Effect> decided : batch) {
      ToShipment step = (ToShipment) decided.effect();
      answers.add(
          AskPattern.<Shipment.Command, Done>ask(
                  links.shipments().apply(step.shipId()),
                  replyTo -> new Shipment.Update(step.step(), replyTo),
                  ASK_TIMEOUT,
                  context.getSystem().scheduler())
              .toCompletableFuture());
    }
    return allThen(answers, batch);
  }

  private CompletionStage<Long> redispatch(List<EffectLog.Decided<Effect>> batch) {
    List<CompletableFuture<Done>> answers = new ArrayList<>();
    for (EffectLog.Decided<Effect> decided : batch) {
      answers.add(links.redispatch().apply(((Redispatch) decided.effect()).cargo()).toCompletableFuture());
    }
    return allThen(answers, batch);
  }

  private static CompletionStage<Long> allThen(List<CompletableFuture<Done>> answers, List<EffectLog.Decided<Effect>> batch) {
    long last = batch.get(batch.size() - 1).number();
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> last);
  }

  private void publish(State state) {
    topic.tell(Topic.publish(new Changed(state.summary(report))));
  }

  private Instant now() {
    return clock.instant();
  }

  private static List<Long> ids(List<Cargo> cargo) {
    return cargo.stream().map(Cargo::shipId).toList();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(PickupsAssigned.class, (state, e) -> state.assign(e.cargo(), e.at()))
        .onEvent(ArrivedAtWarehouse.class, (state, e) -> state.arrive(e.x(), e.y(), e.at()))
        .onEvent(CargoLoaded.class, (state, e) -> state.load(e.shipId(), e.at()))
        .onEvent(DeliveryStarted.class, (state, e) -> state.depart(e.cargo(), e.at()))
        .onEvent(PackageDelivered.class, (state, e) -> state.delivered(e.shipId(), e.at()))
        .onEvent(BecameIdle.class, (state, e) -> state.becomeIdle(e.x(), e.y(), e.at()))
        .onEvent(CommandFailed.class, (state, e) -> state.fail(e.number(), e.error(), e.at()))
        .onEvent(EffectsSettled.class, (state, e) -> state.settle(e.ids()))
        .build();
  }
}
