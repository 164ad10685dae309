package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.miniups.CborSerializable;
import org.miniups.Persisted;
import org.pcollections.TreePSet;

/**
 * Receives a peer's items, hands each new one to its handler exactly once, and tells the link
 * which seqnums to ack. An item is acked only after its handler finished (the state change it
 * causes is persisted) and its seqnum is recorded here; a seqnum seen before is acked again without
 * being handled again, also after a restart. If handling fails, nothing is acked and the peer's
 * re-send gets another try.
 *
 * <p>Memory stays bounded: above {@code capacity} the lowest seqnums are forgotten (peers count
 * upwards, so those are the oldest). Handlers are idempotent anyway, so a forgotten duplicate is
 * harmless.
 */
public final class InboundDedup
    extends EventSourcedBehavior<InboundDedup.Command, InboundDedup.Event, InboundDedup.State> {

  /** Applies one peer item; the stage completes once its effects are persisted. */
  @FunctionalInterface
  public interface Handler {
    CompletionStage<?> handle(long seqnum, PeerMessage message);
  }

  public sealed interface Command extends CborSerializable {}

  public record Deliver(long seqnum, PeerMessage message, ActorRef<Ack> replyTo) implements Command {}

  /** Ack this seqnum to the peer. */
  public record Ack(long seqnum) implements CborSerializable {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  public record Stats(long handled, long duplicates, int inFlight, long failures) implements CborSerializable {}

  private record HandlingSucceeded(long seqnum, ActorRef<Ack> replyTo) implements Command {}

  private record HandlingFailed(long seqnum, String reason) implements Command {}

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Handled.class, name = "inbox.handled")
  })
  public sealed interface Event extends Persisted {}

  public record Handled(long seqnum) implements Event {}

  public record State(TreePSet<Long> handled, int capacity) implements Persisted {
    @JsonCreator
    public static State of(
        @JsonProperty("handled") List<Long> handled, @JsonProperty("capacity") int capacity) {
      return new State(TreePSet.from(handled), capacity);
    }

    @JsonProperty("handled")
    public List<Long> handledList() {
      return new ArrayList<>(handled);
    }

    boolean isHandled(long seqnum) {
      return handled.contains(seqnum);
    }

    State record(long seqnum) {
      TreePSet<Long> next = handled.plus(seqnum);
      while (next.size() > capacity) next = next.minusFirst();
      return new State(next, capacity);
    }
  }

  public static Behavior<Command> create(
      PersistenceId persistenceId, String peerName, int capacity, Handler handler) {
    return Behaviors.setup(
        context -> new InboundDedup(persistenceId, context, peerName, capacity, handler));
  }

  private final ActorContext<Command> context;
  private final String peerName;
  private final int capacity;
  private final Handler handler;
  private final Set<Long> inFlight = new HashSet<>();
  private long handledCount;
  private long duplicates;
  private long failures;

  private InboundDedup(
      PersistenceId persistenceId,
      ActorContext<Command> context,
      String peerName,
      int capacity,
      Handler handler) {
    super(persistenceId);
    this.context = context;
    this.peerName = peerName;
    this.capacity = capacity;
    this.handler = handler;
  }

  @Override
  public State emptyState() {
    return new State(TreePSet.empty(), capacity);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Deliver.class, this::onDeliver)
        .onCommand(
            HandlingSucceeded.class,
            (state, done) -> {
              inFlight.remove(done.seqnum());
              handledCount++;
              return Effect()
                  .persist(new Handled(done.seqnum()))
                  .thenRun(s -> done.replyTo().tell(new Ack(done.seqnum())));
            })
        .onCommand(
            HandlingFailed.class,
            (state, failed) -> {
              inFlight.remove(failed.seqnum());
              failures++;
              context
                  .getLog()
                  .warn(
                      "Handling {} item {} failed ({}); it is retried when {} re-sends it",
                      peerName,
                      failed.seqnum(),
                      failed.reason(),
                      peerName);
              return Effect().none();
            })
        .onCommand(
            GetStats.class,
            (state, cmd) -> {
              cmd.replyTo().tell(new Stats(handledCount, duplicates, inFlight.size(), failures));
              return Effect().none();
            })
        .build();
  }

  private Effect<Event, State> onDeliver(State state, Deliver cmd) {
    if (state.isHandled(cmd.seqnum())) {
      duplicates++;
      cmd.replyTo().tell(new Ack(cmd.seqnum()));
      return Effect().none();
    }
    if (!inFlight.add(cmd.seqnum())) {
      // Re-sent while the first copy is still being handled: that one will be acked.
      duplicates++;
      return Effect().none();
    }
    CompletionStage<?> handling;
    try {
      handling = handler.handle(cmd.seqnum(), cmd.message());
    } catch (RuntimeException e) {
      handling = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    context.pipeToSelf(
        handling,
        (ok, failure) ->
            failure == null
                ? new HandlingSucceeded(cmd.seqnum(), cmd.replyTo())
                : new HandlingFailed(cmd.seqnum(), String.valueOf(failure)));
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Handled.class, (state, event) -> state.record(event.seqnum()))
        .build();
  }
}
