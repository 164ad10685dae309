package org.miniups.sim.amazon;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.util.ByteString;
import org.miniups.link.TcpSession;
import org.miniups.link.VarintFraming;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AConnect;
import org.miniups.proto.WorldAmazon.AConnected;
import org.miniups.proto.WorldAmazon.AInitWarehouse;
import org.miniups.proto.WorldAmazon.AResponses;

/**
 * Amazon's TCP connection to the world, and its only writer. It connects, sends AConnect (without
 * a world id the first time, so the world is created; with it on every reconnect, and from the
 * start when Amazon resumes a saved run), reconnects with backoff when the connection fails or is
 * refused, and hands every AResponses to its owner. It keeps no business state: what to re-send
 * after a reconnect is the owner's affair.
 *
 * <p>One behavior per phase: {@link #connecting}, {@link #joining}, {@link #joined} and {@link
 * #backingOff}. Each TCP session's events name its {@link Attempt}, and a phase heeds only those of
 * the attempt it holds; a closed session's late events are ignored.
 */
final class WorldLink {

  sealed interface Command {}

  /** Sent as is while joined; dropped otherwise (the owner re-sends on {@code WorldJoined}). */
  record Send(ACommands message) implements Command {}

  /** One TCP session as its events name it: made before the session opens, so every event can. */
  private static final class Attempt {
    TcpSession session;
  }

  private record TcpConnected(Attempt attempt) implements Command {}

  private record TcpFailed(Attempt attempt, Throwable failure) implements Command {}

  private record FrameReceived(Attempt attempt, ByteString body) implements Command {}

  private record TcpClosed(Attempt attempt, Optional<Throwable> failure) implements Command {}

  private enum Reconnect implements Command {
    INSTANCE
  }

  private static final String ACCEPTED = "connected!";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final SimAmazonSettings settings;
  private final List<AInitWarehouse> warehouses;
  private final ActorRef<SimAmazon.Command> owner;
  // Learned on the first join, and kept for every reconnect.
  private Long worldId;
  private Duration backoff = MIN_BACKOFF;

