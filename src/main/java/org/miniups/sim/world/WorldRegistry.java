package org.miniups.sim.world;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * The guardian of the simulator: gives out world ids, creates world actors and one actor per
 * accepted TCP connection, and routes joins and stats requests to the right world.
 */
final class WorldRegistry extends AbstractBehavior<WorldRegistry.Command> {

  sealed interface Command {}

  record Accept(Tcp.IncomingConnection connection, Side side) implements Command {}

  /** A connection's connect message: join {@code worldId}, or create a world when it is empty. */
  record Join(
      Side side,
      OptionalLong worldId,
      List<World.Site> sites,
      ActorRef<PeerConnection.Command> connection)
      implements Command {}

  record GetStats(long worldId, ActorRef<StatusReply<SimWorldStats>> replyTo)
      implements Command {}

  record ListWorlds(ActorRef<Set<Long>> replyTo) implements Command {}

  record ListConnections(ActorRef<List<ActorRef<PeerConnection.Command>>> replyTo)
      implements Command {}

  private record ConnectionStopped(ActorRef<PeerConnection.Command> connection)
      implements Command {}

  private final SimWorldSettings settings;
  private final Map<Long, ActorRef<World.Command>> worlds = new HashMap<>();
  private final Set<ActorRef<PeerConnection.Command>> connections = new HashSet<>();
  private long lastWorldId;
  private long lastConnectionNumber;

  static Behavior<Command> create(SimWorldSettings settings) {
    return Behaviors.setup(context -> new WorldRegistry(context, settings));
  }

  private WorldRegistry(ActorContext<Command> context, SimWorldSettings settings) {
    super(context);
    this.settings = settings;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Accept.class, this::onAccept)
        .onMessage(Join.class, this::onJoin)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(ListWorlds.class, this::onListWorlds)
        .onMessage(ListConnections.class, this::onListConnections)
        .onMessage(ConnectionStopped.class, this::onConnectionStopped)
        .build();
  }

  private Behavior<Command> onAccept(Accept accept) {
    String name = accept.side().name().toLowerCase() + "-connection-" + ++lastConnectionNumber;
    ActorRef<PeerConnection.Command> connection =
        getContext()
            .spawn(
                PeerConnection.create(
                    accept.connection(),
                    accept.side(),
                    getContext().getSelf(),
                    settings.maxFrameBytes()),
                name);
    getContext().watchWith(connection, new ConnectionStopped(connection));
    connections.add(connection);
    return this;
  }

  private Behavior<Command> onJoin(Join join) {
    ActorRef<World.Command> world;
    if (join.worldId().isEmpty()) {
      long worldId = ++lastWorldId;
      world = getContext().spawn(World.create(worldId, settings), "world-" + worldId);
      worlds.put(worldId, world);
      getContext().getLog().info("world {} created by {}", worldId, join.side());
    } else {
      world = worlds.get(join.worldId().getAsLong());
      if (world == null) {
        join.connection()
            .tell(
                new PeerConnection.JoinRefused(
                    join.worldId().getAsLong(),
                    "error: unknown world id " + join.worldId().getAsLong()));
        return this;
      }
    }
    world.tell(new World.Join(join.side(), join.sites(), join.connection()));
    return this;
  }

  private Behavior<Command> onGetStats(GetStats request) {
    ActorRef<World.Command> world = worlds.get(request.worldId());
    if (world == null) {
      request.replyTo().tell(StatusReply.error("unknown world id " + request.worldId()));
    } else {
      world.tell(new World.GetStats(request.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onListWorlds(ListWorlds request) {
    request.replyTo().tell(Set.copyOf(worlds.keySet()));
    return this;
  }

  private Behavior<Command> onListConnections(ListConnections request) {
    request.replyTo().tell(new ArrayList<>(connections));
    return this;
  }

  private Behavior<Command> onConnectionStopped(ConnectionStopped stopped) {
    connections.remove(stopped.connection());
    return this;
  }
}
