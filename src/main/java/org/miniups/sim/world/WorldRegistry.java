package org.miniups.sim.world;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * The guardian of the simulator: gives out world ids, creates world actors and one actor per
 * accepted TCP connection, and routes joins and stats requests to the right world. It is the
 * only writer of the report file, from the entries its worlds hand it.
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

  /** A world's report entry changed. */
  record WorldReported(SimWorldReport.WorldEntry entry) implements Command {}

  /** A clean exit: write the report with these last entries, then no more. */
  record FinalReport(List<SimWorldReport.WorldEntry> entries, ActorRef<Done> replyTo)
      implements Command {}

  private enum ReportTick implements Command {
    INSTANCE
  }

  private static final Duration REPORT_INTERVAL = Duration.ofMillis(250);

  private final SimWorldSettings settings;
  private final Map<Long, ActorRef<World.Command>> worlds = new HashMap<>();
  private final Set<ActorRef<PeerConnection.Command>> connections = new HashSet<>();
  private final Map<Long, SimWorldReport.WorldEntry> reported = new TreeMap<>();
  private boolean reportChanged;
  private boolean reportFinished;
  private long lastWorldId;
  private long lastConnectionNumber;

  /** With the worlds of a previous run, which go on under their ids. */
  static Behavior<Command> create(SimWorldSettings settings, List<SavedWorld> savedWorlds) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new WorldRegistry(context, timers, settings, savedWorlds)));
  }

  private WorldRegistry(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      SimWorldSettings settings,
      List<SavedWorld> savedWorlds) {
    super(context);
    this.settings = settings;
    for (SavedWorld saved : savedWorlds) {
      worlds.put(
          saved.worldId(),
          context.spawn(
              World.restore(saved, settings, context.getSelf()), "world-" + saved.worldId()));
      lastWorldId = Math.max(lastWorldId, saved.worldId());
    }
    if (settings.reportFile().isPresent()) {
      timers.startTimerWithFixedDelay(ReportTick.INSTANCE, REPORT_INTERVAL);
    }
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
        .onMessage(WorldReported.class, this::onWorldReported)
        .onMessage(FinalReport.class, this::onFinalReport)
        .onMessageEquals(ReportTick.INSTANCE, this::onReportTick)
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
      world = getContext().spawn(World.create(worldId, settings, getContext().getSelf()), "world-" + worldId);
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

  private Behavior<Command> onWorldReported(WorldReported report) {
    reported.put(report.entry().worldId(), report.entry());
    reportChanged = true;
    return this;
  }

  private Behavior<Command> onReportTick() {
    if (reportChanged && !reportFinished) writeReport();
    return this;
  }

  private Behavior<Command> onFinalReport(FinalReport report) {
    report.entries().forEach(entry -> reported.put(entry.worldId(), entry));
    writeReport();
    reportFinished = true;
    report.replyTo().tell(Done.getInstance());
    return this;
  }

  private void writeReport() {
    new SimWorldReport(reported).write(settings.reportFile().orElseThrow());
    reportChanged = false;
  }
}
