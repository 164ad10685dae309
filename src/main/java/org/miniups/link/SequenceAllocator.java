package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.miniups.Placement;
import org.miniups.persistence.JournalFailures;
import org.miniups.CborSerializable;
import org.miniups.Persisted;

/**
 * Issues our outgoing seqnums. A number is never issued twice, also across restarts: each request
 * persists the new high-water mark before it is answered, so numbers handed out before a crash
 * stay below the mark that recovery starts from. Callers ask for blocks and spend them in memory.
 */
public final class SequenceAllocator
    extends EventSourcedBehavior<SequenceAllocator.Command, SequenceAllocator.Event, SequenceAllocator.State> {

  public sealed interface Command extends CborSerializable {}

  /** Asks for {@code count} consecutive fresh seqnums. */
  public record Allocate(int count, ActorRef<Block> replyTo) implements Command {}

  /** Seqnums {@code first} to {@code first + count - 1}, for the asker alone. */
  public record Block(long first, int count) implements CborSerializable {
    public long end() {
      return first + count;
    }
  }

  @JsonSubTypes({
    @JsonSubTypes.Type(value = Reserved.class, name = "allocator.reserved")
  })
  public sealed interface Event extends Persisted {}

  public record Reserved(long nextFree) implements Event {}

  /** Every number below {@code nextFree} has been issued. */
  public record State(long nextFree) implements Persisted {
    State reserve(long newNextFree) {
      return new State(Math.max(nextFree, newNextFree));
    }
  }

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("sequence-allocator");

  /** The cluster's one allocator. */
  public static ActorRef<Command> init(Placement placement) {
    return placement.singleton(create(), "sequence-allocator");
  }

  public static Behavior<Command> create() {
    return create(PERSISTENCE_ID);
  }

  public static Behavior<Command> create(PersistenceId persistenceId) {
    return new SequenceAllocator(persistenceId);
  }

  private SequenceAllocator(PersistenceId persistenceId) {
    super(persistenceId, JournalFailures.restartWithBackoff());
  }

  @Override
  public State emptyState() {
    return new State(1);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Allocate.class,
            (state, cmd) -> {
              int count = Math.max(1, cmd.count());
              long first = state.nextFree();
              return Effect()
                  .persist(new Reserved(first + count))
                  .thenReply(cmd.replyTo(), s -> new Block(first, count));
            })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Reserved.class, (state, event) -> state.reserve(event.nextFree()))
        .build();
  }
}
