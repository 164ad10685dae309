package org.miniups.shipment;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
import org.miniups.link.ResendSupervisor;

/**
 * One shipment, keyed by Amazon's shipid, event-sourced: what it is, where it goes, who owns it,
 * and its history. The truck that carries it reports every step; the shipment tells Amazon about
 * itself (accepted, out for delivery, delivered, exceptions) and is the authority on the
 * destination, which people may change until the truck freezes it on leaving the warehouse.
 *
 * <p>Updates are idempotent: a step the shipment already took (a truck re-sending after a crash)
 * changes nothing. Notices for Amazon stay in the persisted state until the Amazon outbox has
 * stored them, and a command is answered only once they are stored: whoever sent it (a truck,
 * Amazon's pickup) keeps asking until then, which also wakes this shipment after a crash so that
 * it re-sends them (under the same outbox keys) instead of losing them.
 */
public final class Shipment
    extends EventSourcedBehavior<Shipment.Command, Shipment.Event, Shipment.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Shipment");

  public static final String TOPIC_NAME = "shipment-changes";

  /** Every shipment event carries this tag, for the package index read side. */
  public static final String TAG = "shipment";

  /** Statuses as the tracking page, the API and {@code UAStatus} spell them. */
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

  /** A notice for Amazon, kept until the Amazon outbox confirms it stored it. */
  public record PendingNotice(long id, AmazonNotice notice) implements CborSerializable {}

  /** What a truck reports. */
  public record Step(Status status, int truckId, int x, int y, Instant at, String detail)
      implements CborSerializable {}

  // --- commands

  public sealed interface Command extends CborSerializable {}

  /**
   * Create the shipment for Amazon's pickup {@code amazonSeqnum}; {@code ownerId} is the UPS
   * account its upsuserid names, or null. A repeat with the same details is answered again.
   */
  public record Create(Details details, Long ownerId, long amazonSeqnum, ActorRef<CreateReply> replyTo)
      implements Command {}

  /**
   * @param isNew false when the shipment existed already (a repeated pickup)
   * @param conflict non-null when it existed with different details: the reason
   */
  public record CreateReply(State state, boolean isNew, String conflict) implements CborSerializable {}

  /** A step reported by the truck that carries the shipment. */
  public record Update(Step step, ActorRef<Done> replyTo) implements Command {}

  /** The truck leaves the warehouse: fix the destination and answer it. */
  public record FreezeDestination(int truckId, ActorRef<Frozen> replyTo) implements Command {}

  public record Frozen(long shipId, int x, int y, boolean known) implements CborSerializable {}

  /** Only the owner ({@code userId}) may change where the package goes, and only until it leaves. */
  public record ChangeDestination(long userId, int x, int y, ActorRef<ChangeReply> replyTo) implements Command {}

  public enum Refusal {
    NONE,
    UNKNOWN,
    NOT_OWNER,
    TOO_LATE
  }

  /** {@code refusal} NONE when the change was made, else why not ({@code reason} for people). */
  public record ChangeReply(State state, Refusal refusal, String reason) implements CborSerializable {}

  /** A user takes an unlinked package into their list (by its tracking number). */
  public record Claim(long userId, ActorRef<ClaimReply> replyTo) implements Command {}

  public record ClaimReply(State state, Refusal refusal, String reason) implements CborSerializable {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  private record NoticeStored(long noticeId) implements Command {}

  // --- events

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Created.class, name = "shipment.created"),
    @JsonSubTypes.Type(value = PickupRepeated.class, name = "shipment.pickup-repeated"),
    @JsonSubTypes.Type(value = Stepped.class, name = "shipment.stepped"),
    @JsonSubTypes.Type(value = DestinationFrozen.class, name = "shipment.destination-frozen"),
    @JsonSubTypes.Type(value = DestinationChanged.class, name = "shipment.destination-changed"),
    @JsonSubTypes.Type(value = NoticeConfirmed.class, name = "shipment.notice-confirmed"),
    @JsonSubTypes.Type(value = Claimed.class, name = "shipment.claimed")
  })
  public sealed interface Event extends Persisted {}

  public record Created(Details details, String trackingNumber, Long ownerId, long amazonSeqnum, Instant at)
      implements Event {}

  /** Amazon sent the same pickup again under a new seqnum: it gets its own answer. */
  public record PickupRepeated(long amazonSeqnum) implements Event {}

  public record Stepped(Step step) implements Event {}

  public record DestinationFrozen(int truckId, int x, int y) implements Event {}

  public record DestinationChanged(int x, int y, Instant at) implements Event {}

  public record NoticeConfirmed(long noticeId) implements Event {}

  public record Claimed(long userId, Instant at) implements Event {}

  /** Published after every change, for live tracking. */
  public record Changed(State state) implements CborSerializable {}

  // --- state

  /**
   * @param details null until Amazon's pickup created the shipment
   * @param pickupSeqnums Amazon's pickups for this shipment; the first {@code pickupsAnswered} of
   *     them have their UAPickupAccepted
   * @param destX where it goes now (Amazon's destination unless someone changed it)
   * @param frozen the truck is leaving with this destination: no more changes
   */
  public record State(
      long shipId,
      Details details,
      String trackingNumber,
      Long ownerId,
      List<Long> pickupSeqnums,
      int pickupsAnswered,
      Status status,
      int truckId,
      int destX,
      int destY,
      boolean frozen,
      List<HistoryEntry> history,
      String exceptionReason,
      long nextNoticeId,
      List<PendingNotice> unconfirmed)
      implements Persisted {

    public State {
      pickupSeqnums = List.copyOf(pickupSeqnums);
      history = List.copyOf(history);
      unconfirmed = List.copyOf(unconfirmed);
    }

    static State empty(long shipId) {
      return new State(
          shipId, null, null, null, List.of(), 0, null, 0, 0, 0, false, List.of(), null, 1, List.of());
    }

    public boolean exists() {
      return details != null;
    }

    /** Where the package rests, unless it is on a truck (then the truck's position is better). */
    public int[] restingPosition() {
      if (status == Status.DELIVERED) return new int[] {destX, destY};
      if (status != null && status.onTruck() && !history.isEmpty()) {
        HistoryEntry last = history.get(history.size() - 1);
        return new int[] {last.x(), last.y()};
      }
      return new int[] {details.warehouseX(), details.warehouseY()};
    }

    /** Null when people may still change the destination, else why not. */
    public String destinationLockedReason() {
      if (status == Status.DELIVERED) return "the package was already delivered";
      if (status == Status.OUT_FOR_DELIVERY) return "the package is already out for delivery";
      if (frozen) return "the truck is leaving the warehouse with the package";
      return null;
    }

    public Instant updatedAt() {
      return history.isEmpty() ? null : history.get(history.size() - 1).at();
    }

    /** Whether {@code step} moves the shipment on (anything else is a repeat or too late). */
    boolean advancesWith(Step step) {
      if (status == Status.DELIVERED) return false;
      return switch (step.status()) {
        case EN_ROUTE -> status == Status.CREATED || status == Status.EXCEPTION
            || (status == Status.EN_ROUTE && truckId != step.truckId());
        case WAITING -> status == Status.EN_ROUTE;
        case LOADING -> status == Status.WAITING;
        case OUT_FOR_DELIVERY -> status != Status.OUT_FOR_DELIVERY;
        case DELIVERED -> true;
        case EXCEPTION -> status != Status.EXCEPTION || !Objects.equals(exceptionReason, step.detail());
        case CREATED -> false;
      };
    }

    State create(Created e) {
      Details d = e.details();
      HistoryEntry created =
          new HistoryEntry(Status.CREATED.text, e.at(), d.warehouseX(), d.warehouseY(), 0, null);
      return new State(
          shipId, d, e.trackingNumber(), e.ownerId(), List.of(e.amazonSeqnum()), 0, Status.CREATED, 0,
          d.destX(), d.destY(), false, List.of(created), null, nextNoticeId, unconfirmed);
    }

    State repeatPickup(long amazonSeqnum) {
      return new State(
              shipId, details, trackingNumber, ownerId, append(pickupSeqnums, amazonSeqnum), pickupsAnswered,
              status, truckId, destX, destY, frozen, history, exceptionReason, nextNoticeId, unconfirmed)
          .answerPickups();
    }

    State step(Step s) {
      boolean stillFrozen = frozen && s.status() != Status.EXCEPTION && s.status() != Status.EN_ROUTE;
      HistoryEntry entry = new HistoryEntry(s.status().text, s.at(), s.x(), s.y(), s.truckId(), s.detail());
      State next =
          new State(
              shipId, details, trackingNumber, ownerId, pickupSeqnums, pickupsAnswered, s.status(),
              s.truckId() != 0 ? s.truckId() : truckId, destX, destY, stillFrozen, append(history, entry),
              s.status() == Status.EXCEPTION ? s.detail() : null, nextNoticeId, unconfirmed);
      return switch (s.status()) {
        case EN_ROUTE -> next.answerPickups();
        case OUT_FOR_DELIVERY -> next.notify(new AmazonNotice.OutForDelivery(shipId, destX, destY));
        case DELIVERED -> next.notify(new AmazonNotice.Delivered(shipId, s.x(), s.y()));
        case EXCEPTION -> next.notify(
            new AmazonNotice.Error("shipment " + shipId + ": " + s.detail(), pickupSeqnums.get(0)));
        default -> next;
      };
    }

    /** Every pickup not answered yet gets its UAPickupAccepted, once a truck is assigned. */
    private State answerPickups() {
      if (truckId == 0) return this;
      State next = this;
      for (int i = pickupsAnswered; i < pickupSeqnums.size(); i++) {
        next = next.notify(new AmazonNotice.PickupAccepted(shipId, trackingNumber, truckId, ownerId != null));
      }
      return new State(
          shipId, details, trackingNumber, ownerId, pickupSeqnums, pickupSeqnums.size(), status, truckId,
          destX, destY, frozen, history, exceptionReason, next.nextNoticeId, next.unconfirmed);
    }

    private State notify(AmazonNotice notice) {
      return new State(
          shipId, details, trackingNumber, ownerId, pickupSeqnums, pickupsAnswered, status, truckId, destX,
          destY, frozen, history, exceptionReason, nextNoticeId + 1,
          append(unconfirmed, new PendingNotice(nextNoticeId, notice)));
    }

    State confirm(long noticeId) {
      return new State(
          shipId, details, trackingNumber, ownerId, pickupSeqnums, pickupsAnswered, status, truckId, destX,
          destY, frozen, history, exceptionReason, nextNoticeId,
          unconfirmed.stream().filter(n -> n.id() != noticeId).toList());
    }

    State claim(long userId) {
      return new State(
          shipId, details, trackingNumber, userId, pickupSeqnums, pickupsAnswered, status, truckId, destX, destY,
          frozen, history, exceptionReason, nextNoticeId, unconfirmed);
    }

    State freeze(int x, int y) {
      return new State(
          shipId, details, trackingNumber, ownerId, pickupSeqnums, pickupsAnswered, status, truckId, x, y,
          true, history, exceptionReason, nextNoticeId, unconfirmed);
    }

    /** The history entry records where the package is, not where it will go (the detail says that). */
    State redirect(int x, int y, Instant at) {
      HistoryEntry last = history.get(history.size() - 1);
      HistoryEntry entry =
          new HistoryEntry(status.text, at, last.x(), last.y(), truckId, "destination changed to (" + x + ", " + y + ")");
      return new State(
          shipId, details, trackingNumber, ownerId, pickupSeqnums, pickupsAnswered, status, truckId, x, y,
          false, append(history, entry), exceptionReason, nextNoticeId, unconfirmed);
    }

    private static <T> List<T> append(List<T> list, T item) {
      List<T> out = new ArrayList<>(list);
      out.add(item);
      return out;
    }
  }

  // --- behavior

  public static void init(
      ActorSystem<?> system,
      ActorRef<ResendSupervisor.Command> amazonOutbox,
      ActorRef<Topic.Command<Changed>> topic,
      Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                ENTITY_KEY,
                entity -> create(Long.parseLong(entity.getEntityId()), amazonOutbox, topic, clock)));
  }

  public static Behavior<Command> create(
      long shipId,
      ActorRef<ResendSupervisor.Command> amazonOutbox,
      ActorRef<Topic.Command<Changed>> topic,
      Clock clock) {
    return Behaviors.setup(context -> new Shipment(context, shipId, amazonOutbox, topic, clock));
  }

  public static PersistenceId persistenceId(long shipId) {
    return PersistenceId.of("Shipment", String.valueOf(shipId));
  }

  /** Outbox keys name the shipment and the notice, so re-sending one is recognised. */
  public static String outboxKey(long shipId, long noticeId) {
    return "shipment-" + shipId + "/" + noticeId;
  }

  /** How long a shipment event takes to reach the journal (the metrics endpoint shows it). */
  private static final io.micrometer.core.instrument.Timer JOURNAL_WRITES =
      io.micrometer.core.instrument.Metrics.timer("miniups.journal.write");

  private final long shipId;
  private final ActorRef<ResendSupervisor.Command> amazonOutbox;
  private final ActorRef<Topic.Command<Changed>> topic;
  private final Clock clock;
  private final ActorRef<ResendSupervisor.Stored> storedAdapter;
  // Transient: answers held back until every pending notice is stored.
  private final List<Runnable> afterNoticesStored = new ArrayList<>();

  private Shipment(
      ActorContext<Command> context,
      long shipId,
      ActorRef<ResendSupervisor.Command> amazonOutbox,
      ActorRef<Topic.Command<Changed>> topic,
      Clock clock) {
    super(
        persistenceId(shipId),
        SupervisorStrategy.restartWithBackoff(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(5), 0.1));
    this.shipId = shipId;
    this.amazonOutbox = amazonOutbox;
    this.topic = topic;
    this.clock = clock;
    this.storedAdapter =
        context.messageAdapter(
            ResendSupervisor.Stored.class,
            stored -> new NoticeStored(Long.parseLong(stored.key().substring(stored.key().indexOf('/') + 1))));
  }

  @Override
  public State emptyState() {
    return State.empty(shipId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(TAG);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> state.unconfirmed().forEach(this::send))
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Update.class, this::onUpdate)
        .onCommand(FreezeDestination.class, this::onFreeze)
        .onCommand(ChangeDestination.class, this::onChangeDestination)
        .onCommand(Claim.class, this::onClaim)
        .onCommand(NoticeStored.class, this::onNoticeStored)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .build();
  }

  private Effect<Event, State> onCreate(State state, Create cmd) {
    if (!state.exists()) {
      Created created =
          new Created(cmd.details(), TrackingNumbers.next(), cmd.ownerId(), cmd.amazonSeqnum(), clock.instant());
      return persistThenNotify(state, List.of(created), s -> cmd.replyTo().tell(new CreateReply(s, true, null)));
    }
    if (!state.details().equals(cmd.details())) {
      String conflict = "shipment " + shipId + " is already known with different content";
      return Effect().reply(cmd.replyTo(), new CreateReply(state, false, conflict));
    }
    if (state.pickupSeqnums().contains(cmd.amazonSeqnum())) {
      return answerOnceStored(state, () -> cmd.replyTo().tell(new CreateReply(state, false, null)));
    }
    return persistThenNotify(
        state, List.of(new PickupRepeated(cmd.amazonSeqnum())), s -> cmd.replyTo().tell(new CreateReply(s, false, null)));
  }

  private Effect<Event, State> onUpdate(State state, Update cmd) {
    if (!state.exists() || !state.advancesWith(cmd.step())) {
      return answerOnceStored(state, () -> cmd.replyTo().tell(Done.getInstance()));
    }
    return persistThenNotify(state, List.of(new Stepped(cmd.step())), s -> cmd.replyTo().tell(Done.getInstance()));
  }

  private Effect<Event, State> onFreeze(State state, FreezeDestination cmd) {
    if (!state.exists()) return Effect().reply(cmd.replyTo(), new Frozen(shipId, 0, 0, false));
    if (state.frozen() || state.destinationLockedReason() != null) {
      return Effect().reply(cmd.replyTo(), new Frozen(shipId, state.destX(), state.destY(), true));
    }
    return persistThenNotify(
        state,
        List.of(new DestinationFrozen(cmd.truckId(), state.destX(), state.destY())),
        s -> cmd.replyTo().tell(new Frozen(shipId, s.destX(), s.destY(), true)));
  }

  private Effect<Event, State> onChangeDestination(State state, ChangeDestination cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), new ChangeReply(state, Refusal.UNKNOWN, "no such package"));
    }
    if (state.ownerId() == null || state.ownerId() != cmd.userId()) {
      return Effect()
          .reply(cmd.replyTo(), new ChangeReply(state, Refusal.NOT_OWNER, "only the package's owner may change its destination"));
    }
    String locked = state.destinationLockedReason();
    if (locked != null) {
      return Effect().reply(cmd.replyTo(), new ChangeReply(state, Refusal.TOO_LATE, "too late: " + locked));
    }
    if (state.destX() == cmd.x() && state.destY() == cmd.y()) {
      return Effect().reply(cmd.replyTo(), new ChangeReply(state, Refusal.NONE, null));
    }
    return persistThenNotify(
        state,
        List.of(new DestinationChanged(cmd.x(), cmd.y(), clock.instant())),
        s -> cmd.replyTo().tell(new ChangeReply(s, Refusal.NONE, null)));
  }

  private Effect<Event, State> onClaim(State state, Claim cmd) {
    if (!state.exists()) return Effect().reply(cmd.replyTo(), new ClaimReply(state, Refusal.UNKNOWN, "no such package"));
    if (state.ownerId() != null && state.ownerId() == cmd.userId()) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(state, Refusal.NONE, null));
    }
    if (state.ownerId() != null) {
      return Effect().reply(cmd.replyTo(), new ClaimReply(state, Refusal.NOT_OWNER, "this package already belongs to another account"));
    }
    return persistThenNotify(
        state,
        List.of(new Claimed(cmd.userId(), clock.instant())),
        s -> cmd.replyTo().tell(new ClaimReply(s, Refusal.NONE, null)));
  }

  private Effect<Event, State> onNoticeStored(State state, NoticeStored cmd) {
    boolean pending = state.unconfirmed().stream().anyMatch(n -> n.id() == cmd.noticeId());
    if (!pending) return Effect().none();
    return Effect().persist(new NoticeConfirmed(cmd.noticeId())).thenRun(this::answerIfAllStored);
  }

  /**
   * Persists, hands the notices these events added to the Amazon outbox, publishes, and answers
   * with {@code reply} once every pending notice is stored.
   */
  private EffectBuilder<Event, State> persistThenNotify(
      State before, List<Event> events, java.util.function.Consumer<State> reply) {
    long firstNew = before.nextNoticeId();
    long started = System.nanoTime();
    return Effect()
        .persist(events)
        .thenRun(
            (State after) -> {
              JOURNAL_WRITES.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
              for (PendingNotice notice : after.unconfirmed()) if (notice.id() >= firstNew) send(notice);
              topic.tell(Topic.publish(new Changed(after)));
              afterNoticesStored.add(() -> reply.accept(after));
              answerIfAllStored(after);
            });
  }

  private Effect<Event, State> answerOnceStored(State state, Runnable reply) {
    afterNoticesStored.add(reply);
    answerIfAllStored(state);
    return Effect().none();
  }

  private void answerIfAllStored(State state) {
    if (!state.unconfirmed().isEmpty()) return;
    List<Runnable> answers = List.copyOf(afterNoticesStored);
    afterNoticesStored.clear();
    answers.forEach(Runnable::run);
  }

  private void send(PendingNotice pending) {
    amazonOutbox.tell(new ResendSupervisor.Store(outboxKey(shipId, pending.id()), pending.notice(), storedAdapter));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, (state, e) -> state.create(e))
        .onEvent(PickupRepeated.class, (state, e) -> state.repeatPickup(e.amazonSeqnum()))
        .onEvent(Stepped.class, (state, e) -> state.step(e.step()))
        .onEvent(DestinationFrozen.class, (state, e) -> state.freeze(e.x(), e.y()))
        .onEvent(DestinationChanged.class, (state, e) -> state.redirect(e.x(), e.y(), e.at()))
        .onEvent(NoticeConfirmed.class, (state, e) -> state.confirm(e.noticeId()))
        .onEvent(Claimed.class, (state, e) -> state.claim(e.userId()))
        .build();
  }
}
