package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
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
import org.pcollections.TreePMap;
import org.pcollections.TreePSet;

/**
 * The inbox of one link: a durable queue in front of the handler. Each new peer item is written
 * here (many in one write), acked as soon as it is written, and then handed to the handler exactly
 * once per seqnum: a seqnum seen before is acked again and not handled again, also after a
 * restart, and an item written but not yet finished is handled after a restart. So the peer hears
 * our ack within one write, however long handling takes, and never has to re-send because we were
 * slow.
 *
 * <p>Items that only refresh a view (a truck's reported position, see {@link
 * Handler#needsRecord}) are handled without being written: handling one twice is harmless, so an
 * idle fleet costs no writes. They are acked once handled.
 *
 * <p>Handling is bounded ({@code MAX_IN_FLIGHT} at a time per lane, in arrival order) and a failed
 * item is tried again after a growing pause. Items of different lanes ({@link Handler#lane}) do not
 * wait for each other: a burst of pickups does not hold up the loads of trucks already waiting.
 * Memory stays bounded: above {@code capacity} the lowest seqnums are forgotten (peers count
 * upwards, so those are the oldest).
 */
public final class InboundDedup
    extends EventSourcedBehavior<InboundDedup.Command, InboundDedup.Event, InboundDedup.State> {

  /** Applies one peer item; the stage completes once its effects are persisted. */
  public interface Handler {
    CompletionStage<?> handle(long seqnum, PeerMessage message);

    /** False for items that only refresh a view, which are handled without a record. */
    default boolean needsRecord(PeerMessage message) {
      return true;
    }

    /** Items of one lane are handled in arrival order; lanes do not wait for each other. */
    default String lane(PeerMessage message) {
      return "";
    }
  }

  public sealed interface Command extends CborSerializable {}

  public record Deliver(long seqnum, PeerMessage message, ActorRef<Ack> replyTo) implements Command {}

  /** Ack this seqnum to the peer. */
  public record Ack(long seqnum) implements CborSerializable {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * @param handled items handled since start
   * @param duplicates repeats acked without handling
   * @param unfinished items written but not handled yet (in flight, queued or waiting to retry)
   * @param failures failed attempts since start (each is tried again)
   */
  public record Stats(long handled, long duplicates, int unfinished, long failures) implements CborSerializable {}

  private enum Flush implements Command {
    INSTANCE
  }

  private record Finished(long seqnum, PeerMessage message) implements Command {}

  private record Failed(long seqnum, PeerMessage message, String reason) implements Command {}

  private record Retry(long seqnum, PeerMessage message) implements Command {}

  private record ViewRefreshed(long seqnum, ActorRef<Ack> replyTo, boolean ok) implements Command {}

  public record Received(long seqnum, PeerMessage message) implements CborSerializable {}

  @JsonSubTypes({@JsonSubTypes.Type(value = Recorded.class, name = "inbox.recorded")})
  public sealed interface Event extends Persisted {}

  /** One write: items received (acked once written), and items whose handling finished. */
  public record Recorded(List<Received> received, List<Long> finished) implements Event {
    public Recorded {
      received = List.copyOf(received);
      finished = List.copyOf(finished);
    }
  }

  /**
   * @param seen seqnums received, the newest {@code capacity} of them
   * @param unfinished items received and not finished, by seqnum
   */
  public record State(TreePSet<Long> seen, TreePMap<Long, Received> unfinished, int capacity) implements Persisted {
    @JsonCreator
    public static State of(
        @JsonProperty("seen") List<Long> seen,
        @JsonProperty("unfinished") List<Received> unfinished,
        @JsonProperty("capacity") int capacity) {
      TreePMap<Long, Received> open = TreePMap.empty();
      for (Received item : unfinished) open = open.plus(item.seqnum(), item);
      return new State(TreePSet.from(seen), open, capacity);
    }

    @JsonProperty("seen")
    public List<Long> seenList() {
      return new ArrayList<>(seen);
    }

    @JsonProperty("unfinished")
    public List<Received> unfinishedList() {
      return new ArrayList<>(unfinished.values());
    }

    boolean hasSeen(long seqnum) {
      return seen.contains(seqnum);
    }

    State record(Recorded recorded) {
      TreePSet<Long> nextSeen = seen;
      TreePMap<Long, Received> open = unfinished;
      for (Received item : recorded.received()) {
        nextSeen = nextSeen.plus(item.seqnum());
        open = open.plus(item.seqnum(), item);
      }
      for (long seqnum : recorded.finished()) open = open.minus(seqnum);
      while (nextSeen.size() > capacity) nextSeen = nextSeen.minusFirst();
      return new State(nextSeen, open, capacity);
    }
  }

  /** The inbox of the link to {@code peer} ("world", "amazon"), one in the cluster; logs name it {@code peerName}. */
  public static ActorRef<Command> init(Placement placement, String peer, String peerName, Handler handler) {
    int capacity = placement.system().settings().config().getInt("mini-ups.link.dedup-capacity");
    return placement.singleton(
        create(PersistenceId.ofUniqueId("inbox-" + peer), peerName, capacity, handler), peer + "-inbox");
  }

  public static Behavior<Command> create(
      PersistenceId persistenceId, String peerName, int capacity, Handler handler) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new InboundDedup(persistenceId, context, timers, peerName, capacity, handler)));
  }

  private static final int MAX_IN_FLIGHT = 256;
  private static final Duration FIRST_RETRY = Duration.ofMillis(500);
  private static final Duration LAST_RETRY = Duration.ofSeconds(30);
  /** Finished marks ride along with the next write; on a quiet link they wait at most this long. */
  private static final Duration FINISHED_FLUSH_DELAY = Duration.ofSeconds(1);
  private static final String FINISHED_FLUSH_TIMER = "flush-finished";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String peerName;
  private final int capacity;
  private final Handler handler;

  // Transient: items waiting for the next write (with whom to ack), handling in progress.
  private final GroupCommit<Deliver> batch = new GroupCommit<>();
  private final Set<Long> batchSeqnums = new HashSet<>();
  private final UnwrittenMarks<Command> finishedNotRecorded;
  private final Map<String, Lane> lanes = new HashMap<>();
  private final Map<Long, Integer> attempts = new HashMap<>();
  private final Set<Long> viewsInFlight = new HashSet<>();
  private long handledCount;
  private long duplicates;
  private long failures;

  private InboundDedup(
      PersistenceId persistenceId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String peerName,
      int capacity,
      Handler handler) {
    super(persistenceId, JournalFailures.restartWithBackoff());
    this.context = context;
    this.timers = timers;
    this.peerName = peerName;
    this.capacity = capacity;
    this.handler = handler;
    this.finishedNotRecorded = new UnwrittenMarks<>(timers, FINISHED_FLUSH_TIMER, Flush.INSTANCE, FINISHED_FLUSH_DELAY);
  }

  @Override
  public State emptyState() {
    return new State(TreePSet.empty(), TreePMap.empty(), capacity);
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
              // Also after a restart on a failed write: what was in hand is void, the state says
              // what is left. Written and acked before a stop, not finished: handled now.
              lanes.clear();
              batchSeqnums.clear();
              finishedNotRecorded.forget();
              attempts.clear();
              viewsInFlight.clear();
              state.unfinished().values().forEach(item -> laneOf(item.message()).queue.add(item.seqnum()));
              handleWhatFits(state);
            })
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Deliver.class, this::onDeliver)
        .onCommand(Flush.class, this::onFlush)
        .onCommand(Finished.class, this::onFinished)
        .onCommand(Failed.class, this::onFailed)
        .onCommand(Retry.class, this::onRetry)
        .onCommand(ViewRefreshed.class, this::onViewRefreshed)
        .onCommand(GetStats.class, this::onGetStats)
        .build();
  }

  private Effect<Event, State> onDeliver(State state, Deliver cmd) {
    if (state.hasSeen(cmd.seqnum())) {
      duplicates++;
      cmd.replyTo().tell(new Ack(cmd.seqnum()));
      return Effect().none();
    }
    if (!handler.needsRecord(cmd.message())) return refreshView(cmd);
    if (!batchSeqnums.add(cmd.seqnum())) duplicates++; // acked with the first copy, once written
    if (batch.add(cmd)) context.getSelf().tell(Flush.INSTANCE);
    return Effect().none();
  }

  private Effect<Event, State> refreshView(Deliver cmd) {
    if (!viewsInFlight.add(cmd.seqnum())) {
      duplicates++;
      return Effect().none();
    }
    context.pipeToSelf(
        attempt(cmd.seqnum(), cmd.message()),
        (ok, failure) -> new ViewRefreshed(cmd.seqnum(), cmd.replyTo(), failure == null));
    return Effect().none();
  }

  private Effect<Event, State> onViewRefreshed(State state, ViewRefreshed done) {
    viewsInFlight.remove(done.seqnum());
    if (done.ok()) done.replyTo().tell(new Ack(done.seqnum())); // else the peer sends it again
    return Effect().none();
  }

  /** One write for the items that arrived meanwhile and the handling that finished meanwhile. */
  private Effect<Event, State> onFlush(State state, Flush flush) {
    List<Deliver> delivered = batch.drain();
    batchSeqnums.clear();
    List<Received> fresh = new ArrayList<>();
    Set<Long> taken = new HashSet<>();
    for (Deliver d : delivered) if (taken.add(d.seqnum())) fresh.add(new Received(d.seqnum(), d.message()));
    List<Long> finished = finishedNotRecorded.takeForWrite();
    if (fresh.isEmpty() && finished.isEmpty()) return Effect().none();
    return Effect()
        .persist(new Recorded(fresh, finished))
        .thenRun(
            s -> {
              finishedNotRecorded.written(finished);
              delivered.forEach(d -> d.replyTo().tell(new Ack(d.seqnum())));
              fresh.forEach(item -> laneOf(item.message()).queue.add(item.seqnum()));
              handleWhatFits(s);
            });
  }

  /** Items waiting to be handled and those being handled, of one lane. */
  private static final class Lane {
    final ArrayDeque<Long> queue = new ArrayDeque<>();
    final Set<Long> inFlight = new HashSet<>();
  }

  private Lane laneOf(PeerMessage message) {
    return lanes.computeIfAbsent(handler.lane(message), name -> new Lane());
  }

  /** Starts handling queued items, oldest first, while fewer than MAX_IN_FLIGHT run in their lane. */
  private void handleWhatFits(State state) {
    for (Lane lane : lanes.values()) {
      while (lane.inFlight.size() < MAX_IN_FLIGHT && !lane.queue.isEmpty()) {
        long seqnum = lane.queue.poll();
        Received item = state.unfinished().get(seqnum);
        if (item == null || finishedNotRecorded.contains(seqnum) || !lane.inFlight.add(seqnum)) continue;
        context.pipeToSelf(
            attempt(seqnum, item.message()),
            (ok, failure) ->
                failure == null ? new Finished(seqnum, item.message()) : new Failed(seqnum, item.message(), String.valueOf(failure)));
      }
    }
  }

  private CompletionStage<?> attempt(long seqnum, PeerMessage message) {
    try {
      return handler.handle(seqnum, message);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Effect<Event, State> onFinished(State state, Finished done) {
    laneOf(done.message()).inFlight.remove(done.seqnum());
    attempts.remove(done.seqnum());
    handledCount++;
    finishedNotRecorded.mark(done.seqnum());
    handleWhatFits(state);
    return Effect().none();
  }

  private Effect<Event, State> onFailed(State state, Failed failed) {
    laneOf(failed.message()).inFlight.remove(failed.seqnum());
    failures++;
    int attempt = attempts.merge(failed.seqnum(), 1, Integer::sum);
    Duration pause = Backoff.exponential(FIRST_RETRY, LAST_RETRY, attempt);
    context
        .getLog()
        .warn(
            "Handling {} item {} failed ({}); trying again in {}",
            peerName,
            failed.seqnum(),
            failed.reason(),
            Backoff.describe(pause));
    timers.startSingleTimer(failed.seqnum(), new Retry(failed.seqnum(), failed.message()), pause);
    handleWhatFits(state);
    return Effect().none();
  }

  private Effect<Event, State> onRetry(State state, Retry retry) {
    laneOf(retry.message()).queue.addFirst(retry.seqnum());
    handleWhatFits(state);
    return Effect().none();
  }

  private Effect<Event, State> onGetStats(State state, GetStats cmd) {
    int unfinished = state.unfinished().size() - finishedNotRecorded.size() + batchSeqnums.size();
    cmd.replyTo().tell(new Stats(handledCount, duplicates, unfinished, failures));
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
