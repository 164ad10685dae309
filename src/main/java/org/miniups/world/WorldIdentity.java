package org.miniups.world;

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
 * The world this database belongs to. Trucks, packages and seqnums only make sense in one world,
 * so once we have joined one, a different world id is refused rather than followed.
 */
public final class WorldIdentity
    extends EventSourcedBehavior<WorldIdentity.Command, WorldIdentity.Event, WorldIdentity.State> {

  public sealed interface Command extends CborSerializable {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  /** Records {@code worldId} as ours, unless we already belong to another world. */
  public record Claim(long worldId, ActorRef<State> replyTo) implements Command {}

  @JsonSubTypes({
    @JsonSubTypes.Type(value = WorldClaimed.class, name = "world-identity.world-claimed")
  })
  public sealed interface Event extends Persisted {}

  public record WorldClaimed(long worldId) implements Event {}

  /** {@code worldId} 0: no world yet. */
  public record State(long worldId) implements Persisted {
    public boolean isKnown() {
      return worldId != 0;
    }

    /** True when joining {@code candidate} is consistent with what we know. */
    public boolean allows(long candidate) {
      return !isKnown() || candidate == worldId;
    }
  }

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("world-identity");

  public static ActorRef<Command> init(Placement placement) {
    return placement.singleton(create(), "world-identity");
  }

  public static Behavior<Command> create() {
    return create(PERSISTENCE_ID);
  }

  public static Behavior<Command> create(PersistenceId persistenceId) {
    return new WorldIdentity(persistenceId);
  }

  private WorldIdentity(PersistenceId persistenceId) {
    super(persistenceId, JournalFailures.restartWithBackoff());
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .onCommand(
            Claim.class,
            (state, cmd) ->
                state.isKnown()
                    ? Effect().reply(cmd.replyTo(), state)
                    : Effect()
                        .persist(new WorldClaimed(cmd.worldId()))
                        .thenReply(cmd.replyTo(), s -> s))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(WorldClaimed.class, (state, event) -> new State(event.worldId()))
        .build();
  }
}