  /** @param worldId the world to join; empty creates one */
  static Behavior<Command> create(
      SimAmazonSettings settings,
      List<AInitWarehouse> warehouses,
      Optional<Long> worldId,
      ActorRef<SimAmazon.Command> owner) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new WorldLink(context, timers, settings, warehouses, worldId, owner).connect()));
  }

  private WorldLink(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      SimAmazonSettings settings,
      List<AInitWarehouse> warehouses,
      Optional<Long> worldId,
      ActorRef<SimAmazon.Command> owner) {
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.warehouses = List.copyOf(warehouses);
    this.worldId = worldId.orElse(null);
    this.owner = owner;
  }

  /** Opens a new TCP session and waits for it in {@link #connecting}. */
  private Behavior<Command> connect() {
    Attempt attempt = new Attempt();
    attempt.session =
        TcpSession.open(
            context.getSystem(),
            settings.worldHost(),
            settings.worldPort(),
            settings.maxFrameBytes(),
            VarintFraming.DEFAULT_FRAME_READ_TIMEOUT,
            CONNECT_TIMEOUT,
            context.getSelf(),
            new TcpSession.Events<>() {
              @Override
              public Command frame(ByteString body) {
                return new FrameReceived(attempt, body);
              }

              @Override
              public Command closed(Optional<Throwable> failure) {
                return new TcpClosed(attempt, failure);
              }
            });
    context.pipeToSelf(
        attempt.session.connected(),
        (ok, failure) -> ok != null ? new TcpConnected(attempt) : new TcpFailed(attempt, failure));
    return connecting(attempt);
  }

  private Behavior<Command> connecting(Attempt attempt) {
    return Behaviors.receive(Command.class)
        .onMessage(TcpConnected.class, m -> m.attempt() == attempt, m -> sendConnect(attempt))
        .onMessage(TcpFailed.class, m -> m.attempt() == attempt,
            m -> lost(attempt, false,
                "the world at " + address() + " is not reachable (" + reason(m.failure()) + ")"))
        .onMessage(TcpClosed.class, m -> m.attempt() == attempt, m -> closed(attempt, false, m))
        .onSignal(PostStop.class, signal -> closeOnStop(attempt))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> sendConnect(Attempt attempt) {
    AConnect.Builder connect = AConnect.newBuilder().setIsAmazon(true).addAllInitwh(warehouses);
    if (worldId != null) connect.setWorldid(worldId);
    attempt.session.send(connect.build());
    return joining(attempt);
  }

  /** AConnect sent; the first frame is the world's AConnected. */
  private Behavior<Command> joining(Attempt attempt) {
    return Behaviors.receive(Command.class)
        .onMessage(FrameReceived.class, m -> m.attempt() == attempt, m -> onConnected(attempt, m.body()))
        .onMessage(TcpClosed.class, m -> m.attempt() == attempt, m -> closed(attempt, false, m))
        .onSignal(PostStop.class, signal -> closeOnStop(attempt))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onConnected(Attempt attempt, ByteString body) {
    AConnected connected;
    try {
      connected = AConnected.parseFrom(body.toArray());
    } catch (InvalidProtocolBufferException e) {
      return unparsable(attempt, false, e);
    }
    if (!ACCEPTED.equals(connected.getResult())) {
      // E.g. the world still sees our previous connection: PROTOCOL.md says retry with backoff.
      return lost(attempt, false,
          "the world at " + address() + " refused to connect: " + connected.getResult());
    }
    boolean created = worldId == null;
    worldId = connected.getWorldid();
    backoff = MIN_BACKOFF;
    context.getLog().info("{} world {} at {}", created ? "Created" : "Rejoined", worldId, address());
    owner.tell(new SimAmazon.WorldJoined(worldId));
    return joined(attempt);
  }

  private Behavior<Command> joined(Attempt attempt) {
    return Behaviors.receive(Command.class)
        .onMessage(Send.class, m -> send(attempt, m.message()))
        .onMessage(FrameReceived.class, m -> m.attempt() == attempt, m -> onResponses(attempt, m.body()))
        .onMessage(TcpClosed.class, m -> m.attempt() == attempt, m -> closed(attempt, true, m))
        .onSignal(PostStop.class, signal -> closeOnStop(attempt))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> send(Attempt attempt, ACommands message) {
    if (attempt.session.send(message)) return Behaviors.same();
    return lost(attempt, true, "the world at " + address() + " does not read what we send");
  }

  private Behavior<Command> onResponses(Attempt attempt, ByteString body) {
    AResponses responses;
    try {
      responses = AResponses.parseFrom(body.toArray());
    } catch (InvalidProtocolBufferException e) {
      return unparsable(attempt, true, e);
    }
    owner.tell(new SimAmazon.WorldResponses(responses));
    if (responses.getFinished()) {
      return lost(attempt, true, "the world at " + address() + " finished the connection");
    }
    return Behaviors.same();
  }

  /** Waits out the backoff delay, then connects anew; the closed session's events are ignored. */
  private Behavior<Command> backingOff() {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Reconnect.INSTANCE, this::connect)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> closed(Attempt attempt, boolean wasJoined, TcpClosed closed) {
    String why = closed.failure().map(WorldLink::reason).orElse("closed by the world");
    return lost(attempt, wasJoined, "lost the connection to the world at " + address() + " (" + why + ")");
  }

  private Behavior<Command> unparsable(Attempt attempt, boolean wasJoined, InvalidProtocolBufferException e) {
    return lost(attempt, wasJoined, "protocol error from the world at " + address()
        + ": a message that does not parse (" + e.getMessage() + ")");
  }

  /** One log line, then a new connection after the backoff delay. */
  private Behavior<Command> lost(Attempt attempt, boolean wasJoined, String problem) {
    if (wasJoined) owner.tell(SimAmazon.WorldLost.INSTANCE);
    attempt.session.close();
    context.getLog().warn("{}; reconnecting in {} ms", problem, backoff.toMillis());
    timers.startSingleTimer(Reconnect.INSTANCE, backoff);
    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    return backingOff();
  }

  private Behavior<Command> closeOnStop(Attempt attempt) {
    attempt.session.close();
    return Behaviors.same();
  }

  private String address() {
    return settings.worldHost() + ":" + settings.worldPort();
  }

  private static String reason(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) root = root.getCause();
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }
}
