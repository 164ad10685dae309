package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.typesafe.config.Config;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
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
import org.miniups.persistence.GroupCommit;
import org.miniups.persistence.JournalFailures;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.pcollections.HashPMap;
import org.pcollections.HashTreePMap;
import org.pcollections.TreePMap;

/**
 * The outbox of one link: every outgoing item is persisted before it is first sent, gets its
 * seqnum here, and is re-sent on a timer until the peer acks it. Seqnums are handed out in the
 * order items are stored, and items always go out in seqnum order, so an item stored only after
 * another was stored is also seen after it: that is how causal order reaches the peer.
 *
 * <p>Two kinds of item, each recognised when it is stored again:
 *
 * <ul>
 *   <li>an entity's effects ({@link Store}): numbered 1, 2, 3… per entity channel. The outbox keeps
 *       each channel's high-water mark forever (one number per entity), so an entity that re-sends
 *       its effects after a crash never gets a second seqnum for the same effect. A channel is
 *       stored without gaps: effects that skip a number wait for the missing one.
 *   <li>an answer to a peer's request ({@link StoreAnswer}), keyed by that request: the peer
 *       re-sends the request only until we ack it, so remembering the most recent keys is enough.
 * </ul>
 *
 * <p>Group commit: stores and acks that arrive while a write is in flight go into the next single
 * write. Acks are recorded late (with the next store, or on a timer): losing a few in a crash only
 * means the peer sees those items again, which it acks without acting twice.
 *
 * <p>Volatile items (truck queries) are kept in memory only and replace one another by key.
 */
