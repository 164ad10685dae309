package org.miniups.sim.amazon;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
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
 * start when Amazon resumes a saved run), reconnects
 * with backoff when the connection fails or is refused, and hands every AResponses to its owner.
 * It keeps no business state: what to re-send after a reconnect is the owner's affair.
 */
final class WorldLink extends AbstractBehavior<WorldLink.Command> {

  sealed interface Command {}

  /** Sent as is while joined; dropped otherwise (the owner re-sends on {@code WorldJoined}). */
  record Send(ACommands message) implements Command {}

  private record TcpConnected(int generation) implements Command {}

  private record TcpFailed(int generation, Throwable failure) implements Command {}

  private record FrameReceived(int generation, ByteString body) implements Command {}

  private record TcpClosed(int generation, Optional<Throwable> failure) implements Command {}

  private record Reconnect(int generation) implements Command {}

  private enum Phase {
    CONNECTING,
    JOINING,
    JOINED,
    BACKING_OFF
  }

  private static final String ACCEPTED = "connected!";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final TimerScheduler<Command> timers;
  private final SimAmazonSettings settings;
  private final List<AInitWarehouse> warehouses;
  private final ActorRef<SimAmazon.Command> owner;
  private Phase phase;
  private int generation;
  private TcpSession session;
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
                timers -> new WorldLink(context, timers, settings, warehouses, worldId, owner)));
  }

  private WorldLink(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      SimAmazonSettings settings,
      List<AInitWarehouse> warehouses,
      Optional<Long> worldId,
      ActorRef<SimAmazon.Command> owner) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.warehouses = List.copyOf(warehouses);
    this.worldId = worldId.orElse(null);
    this.owner = owner;
    connect();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Send.class, this::onSend)
        .onMessage(TcpConnected.class, this::onTcpConnected)
        .onMessage(TcpFailed.class, this::onTcpFailed)
        .onMessage(FrameReceived.class, this::onFrame)
        .onMessage(TcpClosed.class, this::onTcpClosed)
        .onMessage(Reconnect.class, this::onReconnect)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private void connect() {
    int gen = ++generation;
    phase = Phase.CONNECTING;
    session =
        TcpSession.open(
            getContext().getSystem(),
            settings.worldHost(),
            settings.worldPort(),
            settings.maxFrameBytes(),
            VarintFraming.DEFAULT_FRAME_READ_TIMEOUT,
            CONNECT_TIMEOUT,
            getContext().getSelf(),
            new TcpSession.Events<>() {
              @Override
              public Command frame(ByteString body) {
                return new FrameReceived(gen, body);
              }

              @Override
              public Command closed(Optional<Throwable> failure) {
                return new TcpClosed(gen, failure);
              }
            });
    getContext()
        .pipeToSelf(
            session.connected(),
            (ok, failure) -> ok != null ? new TcpConnected(gen) : new TcpFailed(gen, failure));
  }

  private Behavior<Command> onTcpConnected(TcpConnected connected) {
    if (connected.generation() != generation || phase != Phase.CONNECTING) return this;
    phase = Phase.JOINING;
    AConnect.Builder connect = AConnect.newBuilder().setIsAmazon(true).addAllInitwh(warehouses);
    if (worldId != null) connect.setWorldid(worldId);
    session.send(connect.build());
    return this;
  }

  private Behavior<Command> onTcpFailed(TcpFailed failed) {
    if (failed.generation() != generation || phase != Phase.CONNECTING) return this;
    lost("the world at " + address() + " is not reachable (" + reason(failed.failure()) + ")");
    return this;
  }

  private Behavior<Command> onFrame(FrameReceived frame) {
    if (frame.generation() != generation) return this;
    try {
      if (phase == Phase.JOINING) {
        onConnected(AConnected.parseFrom(frame.body().toArray()));
      } else if (phase == Phase.JOINED) {
        AResponses responses = AResponses.parseFrom(frame.body().toArray());
        owner.tell(new SimAmazon.WorldResponses(responses));
        if (responses.getFinished()) lost("the world at " + address() + " finished the connection");
      }
    } catch (InvalidProtocolBufferException e) {
      lost("protocol error from the world at " + address() + ": a message that does not parse ("
          + e.getMessage() + ")");
    }
    return this;
  }

  private void onConnected(AConnected connected) {
    if (!ACCEPTED.equals(connected.getResult())) {
      // E.g. the world still sees our previous connection: PROTOCOL.md says retry with backoff.
      lost("the world at " + address() + " refused to connect: " + connected.getResult());
      return;
    }
    boolean created = worldId == null;
    worldId = connected.getWorldid();
    phase = Phase.JOINED;
    backoff = MIN_BACKOFF;
    getContext()
        .getLog()
        .info("{} world {} at {}", created ? "Created" : "Rejoined", worldId, address());
    owner.tell(new SimAmazon.WorldJoined(worldId));
  }

  private Behavior<Command> onTcpClosed(TcpClosed closed) {
    if (closed.generation() != generation || phase == Phase.BACKING_OFF) return this;
    String why = closed.failure().map(WorldLink::reason).orElse("closed by the world");
    lost("lost the connection to the world at " + address() + " (" + why + ")");
    return this;
  }

  private Behavior<Command> onSend(Send send) {
    if (phase == Phase.JOINED && !session.send(send.message())) {
      lost("the world at " + address() + " does not read what we send");
    }
    return this;
  }

  /** One log line, then a new connection after the backoff delay. */
  private void lost(String problem) {
    if (phase == Phase.JOINED) owner.tell(SimAmazon.WorldLost.INSTANCE);
    session.close();
    phase = Phase.BACKING_OFF;
    getContext().getLog().warn("{}; reconnecting in {} ms", problem, backoff.toMillis());
    timers.startSingleTimer(new Reconnect(generation), backoff);
    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
  }

  private Behavior<Command> onReconnect(Reconnect reconnect) {
    if (reconnect.generation() == generation && phase == Phase.BACKING_OFF) connect();
    return this;
  }

  private Behavior<Command> onStop() {
    session.close();
    return this;
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
