package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.pcollections.AmortizedPQueue;
import org.pcollections.HashPMap;
import org.pcollections.HashTreePMap;
import org.pcollections.TreePMap;

/**
 * The outbox of one link: keeps every outgoing item until the peer acks it and re-sends it on a
 * timer meanwhile. An item is persisted before it is first sent, so a crash loses nothing; the
 * pending set is recovered and re-sent when the link comes up again.
 *
 * <p>Items are stored under a caller-chosen key, and storing is idempotent per key: an entity that
 * re-drives its side effects after a crash gets the seqnum it was given before, so the peer sees a
 * repeated seqnum (acked, not processed again) rather than a second command. Keys of acked items
 * are remembered for a bounded while for that purpose.
 *
 * <p>Volatile items (truck queries) are kept in memory only: they are worth nothing after a crash.
 * A volatile item replaces the pending one with the same key, so they cannot pile up.
 */
public final class ResendSupervisor
    extends EventSourcedBehavior<ResendSupervisor.Command, ResendSupervisor.Event, ResendSupervisor.State> {

  public sealed interface Command extends CborSerializable {}

  /** Persist {@code message} under {@code key}, send it, and answer with its seqnum. */
  public record Store(String key, PeerMessage message, ActorRef<Stored> replyTo) implements Command {}

  public record Stored(String key, long seqnum) implements CborSerializable {}

  /** Send {@code message} until acked, without persisting it; replaces a pending one under {@code key}. */
  public record SendVolatile(String key, PeerMessage message) implements Command {}

  /** The peer acknowledged these seqnums. */
  public record Acked(List<Long> seqnums) implements Command {}

  /** The link is connected: items go to {@code link} from now on. */
  public record LinkUp(ActorRef<Transmit> link) implements Command {}

  public record LinkDown(ActorRef<Transmit> link) implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** Which key sent {@code seqnum}: how a peer's error finds the entity whose command failed. */
  public record WhoSent(long seqnum, ActorRef<Sender> replyTo) implements Command {}

  /** {@code key} is empty when the seqnum is unknown (or acked too long ago to remember). */
  public record Sender(java.util.Optional<String> key) implements CborSerializable {}

  /** Counters for health and metrics. */
  public record Status(int unacked, int unackedVolatile, long sent, long resent, boolean linkUp)
      implements CborSerializable {}

  private record ResendTick() implements Command {}

  private record BlockGranted(SequenceAllocator.Block block) implements Command {}

  private record BlockRefused(String reason) implements Command {}

  /** What the outbox asks the link to write: the connection maps it to the peer's wire format. */
  public record Transmit(List<Item> items) implements CborSerializable {}

  public record Item(String key, long seqnum, PeerMessage message) implements CborSerializable {}

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Queued.class, name = "outbox.queued"),
    @JsonSubTypes.Type(value = ItemsAcked.class, name = "outbox.items-acked")
  })
  public sealed interface Event extends Persisted {}

  public record Queued(Item item) implements Event {}

  public record ItemsAcked(List<Long> seqnums) implements Event {}

  /**
   * Unacked items by seqnum, plus the keys of the most recently acked ones. Snapshots hold just
   * the two item lists; the key index is rebuilt from them.
   */
  @JsonAutoDetect(
      fieldVisibility = JsonAutoDetect.Visibility.NONE,
      getterVisibility = JsonAutoDetect.Visibility.NONE,
      isGetterVisibility = JsonAutoDetect.Visibility.NONE)
  public static final class State implements Persisted {
    private final TreePMap<Long, Item> pending;
    private final AmortizedPQueue<Item> recentlyAcked;
    private final HashPMap<String, Long> seqnumByKey;
    private final int keyMemory;

    private State(
        TreePMap<Long, Item> pending,
        AmortizedPQueue<Item> recentlyAcked,
        HashPMap<String, Long> seqnumByKey,
        int keyMemory) {
      this.pending = pending;
      this.recentlyAcked = recentlyAcked;
      this.seqnumByKey = seqnumByKey;
      this.keyMemory = keyMemory;
    }

    static State empty(int keyMemory) {
      return new State(TreePMap.empty(), AmortizedPQueue.empty(), HashTreePMap.empty(), keyMemory);
    }

    @JsonCreator
    public static State of(
        @JsonProperty("pending") List<Item> pending,
        @JsonProperty("recentlyAcked") List<Item> recentlyAcked,
        @JsonProperty("keyMemory") int keyMemory) {
      State state = empty(keyMemory);
      for (Item item : recentlyAcked) state = state.queue(item).ack(item.seqnum());
      for (Item item : pending) state = state.queue(item);
      return state;
    }

    @JsonProperty("pending")
    public List<Item> pendingItems() {
      return new ArrayList<>(pending.values());
    }

    /** Acked items are kept without their message: only key and seqnum matter once acked. */
    @JsonProperty("recentlyAcked")
    public List<Item> recentlyAckedItems() {
      return new ArrayList<>(recentlyAcked);
    }

    @JsonProperty("keyMemory")
    public int keyMemory() {
      return keyMemory;
    }

    Long seqnumOf(String key) {
      return seqnumByKey.get(key);
    }

    java.util.Optional<String> keyOf(long seqnum) {
      Item item = pending.get(seqnum);
      if (item != null) return java.util.Optional.of(item.key());
      return recentlyAcked.stream().filter(i -> i.seqnum() == seqnum).map(Item::key).findFirst();
    }

    boolean isPending(long seqnum) {
      return pending.containsKey(seqnum);
    }

    State queue(Item item) {
      return new State(
          pending.plus(item.seqnum(), item),
          recentlyAcked,
          seqnumByKey.plus(item.key(), item.seqnum()),
          keyMemory);
    }

    State ack(long seqnum) {
      Item item = pending.get(seqnum);
      if (item == null) return this;
      AmortizedPQueue<Item> acked = recentlyAcked.plus(new Item(item.key(), seqnum, null));
      HashPMap<String, Long> keys = seqnumByKey;
      while (acked.size() > keyMemory) {
        Item forgotten = acked.peek();
        acked = acked.minus();
        if (Long.valueOf(forgotten.seqnum()).equals(keys.get(forgotten.key()))) {
          keys = keys.minus(forgotten.key());
        }
      }
      return new State(pending.minus(seqnum), acked, keys, keyMemory);
    }
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

  private static final int KEY_MEMORY = 4096;
  private static final int MAX_ITEMS_PER_TRANSMIT = 200;

  private final ActorContext<Command> context;
  private final ActorRef<SequenceAllocator.Command> allocator;
  private final Duration resendInterval;
  private final int blockSize;

  // Transient: the current block of fresh seqnums, send times, volatile items, the link.
  private long nextSeqnum;
  private long blockEnd;
  private boolean blockRequested;
  private final Map<Long, Long> lastSentNanos = new HashMap<>();
  private final LinkedHashMap<String, Item> volatileByKey = new LinkedHashMap<>();
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
    super(persistenceId);
    this.context = context;
    this.allocator = allocator;
    this.resendInterval = resendInterval;
    this.blockSize = blockSize;
    // Ticking a few times per interval keeps each item's resend delay close to the interval.
    timers.startTimerWithFixedDelay(new ResendTick(), resendInterval.dividedBy(4));
  }

  @Override
  public State emptyState() {
    return State.empty(KEY_MEMORY);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(500, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Store.class, this::onStore)
        .onCommand(SendVolatile.class, this::onSendVolatile)
        .onCommand(Acked.class, this::onAcked)
        .onCommand(LinkUp.class, this::onLinkUp)
        .onCommand(LinkDown.class, this::onLinkDown)
        .onCommand(ResendTick.class, this::onResendTick)
        .onCommand(BlockGranted.class, this::onBlockGranted)
        .onCommand(BlockRefused.class, this::onBlockRefused)
        .onCommand(
            WhoSent.class,
            (state, cmd) -> {
              java.util.Optional<String> key = state.keyOf(cmd.seqnum());
              if (key.isEmpty()) {
                key =
                    volatileByKey.values().stream()
                        .filter(item -> item.seqnum() == cmd.seqnum())
                        .map(Item::key)
                        .findFirst();
              }
              cmd.replyTo().tell(new Sender(key));
              return Effect().none();
            })
        .onCommand(
            GetStatus.class,
            (state, cmd) -> {
              cmd.replyTo()
                  .tell(
                      new Status(
                          state.pending.size(), volatileByKey.size(), sent, resent, link != null));
              return Effect().none();
            })
        .build();
  }

  private Effect<Event, State> onStore(State state, Store cmd) {
    Long known = state.seqnumOf(cmd.key());
    if (known != null) {
      cmd.replyTo().tell(new Stored(cmd.key(), known));
      return Effect().none();
    }
    if (!hasFreshSeqnum()) return awaitBlock();
    Item item = new Item(cmd.key(), takeSeqnum(), cmd.message());
    return Effect()
        .persist(new Queued(item))
        .thenRun(
            s -> {
              cmd.replyTo().tell(new Stored(item.key(), item.seqnum()));
              transmit(List.of(item), false);
            });
  }

  private Effect<Event, State> onSendVolatile(State state, SendVolatile cmd) {
    if (!hasFreshSeqnum()) return awaitBlock();
    Item item = new Item(cmd.key(), takeSeqnum(), cmd.message());
    Item replaced = volatileByKey.remove(cmd.key());
    if (replaced != null) lastSentNanos.remove(replaced.seqnum());
    volatileByKey.put(cmd.key(), item);
    transmit(List.of(item), false);
    return Effect().none();
  }

  private Effect<Event, State> onAcked(State state, Acked cmd) {
    List<Long> persisted = new ArrayList<>();
    for (long seqnum : cmd.seqnums()) {
      if (state.isPending(seqnum)) persisted.add(seqnum);
      else volatileByKey.values().removeIf(item -> item.seqnum() == seqnum);
      lastSentNanos.remove(seqnum);
    }
    if (persisted.isEmpty()) return Effect().none();
    return Effect().persist(new ItemsAcked(persisted));
  }

  private Effect<Event, State> onLinkUp(State state, LinkUp cmd) {
    link = cmd.link();
    List<Item> all = new ArrayList<>(state.pending.values());
    all.addAll(volatileByKey.values());
    transmit(all, true);
    return Effect().none();
  }

  private Effect<Event, State> onLinkDown(State state, LinkDown cmd) {
    if (cmd.link().equals(link)) link = null;
    return Effect().none();
  }

  private Effect<Event, State> onResendTick(State state, ResendTick tick) {
    long now = System.nanoTime();
    List<Item> due = new ArrayList<>();
    for (Item item : state.pending.values()) if (isDue(item, now)) due.add(item);
    for (Item item : volatileByKey.values()) if (isDue(item, now)) due.add(item);
    transmit(due, true);
    return Effect().none();
  }

  private boolean isDue(Item item, long now) {
    Long last = lastSentNanos.get(item.seqnum());
    return last == null || now - last >= resendInterval.toNanos();
  }

  private void transmit(List<Item> items, boolean isResend) {
    if (link == null || items.isEmpty()) return;
    long now = System.nanoTime();
    for (int from = 0; from < items.size(); from += MAX_ITEMS_PER_TRANSMIT) {
      List<Item> chunk = items.subList(from, Math.min(items.size(), from + MAX_ITEMS_PER_TRANSMIT));
      link.tell(new Transmit(List.copyOf(chunk)));
    }
    for (Item item : items) {
      if (lastSentNanos.put(item.seqnum(), now) != null || isResend) resent++;
      else sent++;
    }
  }

  private boolean hasFreshSeqnum() {
    return nextSeqnum < blockEnd;
  }

  private long takeSeqnum() {
    return nextSeqnum++;
  }

  /** Holds this command until a block of seqnums arrives; later commands queue up behind it. */
  private Effect<Event, State> awaitBlock() {
    if (!blockRequested) requestBlock();
    return Effect().stash();
  }

  private void requestBlock() {
    blockRequested = true;
    context.pipeToSelf(
        AskPattern.<SequenceAllocator.Command, SequenceAllocator.Block>ask(
            allocator,
            replyTo -> new SequenceAllocator.Allocate(blockSize, replyTo),
            Duration.ofSeconds(10),
            context.getSystem().scheduler()),
        (block, failure) ->
            block != null ? new BlockGranted(block) : new BlockRefused(String.valueOf(failure)));
  }

  private Effect<Event, State> onBlockGranted(State state, BlockGranted granted) {
    blockRequested = false;
    nextSeqnum = granted.block().first();
    blockEnd = granted.block().end();
    return Effect().unstashAll();
  }

  private Effect<Event, State> onBlockRefused(State state, BlockRefused refused) {
    context.getLog().warn("No seqnums from the SequenceAllocator ({}); asking again", refused.reason());
    requestBlock();
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Queued.class, (state, event) -> state.queue(event.item()))
        .onEvent(
            ItemsAcked.class,
            (state, event) -> {
              State next = state;
              for (long seqnum : event.seqnums()) next = next.ack(seqnum);
              return next;
            })
        .build();
  }
}