public final class ResendSupervisor
    extends EventSourcedBehavior<ResendSupervisor.Command, ResendSupervisor.Event, ResendSupervisor.State> {

  /** Who stored an item: effect {@code effectId} (from 1) of one entity, or an answer (effect 0). */
  public record Origin(String entityType, String entityId, long effectId) implements CborSerializable {
    static final String ANSWER = "answer";

    static Origin answer(String key) {
      return new Origin(ANSWER, key, 0);
    }

    boolean isAnswer() {
      return ANSWER.equals(entityType);
    }

    String channel() {
      return entityType + "/" + entityId;
    }
  }

  public sealed interface Command extends CborSerializable {}

  /**
   * Store {@code messages} as effects {@code first.effectId()}, +1, … of {@code first}'s entity,
   * each once; answered with how far that entity's effects are stored (maybe further, when some
   * were stored before; not as far, when an earlier effect is missing and must be sent first).
   */
  public record Store(Origin first, List<PeerMessage> messages, ActorRef<StoredThrough> replyTo) implements Command {}

  public record StoredThrough(String entityType, String entityId, long effectId) implements CborSerializable {}

  /** Store the answer to a peer's request under {@code key}, once. */
  public record StoreAnswer(String key, PeerMessage message, ActorRef<AnswerStored> replyTo) implements Command {}

  public record AnswerStored(String key, long seqnum) implements CborSerializable {}

  /** Send {@code message} until acked, without persisting it; replaces a pending one under {@code key}. */
  public record SendVolatile(String key, PeerMessage message) implements Command {}

  /** The peer acknowledged these seqnums. */
  public record Acked(List<Long> seqnums) implements Command {}

  /** The link is connected: items go to {@code link} from now on. */
  public record LinkUp(ActorRef<Transmit> link) implements Command {}

  public record LinkDown(ActorRef<Transmit> link) implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** Who stored {@code seqnum}: how a peer's error finds the entity whose command failed. */
  public record WhoSent(long seqnum, ActorRef<Sender> replyTo) implements Command {}

  /** {@code origin} is empty when the seqnum is unknown (or acked too long ago to remember). */
  public record Sender(Optional<Origin> origin) implements CborSerializable {}

  /**
   * Counters for health and metrics; {@code node} is the address of the node the outbox runs on
   * (the singletons' node: the links run beside their outboxes).
   */
  public record Status(int unacked, int unackedVolatile, long sent, long resent, boolean linkUp, String node)
      implements CborSerializable {}

  private enum Flush implements Command {
    INSTANCE
  }

  private enum ResendTick implements Command {
    INSTANCE
  }

  private record BlockGranted(SequenceAllocator.Block block) implements Command {}

  private record BlockRefused(String reason) implements Command {}

  /** What the outbox asks the link to write, in seqnum order: the connection maps it to the wire. */
  public record Transmit(List<Item> items) implements CborSerializable {}

  public record Item(long seqnum, Origin origin, PeerMessage message) implements CborSerializable {
    Item withoutMessage() {
      return new Item(seqnum, origin, null);
    }
  }

  @JsonSubTypes({@JsonSubTypes.Type(value = Recorded.class, name = "outbox.recorded")})
  public sealed interface Event extends Persisted {}

  /** One write: items stored (in seqnum order) and seqnums the peer acked since the last write. */
  public record Recorded(List<Item> queued, List<Long> acked) implements Event {
    public Recorded {
      queued = List.copyOf(queued);
      acked = List.copyOf(acked);
    }
  }

  /**
   * Unacked items by seqnum; each entity channel's high-water mark; and the most recently acked
   * items without their message (so a peer's error about them still finds its sender, and an
   * answer's key is still recognised). Snapshots hold the lists; the indexes are rebuilt.
   */
  @JsonAutoDetect(
      fieldVisibility = JsonAutoDetect.Visibility.NONE,
      getterVisibility = JsonAutoDetect.Visibility.NONE,
      isGetterVisibility = JsonAutoDetect.Visibility.NONE)
  public static final class State implements Persisted {
    private final TreePMap<Long, Item> pending;
    private final TreePMap<Long, Item> recentlyAcked;
    private final HashPMap<String, Long> storedThrough;
    private final HashPMap<String, Long> answerSeqnums;
    private final int memory;

    private State(
        TreePMap<Long, Item> pending,
        TreePMap<Long, Item> recentlyAcked,
        HashPMap<String, Long> storedThrough,
        HashPMap<String, Long> answerSeqnums,
        int memory) {
      this.pending = pending;
      this.recentlyAcked = recentlyAcked;
      this.storedThrough = storedThrough;
      this.answerSeqnums = answerSeqnums;
      this.memory = memory;
    }

    static State empty(int memory) {
      return new State(TreePMap.empty(), TreePMap.empty(), HashTreePMap.empty(), HashTreePMap.empty(), memory);
    }

    @JsonCreator
    public static State of(
        @JsonProperty("pending") List<Item> pending,
        @JsonProperty("recentlyAcked") List<Item> recentlyAcked,
        @JsonProperty("storedThrough") Map<String, Long> storedThrough,
        @JsonProperty("memory") int memory) {
      State state = empty(memory).record(new Recorded(recentlyAcked, recentlyAcked.stream().map(Item::seqnum).toList()));
      state = state.record(new Recorded(pending, List.of()));
      return new State(
          state.pending, state.recentlyAcked, HashTreePMap.from(storedThrough), state.answerSeqnums, memory);
    }

    @JsonProperty("pending")
    public List<Item> pendingItems() {
      return new ArrayList<>(pending.values());
    }

    @JsonProperty("recentlyAcked")
    public List<Item> recentlyAckedItems() {
      return new ArrayList<>(recentlyAcked.values());
    }

    @JsonProperty("storedThrough")
    public Map<String, Long> storedThrough() {
      return storedThrough;
    }

    @JsonProperty("memory")
    public int memory() {
      return memory;
    }

    long storedThrough(Origin origin) {
      return storedThrough.getOrDefault(origin.channel(), 0L);
    }

    Long answerSeqnum(String key) {
      return answerSeqnums.get(key);
    }

    Optional<Origin> originOf(long seqnum) {
      Item item = pending.containsKey(seqnum) ? pending.get(seqnum) : recentlyAcked.get(seqnum);
      return Optional.ofNullable(item).map(Item::origin);
    }

    boolean isPending(long seqnum) {
      return pending.containsKey(seqnum);
    }

    State record(Recorded recorded) {
      TreePMap<Long, Item> nextPending = pending;
      HashPMap<String, Long> marks = storedThrough;
      HashPMap<String, Long> answers = answerSeqnums;
      for (Item item : recorded.queued()) {
        nextPending = nextPending.plus(item.seqnum(), item);
        if (item.origin().isAnswer()) answers = answers.plus(item.origin().entityId(), item.seqnum());
        else marks = marks.plus(item.origin().channel(), Math.max(item.origin().effectId(), marks.getOrDefault(item.origin().channel(), 0L)));
      }
      TreePMap<Long, Item> acked = recentlyAcked;
      for (long seqnum : recorded.acked()) {
        Item item = nextPending.get(seqnum);
        if (item == null) continue;
        nextPending = nextPending.minus(seqnum);
        acked = acked.plus(seqnum, item.withoutMessage());
      }
      while (acked.size() > memory) {
        Item forgotten = acked.firstEntry().getValue();
        acked = acked.minusFirstEntry();
        if (forgotten.origin().isAnswer()) answers = answers.minus(forgotten.origin().entityId());
      }
      return new State(nextPending, acked, marks, answers, memory);
    }
  }

  /**
   * The outbox of the link to {@code peer} ("world", "amazon"): one in the cluster, with the
   * configured {@code mini-ups.link} timings.
   */
  public static ActorRef<Command> init(Placement placement, String peer, ActorRef<SequenceAllocator.Command> allocator) {
    Config link = placement.system().settings().config().getConfig("mini-ups.link");
    return placement.singleton(
        create(
            PersistenceId.ofUniqueId("outbox-" + peer),
            allocator,
            link.getDuration("resend-interval"),
            link.getInt("seqnum-block-size")),
        peer + "-outbox");
  }

  public static Behavior<Command> create(
      PersistenceId persistenceId,
      ActorRef<SequenceAllocator.Command> allocator,
      Duration resendInterval,
      int blockSize) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new ResendSupervisor(
                        persistenceId, context, timers, allocator, resendInterval, blockSize)));
  }

  private static final int MEMORY = 4096;
  private static final int MAX_ITEMS_PER_TRANSMIT = 500;
  /** An item waits between TICKS_PER_INTERVAL and TICKS_PER_INTERVAL + 1 ticks before a re-send. */
  private static final int TICKS_PER_INTERVAL = 4;
  private static final String ACK_FLUSH_TIMER = "flush-acks";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<SequenceAllocator.Command> allocator;
  private final Duration resendInterval;

  // Transient: what waits for the next write, the seqnums at hand, send times, the link.
  private final GroupCommit<Runnable> batch = new GroupCommit<>();
  private final List<Item> batchItems = new ArrayList<>();
  private final Map<String, Long> batchThrough = new HashMap<>();
  private final Map<String, Long> batchAnswers = new HashMap<>();
  /** Acks are recorded late: with the next store, or after one interval on a quiet link. */
  private final UnwrittenMarks<Command> acksNotRecorded;
  private final Map<Long, Long> lastSentTick = new HashMap<>();
  private final LinkedHashMap<String, Item> volatileByKey = new LinkedHashMap<>();
  private final SeqnumBlocks seqnums;
  private long tick;
  private ActorRef<Transmit> link;
  private long sent;
  private long resent;

  private ResendSupervisor(
      PersistenceId persistenceId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ActorRef<SequenceAllocator.Command> allocator,
      Duration resendInterval,
      int blockSize) {
    super(persistenceId, JournalFailures.restartWithBackoff());
    this.context = context;
    this.timers = timers;
    this.allocator = allocator;
    this.resendInterval = resendInterval;
    this.acksNotRecorded = new UnwrittenMarks<>(timers, ACK_FLUSH_TIMER, Flush.INSTANCE, resendInterval);
    this.seqnums = new SeqnumBlocks(blockSize, this::askForBlock);
  }

  /**
   * After a start, and again after a restart on a failed write (which cancels the timers): what
   * was acked but not recorded is forgotten (those items go out again, the peer acks them again),
   * every unacked item is due, and the resend timer runs.
   */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(SnapshotFailed.class, (state, failed) -> JournalFailures.snapshotFailed(context.getLog(), failed))
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              acksNotRecorded.forget();
              lastSentTick.clear();
              timers.startTimerWithFixedDelay(ResendTick.INSTANCE, resendInterval.dividedBy(TICKS_PER_INTERVAL));
            })
        .build();
  }

  @Override
  public State emptyState() {
    return State.empty(MEMORY);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Store.class, this::onStore)
        .onCommand(StoreAnswer.class, this::onStoreAnswer)
        .onCommand(Flush.class, this::onFlush)
        .onCommand(SendVolatile.class, this::onSendVolatile)
        .onCommand(Acked.class, this::onAcked)
        .onCommand(LinkUp.class, this::onLinkUp)
        .onCommand(LinkDown.class, this::onLinkDown)
        .onCommand(ResendTick.class, this::onResendTick)
        .onCommand(BlockGranted.class, this::onBlockGranted)
        .onCommand(BlockRefused.class, this::onBlockRefused)
        .onCommand(WhoSent.class, this::onWhoSent)
        .onCommand(GetStatus.class, this::onGetStatus)
        .build();
  }

  // --- storing

  private Effect<Event, State> onStore(State state, Store cmd) {
    Origin first = cmd.first();
    long through = Math.max(state.storedThrough(first), batchThrough.getOrDefault(first.channel(), 0L));
    long last = first.effectId() + cmd.messages().size() - 1;
    if (first.effectId() > through + 1 || last <= through) {
      // A gap (an earlier effect never arrived) or nothing new: say how far the channel is.
      return reply(cmd, through);
    }
    int fresh = (int) (last - through);
    if (!seqnums.has(fresh)) return awaitSeqnums(fresh);
    for (long id = through + 1; id <= last; id++) {
      Origin origin = new Origin(first.entityType(), first.entityId(), id);
      batchItems.add(new Item(seqnums.take(), origin, cmd.messages().get((int) (id - first.effectId()))));
    }
    batchThrough.put(first.channel(), last);
    return enqueue(() -> cmd.replyTo().tell(new StoredThrough(first.entityType(), first.entityId(), last)));
  }

  private Effect<Event, State> reply(Store cmd, long through) {
    Runnable reply = () -> cmd.replyTo().tell(new StoredThrough(cmd.first().entityType(), cmd.first().entityId(), through));
    // Effects of this channel still waiting for the write: answer once they are stored.
    if (batchThrough.containsKey(cmd.first().channel())) return enqueue(reply);
    reply.run();
    return Effect().none();
  }

  private Effect<Event, State> onStoreAnswer(State state, StoreAnswer cmd) {
    Long known = state.answerSeqnum(cmd.key());
    if (known != null) {
      cmd.replyTo().tell(new AnswerStored(cmd.key(), known));
      return Effect().none();
    }
    Long waiting = batchAnswers.get(cmd.key());
    if (waiting != null) return enqueue(() -> cmd.replyTo().tell(new AnswerStored(cmd.key(), waiting)));
    if (!seqnums.has(1)) return awaitSeqnums(1);
    long seqnum = seqnums.take();
    batchItems.add(new Item(seqnum, Origin.answer(cmd.key()), cmd.message()));
    batchAnswers.put(cmd.key(), seqnum);
    return enqueue(() -> cmd.replyTo().tell(new AnswerStored(cmd.key(), seqnum)));
  }

  private Effect<Event, State> enqueue(Runnable reply) {
    if (batch.add(reply)) context.getSelf().tell(Flush.INSTANCE);
    return Effect().none();
  }

  /** One write for everything that waited: the items, then whatever the peer acked meanwhile. */
  private Effect<Event, State> onFlush(State state, Flush flush) {
    List<Runnable> replies = batch.drain();
    List<Item> items = List.copyOf(batchItems);
    List<Long> acks = acksNotRecorded.takeForWrite();
    batchItems.clear();
    batchThrough.clear();
    batchAnswers.clear();
    if (items.isEmpty() && acks.isEmpty()) {
      replies.forEach(Runnable::run);
      return Effect().none();
    }
    return Effect()
        .persist(new Recorded(items, acks))
        .thenRun(
            s -> {
              acksNotRecorded.written(acks);
              transmit(items, false);
              replies.forEach(Runnable::run);
            });
  }

  // --- sending

  private Effect<Event, State> onSendVolatile(State state, SendVolatile cmd) {
    if (!seqnums.has(1)) return awaitSeqnums(1);
    Item item = new Item(seqnums.take(), Origin.answer(cmd.key()), cmd.message());
    Item replaced = volatileByKey.remove(cmd.key());
    if (replaced != null) lastSentTick.remove(replaced.seqnum());
    volatileByKey.put(cmd.key(), item);
    transmit(List.of(item), false);
    return Effect().none();
  }

  private Effect<Event, State> onAcked(State state, Acked cmd) {
    for (long seqnum : cmd.seqnums()) {
      lastSentTick.remove(seqnum);
      if (state.isPending(seqnum)) acksNotRecorded.mark(seqnum);
      else volatileByKey.values().removeIf(item -> item.seqnum() == seqnum);
    }
    return Effect().none();
  }

  private Effect<Event, State> onLinkUp(State state, LinkUp cmd) {
    link = cmd.link();
    transmit(unacked(state), true);
    return Effect().none();
  }

  private Effect<Event, State> onLinkDown(State state, LinkDown cmd) {
    if (cmd.link().equals(link)) link = null;
    return Effect().none();
  }

  private Effect<Event, State> onResendTick(State state, ResendTick resendTick) {
    tick++;
    List<Item> due = new ArrayList<>();
    for (Item item : unacked(state)) {
      Long last = lastSentTick.get(item.seqnum());
      if (last == null || tick - last >= TICKS_PER_INTERVAL) due.add(item);
    }
    transmit(due, true);
    return Effect().none();
  }

  /** Everything the peer has not acked, persisted and volatile, in seqnum order. */
  private List<Item> unacked(State state) {
    List<Item> all = new ArrayList<>();
    for (Item item : state.pending.values()) if (!acksNotRecorded.contains(item.seqnum())) all.add(item);
    all.addAll(volatileByKey.values());
    all.sort(Comparator.comparingLong(Item::seqnum));
    return all;
  }

  private void transmit(List<Item> items, boolean isResend) {
    if (link == null || items.isEmpty()) return;
    for (int from = 0; from < items.size(); from += MAX_ITEMS_PER_TRANSMIT) {
      List<Item> chunk = items.subList(from, Math.min(items.size(), from + MAX_ITEMS_PER_TRANSMIT));
      link.tell(new Transmit(List.copyOf(chunk)));
    }
    for (Item item : items) {
      if (lastSentTick.put(item.seqnum(), tick) != null || isResend) resent++;
      else sent++;
    }
  }

  // --- seqnums (see SeqnumBlocks)

  /**
   * Holds this command until enough seqnums arrive. A later, smaller store may take the seqnums
   * left meanwhile: order matters within a channel only, and a channel has one store in flight.
   */
  private Effect<Event, State> awaitSeqnums(int count) {
    if (count > seqnums.blockSize()) {
      throw new IllegalArgumentException(count + " items at once exceed the seqnum block size " + seqnums.blockSize());
    }
    seqnums.request();
    return Effect().stash();
  }

  private void askForBlock() {
    context.pipeToSelf(
        AskPattern.<SequenceAllocator.Command, SequenceAllocator.Block>ask(
            allocator,
            replyTo -> new SequenceAllocator.Allocate(seqnums.blockSize(), replyTo),
            Duration.ofSeconds(10),
            context.getSystem().scheduler()),
        (granted, failure) ->
            granted != null ? new BlockGranted(granted) : new BlockRefused(String.valueOf(failure)));
  }

  private Effect<Event, State> onBlockGranted(State state, BlockGranted granted) {
    seqnums.granted(granted.block());
    return Effect().unstashAll();
  }

  private Effect<Event, State> onBlockRefused(State state, BlockRefused refused) {
    context.getLog().warn("No seqnums from the SequenceAllocator ({}); asking again", refused.reason());
    seqnums.refused();
    return Effect().none();
  }

  // --- questions

  private Effect<Event, State> onWhoSent(State state, WhoSent cmd) {
    Optional<Origin> origin = state.originOf(cmd.seqnum());
    if (origin.isEmpty()) {
      origin = volatileByKey.values().stream().filter(i -> i.seqnum() == cmd.seqnum()).map(Item::origin).findFirst();
    }
    cmd.replyTo().tell(new Sender(origin));
    return Effect().none();
  }

  private Effect<Event, State> onGetStatus(State state, GetStatus cmd) {
    int unacked = state.pending.size() - acksNotRecorded.size();
    cmd.replyTo().tell(new Status(unacked, volatileByKey.size(), sent, resent, link != null, context.getSystem().address().toString()));
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Recorded.class, State::record)
        .build();
  }
}
