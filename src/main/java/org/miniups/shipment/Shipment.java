package org.miniups.shipment;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.miniups.Placement;
import org.miniups.persistence.JournalFailures;
import org.miniups.CborSerializable;
import org.miniups.Persisted;

/**
 * One shipment, keyed by Amazon's shipid, event-sourced: what it is, where it goes, who owns it,
 * and its history, for people tracking it. The truck that carries it reports every step; the
 * shipment is the authority on the destination, which its owner may change until the truck
 * leaves the warehouse with it. It sends nothing itself: what Amazon hears about a shipment comes
 * from the truck that carries it, in the truck's order (see {@code Truck}).
 *
 * <p>Steps are idempotent and monotone: a step from an earlier dispatch, or one the shipment has
 * passed already (a truck re-sending after a crash), changes nothing.
 */
public final class Shipment
    extends EventSourcedBehaviorWithEnforcedReplies<Shipment.Command, Shipment.Event, ShipmentState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Shipment");

  public static final String TOPIC_NAME = "shipment-changes";

  /**
   * The package index reads shipment events in this many slices, one projection instance each
   * (spread over the cluster); a shipment's events all carry its slice's tag. Fixed for the life
   * of a journal: changing it would move shipments to slices whose offsets never saw them.
   */
  public static final int SLICES = 4;

  /** The tag of every event of {@code shipId}: "shipment-0" … "shipment-3". */
  public static String tagOf(long shipId) {
    return sliceTag(Math.abs((int) (shipId % SLICES)));
  }

  public static String sliceTag(int slice) {
    return "shipment-" + slice;
  }

  /** Statuses as the tracking page, the API and {@code UAStatus} spell them, in the order of a trip. */
  public enum Status {
    CREATED("created"),
    EN_ROUTE("truck en route to warehouse"),
    WAITING("truck waiting for package"),
    LOADING("loading"),
    OUT_FOR_DELIVERY("out for delivery"),
    DELIVERED("delivered"),
    EXCEPTION("exception");

    public final String text;

    Status(String text) {
      this.text = text;
    }

    /** On a truck: the package's position is the truck's. */
    public boolean onTruck() {
      return this == LOADING || this == OUT_FOR_DELIVERY;
    }
  }

  public record Item(long productId, String description, int count) implements CborSerializable {}

  /** What Amazon asked for; two pickups with equal details are the same shipment. */
  public record Details(
      long shipId,
      int warehouseId,
      int warehouseX,
      int warehouseY,
      int destX,
      int destY,
      Long upsUserId,
      List<Item> items)
      implements CborSerializable {
    public Details {
      items = List.copyOf(items);
    }
  }

  public record HistoryEntry(String status, Instant at, int x, int y, int truckId, String detail)
      implements CborSerializable {}

  /**
   * What a truck reports; {@code attempt} counts dispatches of the shipment (a refused pickup
   * dispatches it again), so a late step from an earlier truck is recognised.
   */
  public record Step(Status status, int truckId, int attempt, int x, int y, Instant at, String detail)
      implements CborSerializable {}

  // --- commands

  public sealed interface Command extends CborSerializable {}

  /**
   * Create the shipment for Amazon's pickup {@code amazonSeqnum}; {@code ownerId} is the UPS
   * account its upsuserid names, or null. A repeat with the same details changes nothing.
   */
  public record Create(Details details, Long ownerId, long amazonSeqnum, ActorRef<CreateReply> replyTo)
      implements Command {}

  /**
   * @param isNew false when the shipment existed already (a repeated pickup)
   * @param conflict non-null when it existed with different details: the reason
   */
  public record CreateReply(Summary shipment, boolean isNew, String conflict) implements CborSerializable {}

  /** A step reported by the truck that carries the shipment. */
  public record Update(Step step, ActorRef<Done> replyTo) implements Command {}

  /**
   * Truck {@code truckId} (dispatch {@code attempt}) leaves the warehouse with the shipment: from
   * now on it is out for delivery and its destination is fixed; answered with that destination.
   * The truck knows it carries the shipment even if its earlier steps have not arrived yet.
   */
  public record LeaveWarehouse(int truckId, int attempt, ActorRef<Destination> replyTo) implements Command {}

  /** {@code known} false: no such shipment (the truck then keeps Amazon's destination). */
  public record Destination(long shipId, int x, int y, boolean known) implements CborSerializable {}

  /** Only the owner ({@code userId}) may change where the package goes, and only until it leaves. */
  public record ChangeDestination(long userId, int x, int y, ActorRef<ChangeReply> replyTo) implements Command {}

  public enum Refusal {
    NONE,
    UNKNOWN,
    NOT_OWNER,
    TOO_LATE,
    /** A claim whose proof (the destination) does not match. */
    WRONG_PROOF
  }

  /** {@code refusal} NONE when the change was made, else why not ({@code reason} for people). */
  public record ChangeReply(Summary shipment, Refusal refusal, String reason) implements CborSerializable {}

  /**
   * A user takes an unlinked package into their list: by its tracking number and, as proof of
   * being its recipient, its current destination ({@code x}, {@code y}), as a carrier asks for a
   * recipient's postal code.
   */
  public record Claim(long userId, int x, int y, ActorRef<ClaimReply> replyTo) implements Command {}

  public record ClaimReply(Summary shipment, Refusal refusal, String reason) implements CborSerializable {}

  public static final String CLAIM_PROOF_WRONG = "the tracking number and the destination do not match";

  public record Get(ActorRef<Summary> replyTo) implements Command {}

  // --- events

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Created.class, name = "shipment.created"),
    @JsonSubTypes.Type(value = Stepped.class, name = "shipment.stepped"),
    @JsonSubTypes.Type(value = LeftWarehouse.class, name = "shipment.left-warehouse"),
    @JsonSubTypes.Type(value = DestinationChanged.class, name = "shipment.destination-changed"),
    @JsonSubTypes.Type(value = Claimed.class, name = "shipment.claimed")
  })
  public sealed interface Event extends Persisted {}

  public record Created(Details details, String trackingNumber, Long ownerId, long amazonSeqnum, Instant at)
      implements Event {}

  public record Stepped(Step step) implements Event {}

  /** Out for delivery on {@code truckId} (dispatch {@code attempt}), to ({@code x}, {@code y}): the destination is final. */
  public record LeftWarehouse(int truckId, int attempt, int x, int y, Instant at) implements Event {}

  public record DestinationChanged(int x, int y, Instant at) implements Event {}

  public record Claimed(long userId, Instant at) implements Event {}

  /** Published after every change, for live tracking. */
  public record Changed(Summary shipment) implements CborSerializable {}

  // --- the view readers get

  /**
   * The shipment as readers see it (HTTP, live updates, the Amazon router); {@code details} is
   * null when no pickup created it; of two summaries, the one with the higher {@code revision} is
   * newer.
   */
  public record Summary(
      long shipId,
      Details details,
      String trackingNumber,
      long pickupSeqnum,
      Long ownerId,
      Status status,
      int truckId,
      int destX,
      int destY,
      List<HistoryEntry> history,
      String exceptionReason,
      long revision)
      implements CborSerializable {

    public Summary {
      history = List.copyOf(history);
    }

    public boolean exists() {
      return details != null;
    }

    /** Where the package rests, unless it is on a truck (then the truck's position is better). */
    public int[] restingPosition() {
      if (status == Status.DELIVERED) return new int[] {destX, destY};
      if (status.onTruck() && !history.isEmpty()) {
        HistoryEntry last = history.get(history.size() - 1);
        return new int[] {last.x(), last.y()};
      }
      return new int[] {details.warehouseX(), details.warehouseY()};
    }

    /** Null when people may still change the destination, else why not. */
    public String destinationLockedReason() {
      if (status == Status.DELIVERED) return "the package was already delivered";
      if (status == Status.OUT_FOR_DELIVERY) return "the package is already out for delivery";
      return null;
    }

    public Instant updatedAt() {
      return history.isEmpty() ? null : history.get(history.size() - 1).at();
    }

    /** The status as PROTOCOL.md spells it for Amazon: an exception names its reason. */
    public String protocolStatus() {
      if (status == Status.EXCEPTION && exceptionReason != null) return "exception: " + exceptionReason;
      return status.text;
    }

    /**
     * Whether truck {@code truckId} was at the warehouse for this shipment (it was announced to
     * Amazon there, so Amazon may load onto it), whatever happened since. The shipment records
     * this for good, while the truck forgets a shipment once it is off the truck; and it records
     * leaving with that truck before the truck departs, so the record never lags the truck.
     */
    public boolean wasCollectedBy(int truckId) {
      return history.stream()
          .anyMatch(entry -> entry.truckId() == truckId && COLLECTED.contains(entry.status()));
    }

    private static final Set<String> COLLECTED =
        Set.of(Status.WAITING.text, Status.LOADING.text, Status.OUT_FOR_DELIVERY.text, Status.DELIVERED.text);
  }

  // --- state


  // --- behavior

  /**
   * Shipments are many and mostly idle (delivered ones for good): one not asked for in {@code
   * mini-ups.shipment.passivate-after} stops, and the next ask replays its handful of events.
   */
  public static void init(Placement placement, ActorRef<Topic.Command<Changed>> topic, Clock clock) {
    Duration idle = placement.system().settings().config().getDuration("mini-ups.shipment.passivate-after");
    placement.initEntities(ENTITY_KEY, entityId -> create(Long.parseLong(entityId), topic, clock), idle);
  }

  public static RecipientRef<Command> entity(Placement placement, long shipId) {
    return placement.entity(ENTITY_KEY, String.valueOf(shipId));
  }

  /** Where each shipment publishes its {@link Changed} summaries, on this node. */
  public static ActorRef<Topic.Command<Changed>> initTopic(Placement placement) {
    return placement.spawn(Topic.create(Changed.class, TOPIC_NAME), "shipment-topic");
  }

  public static Behavior<Command> create(long shipId, ActorRef<Topic.Command<Changed>> topic, Clock clock) {
    return new Shipment(shipId, topic, clock);
  }

  public static PersistenceId persistenceId(long shipId) {
    return PersistenceId.of(ENTITY_KEY.name(), String.valueOf(shipId));
  }

  /** How long a shipment event takes to reach the journal (the metrics endpoint shows it). */
  private static final Timer JOURNAL_WRITES = Metrics.timer("miniups.journal.write");

  private final long shipId;
  private final ActorRef<Topic.Command<Changed>> topic;
  private final Clock clock;

  private Shipment(long shipId, ActorRef<Topic.Command<Changed>> topic, Clock clock) {
    super(
        persistenceId(shipId),
        JournalFailures.restartWithBackoff());
    this.shipId = shipId;
    this.topic = topic;
    this.clock = clock;
  }

  @Override
  public ShipmentState emptyState() {
    return ShipmentState.empty(shipId);
  }

  /** A shipment has a handful of events: it never snapshots, so recovery need not look for one. */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.disabled();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tagOf(shipId));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, ShipmentState> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, ShipmentState> builder = newCommandHandlerWithReplyBuilder();
    builder.forState(state -> !state.exists())
        .onCommand(Create.class, this::create)
        .onCommand(Update.class, (state, cmd) -> Effect().reply(cmd.replyTo(), Done.getInstance()))
        .onCommand(LeaveWarehouse.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Destination(shipId, 0, 0, false)))
        .onCommand(ChangeDestination.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new ChangeReply(state.summary(), Refusal.UNKNOWN, "no such package")))
        .onCommand(Claim.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new ClaimReply(state.summary(), Refusal.UNKNOWN, "no such package")));
    builder.forState(ShipmentState::exists)
        .onCommand(Create.class, this::createAgain)
        .onCommand(Update.class, this::update)
        .onCommand(LeaveWarehouse.class, this::leaveWarehouse)
        .onCommand(ChangeDestination.class, this::changeDestination)
        .onCommand(Claim.class, this::claim);
    builder.forAnyState().onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.summary()));
    return builder.build();
  }

  private ReplyEffect<Event, ShipmentState> create(ShipmentState state, Create cmd) {
    Created created =
        new Created(cmd.details(), TrackingNumbers.next(), cmd.ownerId(), cmd.amazonSeqnum(), clock.instant());
    return persist(created, cmd.replyTo(), s -> new CreateReply(s.summary(), true, null));
  }

  private ReplyEffect<Event, ShipmentState> createAgain(ShipmentState state, Create cmd) {
    String conflict =
        state.order().details().equals(cmd.details()) ? null : "shipment " + shipId + " is already known with different content";
    return Effect().reply(cmd.replyTo(), new CreateReply(state.summary(), false, conflict));
  }

  private ReplyEffect<Event, ShipmentState> update(ShipmentState state, Update cmd) {
    if (!state.advancesWith(cmd.step())) return Effect().reply(cmd.replyTo(), Done.getInstance());
    return persist(new Stepped(cmd.step()), cmd.replyTo(), s -> Done.getInstance());
  }

  private ReplyEffect<Event, ShipmentState> leaveWarehouse(ShipmentState state, LeaveWarehouse cmd) {
    ShipmentState.Place to = state.destination();
    Destination fixed = new Destination(shipId, to.x(), to.y(), true);
    if (!state.canLeaveWith(cmd.truckId(), cmd.attempt())) return Effect().reply(cmd.replyTo(), fixed);
    LeftWarehouse left = new LeftWarehouse(cmd.truckId(), cmd.attempt(), to.x(), to.y(), clock.instant());
    return persist(left, cmd.replyTo(), s -> fixed);
  }

  private ReplyEffect<Event, ShipmentState> changeDestination(ShipmentState state, ChangeDestination cmd) {
    if (state.ownerId() == null || state.ownerId() != cmd.userId()) {
      return Effect().reply(cmd.replyTo(), new ChangeReply(state.summary(), Refusal.NOT_OWNER, "only the package's owner may change its destination"));
    }
    String locked = state.destinationLockedReason();
    if (locked != null) {
      return Effect().reply(cmd.replyTo(), new ChangeReply(state.summary(), Refusal.TOO_LATE, "too late: " + locked));
    }
    if (state.destination().equals(new ShipmentState.Place(cmd.x(), cmd.y()))) {
      return Effect().reply(cmd.replyTo(), new ChangeReply(state.summary(), Refusal.NONE, null));
    }
    return persist(
        new DestinationChanged(cmd.x(), cmd.y(), clock.instant()),
        cmd.replyTo(),
        s -> new ChangeReply(s.summary(), Refusal.NONE, null));
  }

  /**
   * The owner asking again gets the answer of the first time, whatever happened since; a delivered
   * package or another's is refused before the proof is looked at, so a refusal of the proof says
   * nothing a guesser could not learn anyway.
   */
  private ReplyEffect<Event, ShipmentState> claim(ShipmentState state, Claim cmd) {
    if (state.ownerId() != null && state.ownerId() == cmd.userId()) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(state.summary(), Refusal.NONE, null));
    }
    if (state.progress().status() == Status.DELIVERED) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(state.summary(), Refusal.TOO_LATE, "the package was already delivered"));
    }
    if (state.ownerId() != null) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(state.summary(), Refusal.NOT_OWNER, "this package already belongs to another account"));
    }
    if (!state.destination().equals(new ShipmentState.Place(cmd.x(), cmd.y()))) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(state.summary(), Refusal.WRONG_PROOF, CLAIM_PROOF_WRONG));
    }
    return persist(
        new Claimed(cmd.userId(), clock.instant()), cmd.replyTo(), s -> new ClaimReply(s.summary(), Refusal.NONE, null));
  }

  /** Persists, publishes the change, then replies. */
  private <R> ReplyEffect<Event, ShipmentState> persist(Event event, ActorRef<R> replyTo, Function<ShipmentState, R> reply) {
    long started = System.nanoTime();
    return Effect()
        .persist(event)
        .thenRun(
            (ShipmentState after) -> {
              JOURNAL_WRITES.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
              topic.tell(Topic.publish(new Changed(after.summary())));
            })
        .thenReply(replyTo, reply::apply);
  }

  @Override
  public EventHandler<ShipmentState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, (state, e) -> state.create(e).revised())
        .onEvent(Stepped.class, (state, e) -> state.step(e.step()).revised())
        .onEvent(LeftWarehouse.class, (state, e) -> state.leave(e).revised())
        .onEvent(DestinationChanged.class, (state, e) -> state.redirect(e).revised())
        .onEvent(Claimed.class, (state, e) -> state.claim(e).revised())
        .build();
  }
}
