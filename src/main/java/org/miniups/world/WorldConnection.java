package org.miniups.world;

import com.google.protobuf.InvalidProtocolBufferException;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.util.ByteString;
import org.miniups.CborSerializable;
import org.miniups.link.Backoff;
import org.miniups.link.InboundDedup;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.TcpSession;
import org.miniups.proto.WorldUps;

/**
 * Owns the TCP connection to the World: connects, joins a world with our fleet, then carries
 * {@code UCommands} out and {@code UResponses} in. It keeps no business state: outgoing items come
 * from the outbox (which re-sends them), incoming items go to the de-duplicating inbox, and acks
 * go out once the inbox says an item is handled. A dropped or refused connection is logged in one
 * line and retried with exponential backoff; a protocol error drops the connection the same way.
 */
public final class WorldConnection extends AbstractBehavior<WorldConnection.Command> {

  public record Settings(
      String host,
      int port,
      int maxFrameBytes,
      Duration minBackoff,
      Duration maxBackoff,
      Duration connectTimeout) {
    public static Settings fromConfig(Config config) {
      return new Settings(
          config.getString("mini-ups.world.host"),
          config.getInt("mini-ups.world.port"),
          (int) config.getMemorySize("mini-ups.link.max-frame-size").toBytes(),
          config.getDuration("mini-ups.link.reconnect-min-backoff"),
          config.getDuration("mini-ups.link.reconnect-max-backoff"),
          Duration.ofSeconds(5));
    }

    String address() {
      return host + ":" + port;
    }
  }

  public record TruckInit(int id, int x, int y) implements CborSerializable {}

  public sealed interface Command extends CborSerializable {}

  /**
   * Connect to world {@code worldId} (0: the one this database belongs to, or a new one) and stay
   * connected. {@code replyTo} hears the World's answer to the first attempt that gets one.
   */
  public record Join(long worldId, ActorRef<JoinResult> replyTo) implements Command {}

  /** {@code result} is the World's text: "connected!" or an error. */
  public record JoinResult(long worldId, String result) implements CborSerializable {
    public boolean connected() {
      return CONNECTED.equals(result);
    }
  }

  public record GetLinkState(ActorRef<LinkState> replyTo) implements Command {}

  public record LinkState(boolean connected, long worldId, String detail) implements CborSerializable {}

  /** Shutdown: tell the World we are leaving, close, and stay closed. */
  public record Leave(ActorRef<org.apache.pekko.Done> replyTo) implements Command {}

  private record IdentityChecked(long requested, WorldIdentity.State known, ActorRef<JoinResult> replyTo)
      implements Command {}

  private record TcpConnected(int generation) implements Command {}

  private record TcpFailed(int generation, String reason) implements Command {}

  private record FrameReceived(int generation, ByteString body) implements Command {}

  private record TcpClosed(int generation, Optional<Throwable> failure) implements Command {}

  private record WorldClaimed(int generation, long worldId, WorldIdentity.State identity) implements Command {}

  private record Reconnect(int generation) implements Command {}

  private record OutboxTransmit(ResendSupervisor.Transmit transmit) implements Command {}

  private record InboxAck(InboundDedup.Ack ack) implements Command {}

  private record Flush() implements Command {}

  static final String CONNECTED = "connected!";

  private enum Phase {
    WAITING_FOR_JOIN,
    CONNECTING,
    HANDSHAKING,
    CONNECTED,
    BACKING_OFF,
    REFUSED,
    LEFT
  }

  public static Behavior<Command> create(
      Settings settings,
      List<TruckInit> fleet,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox,
      ActorRef<WorldIdentity.Command> identity) {
    // Resume on an unexpected failure: the connection state stays, and so does the link.
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers ->
                            new WorldConnection(context, timers, settings, fleet, outbox, inbox, identity))))
        .onFailure(SupervisorStrategy.resume());
  }

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final List<TruckInit> fleet;
  private final ActorRef<ResendSupervisor.Command> outbox;
  private final ActorRef<InboundDedup.Command> inbox;
  private final ActorRef<WorldIdentity.Command> identity;
  private final ActorRef<ResendSupervisor.Transmit> transmitAdapter;
  private final ActorRef<InboundDedup.Ack> ackAdapter;
  private final Backoff backoff;

  private Phase phase = Phase.WAITING_FOR_JOIN;
  private long worldId; // 0 until known: then the world we (re)join
  private int generation;
  private TcpSession session;
  private final List<ActorRef<JoinResult>> joinWaiters = new ArrayList<>();
  private final List<ResendSupervisor.Item> unsentItems = new ArrayList<>();
  private final List<Long> unsentAcks = new ArrayList<>();
  private boolean flushScheduled;
  private String lastProblem = "not started";

  private WorldConnection(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Settings settings,
      List<TruckInit> fleet,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox,
      ActorRef<WorldIdentity.Command> identity) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.fleet = List.copyOf(fleet);
    this.outbox = outbox;
    this.inbox = inbox;
    this.identity = identity;
    this.transmitAdapter = context.messageAdapter(ResendSupervisor.Transmit.class, OutboxTransmit::new);
    this.ackAdapter = context.messageAdapter(InboundDedup.Ack.class, InboxAck::new);
    this.backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(IdentityChecked.class, this::onIdentityChecked)
        .onMessage(TcpConnected.class, this::onTcpConnected)
        .onMessage(TcpFailed.class, this::onTcpFailed)
        .onMessage(FrameReceived.class, this::onFrame)
        .onMessage(WorldClaimed.class, this::onWorldClaimed)
        .onMessage(TcpClosed.class, this::onTcpClosed)
        .onMessage(Reconnect.class, this::onReconnect)
        .onMessage(OutboxTransmit.class, this::onTransmit)
        .onMessage(InboxAck.class, this::onAck)
        .onMessage(Flush.class, this::onFlush)
        .onMessage(GetLinkState.class, this::onGetLinkState)
        .onMessage(Leave.class, this::onLeave)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private Behavior<Command> onJoin(Join join) {
    getContext()
        .ask(
            WorldIdentity.State.class,
            identity,
            Duration.ofSeconds(10),
            WorldIdentity.Get::new,
            (known, failure) ->
                known != null
                    ? new IdentityChecked(join.worldId(), known, join.replyTo())
                    : new IdentityChecked(join.worldId(), null, join.replyTo()));
    return this;
  }

  private Behavior<Command> onIdentityChecked(IdentityChecked checked) {
    if (checked.known() == null) {
      checked.replyTo().tell(new JoinResult(checked.requested(), "error: our database did not answer"));
      return this;
    }
    if (!checked.known().allows(checked.requested())) {
      String error =
          "error: this UPS belongs to world "
              + checked.known().worldId()
              + "; refusing to join world "
              + checked.requested()
              + " (use a fresh database for a new world)";
      getContext().getLog().error("{}", error);
      checked.replyTo().tell(new JoinResult(checked.requested(), error));
      return this;
    }
    long target = checked.requested() != 0 ? checked.requested() : checked.known().worldId();
    if (phase == Phase.CONNECTED && target == worldId) {
      checked.replyTo().tell(new JoinResult(worldId, CONNECTED));
      return this;
    }
    joinWaiters.add(checked.replyTo());
    worldId = target;
    if (phase == Phase.WAITING_FOR_JOIN || phase == Phase.REFUSED) connect();
    else if (phase == Phase.LEFT) answerWaiters(new JoinResult(worldId, "error: shutting down"));
    return this;
  }

  private void connect() {
    generation++;
    phase = Phase.CONNECTING;
    int gen = generation;
    session =
        TcpSession.open(
            getContext().getSystem(),
            settings.host(),
            settings.port(),
            settings.maxFrameBytes(),
            settings.connectTimeout(),
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
            (ok, failure) -> ok != null ? new TcpConnected(gen) : new TcpFailed(gen, reason(failure)));
  }

  private Behavior<Command> onTcpConnected(TcpConnected msg) {
    if (msg.generation() != generation || phase != Phase.CONNECTING) return this;
    phase = Phase.HANDSHAKING;
    WorldUps.UConnect.Builder hello = WorldUps.UConnect.newBuilder().setIsAmazon(false);
    if (worldId != 0) hello.setWorldid(worldId);
    for (TruckInit truck : fleet) {
      hello.addTrucks(WorldUps.UInitTruck.newBuilder().setId(truck.id()).setX(truck.x()).setY(truck.y()));
    }
    session.send(hello.build());
    return this;
  }

  private Behavior<Command> onTcpFailed(TcpFailed msg) {
    if (msg.generation() != generation || phase != Phase.CONNECTING) return this;
    lostConnection("World at " + settings.address() + " is not reachable (" + msg.reason() + ")", "retrying");
    return this;
  }

  private Behavior<Command> onFrame(FrameReceived msg) {
    if (msg.generation() != generation || session == null) return this;
    try {
      if (phase == Phase.HANDSHAKING) onHandshakeAnswer(WorldUps.UConnected.parseFrom(msg.body().toArrayUnsafe()));
      else if (phase == Phase.CONNECTED) onResponses(WorldUps.UResponses.parseFrom(msg.body().toArrayUnsafe()));
    } catch (InvalidProtocolBufferException e) {
      protocolError("a message that does not parse (" + e.getMessage() + ")");
    }
    return this;
  }

  private void onHandshakeAnswer(WorldUps.UConnected answer) {
    if (!CONNECTED.equals(answer.getResult())) {
      answerWaiters(new JoinResult(worldId, answer.getResult()));
      lostConnection(
          "World at " + settings.address() + " refused to connect us to world " + worldId + ": " + answer.getResult(),
          "retrying");
      return;
    }
    int gen = generation;
    long joined = answer.getWorldid();
    getContext()
        .ask(
            WorldIdentity.State.class,
            identity,
            Duration.ofSeconds(10),
            replyTo -> new WorldIdentity.Claim(joined, replyTo),
            (known, failure) -> new WorldClaimed(gen, joined, known));
  }

  private Behavior<Command> onWorldClaimed(WorldClaimed msg) {
    if (msg.generation() != generation || phase != Phase.HANDSHAKING) return this;
    if (msg.identity() == null || msg.identity().worldId() != msg.worldId()) {
      String error =
          msg.identity() == null
              ? "error: our database did not answer"
              : "error: the World put us in world " + msg.worldId() + " but this UPS belongs to world " + msg.identity().worldId();
      getContext().getLog().error("{}; disconnecting", error);
      answerWaiters(new JoinResult(msg.worldId(), error));
      closeSession();
      phase = Phase.REFUSED;
      return this;
    }
    worldId = msg.worldId();
    phase = Phase.CONNECTED;
    backoff.reset();
    lastProblem = "";
    getContext().getLog().info("Connected to world {} at {} with {} trucks", worldId, settings.address(), fleet.size());
    answerWaiters(new JoinResult(worldId, CONNECTED));
    outbox.tell(new ResendSupervisor.LinkUp(transmitAdapter));
    return this;
  }

  private void onResponses(WorldUps.UResponses responses) {
    if (responses.getAcksCount() > 0) outbox.tell(new ResendSupervisor.Acked(responses.getAcksList()));
    for (WorldCodec.Inbound inbound : WorldCodec.events(responses)) {
      inbox.tell(new InboundDedup.Deliver(inbound.seqnum(), inbound.event(), ackAdapter));
    }
    if (responses.hasFinished() && responses.getFinished()) {
      getContext().getLog().info("World at {} finished the connection", settings.address());
    }
  }

  private Behavior<Command> onTcpClosed(TcpClosed msg) {
    if (msg.generation() != generation || session == null) return this;
    String why = msg.failure().map(WorldConnection::reason).orElse("closed by the World");
    if (phase == Phase.CONNECTING) {
      lostConnection("World at " + settings.address() + " is not reachable (" + why + ")", "retrying");
    } else {
      lostConnection("Lost the connection to the World at " + settings.address() + " (" + why + ")", "reconnecting");
    }
    return this;
  }

  private void protocolError(String what) {
    lostConnection(
        "Protocol error from the World at " + settings.address() + ": " + what + "; dropped the connection",
        "reconnecting");
  }

  /** One log line, then a reconnect after the next backoff delay. */
  private void lostConnection(String problem, String verb) {
    boolean wasConnected = phase == Phase.CONNECTED;
    closeSession();
    if (wasConnected) outbox.tell(new ResendSupervisor.LinkDown(transmitAdapter));
    Duration delay = backoff.next();
    lastProblem = problem;
    getContext().getLog().warn("{}; {} in {}", problem, verb, Backoff.describe(delay));
    phase = Phase.BACKING_OFF;
    timers.startSingleTimer(new Reconnect(generation), delay);
  }

  private void closeSession() {
    if (session != null) {
      session.close();
      session = null;
    }
    unsentItems.clear();
    unsentAcks.clear();
  }

  private Behavior<Command> onReconnect(Reconnect msg) {
    if (msg.generation() == generation && phase == Phase.BACKING_OFF) connect();
    return this;
  }

  private Behavior<Command> onTransmit(OutboxTransmit msg) {
    if (phase != Phase.CONNECTED) return this; // the outbox re-sends everything on LinkUp
    unsentItems.addAll(msg.transmit().items());
    scheduleFlush();
    return this;
  }

  private Behavior<Command> onAck(InboxAck msg) {
    if (phase != Phase.CONNECTED) return this; // the World re-sends, the inbox acks again
    unsentAcks.add(msg.ack().seqnum());
    scheduleFlush();
    return this;
  }

  /** Whatever arrives before the flush message travels in the same {@code UCommands}. */
  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      getContext().getSelf().tell(new Flush());
    }
  }

  private Behavior<Command> onFlush(Flush msg) {
    flushScheduled = false;
    if (phase != Phase.CONNECTED || (unsentItems.isEmpty() && unsentAcks.isEmpty())) return this;
    if (!session.send(WorldCodec.commands(unsentItems, unsentAcks))) {
      getContext()
          .getLog()
          .warn("Could not write to the World (connection closing or congested); {} items wait for the next re-send", unsentItems.size());
    }
    unsentItems.clear();
    unsentAcks.clear();
    return this;
  }

  private Behavior<Command> onGetLinkState(GetLinkState msg) {
    boolean up = phase == Phase.CONNECTED;
    String detail = up ? "connected to " + settings.address() : phase.name().toLowerCase() + (lastProblem.isEmpty() ? "" : ": " + lastProblem);
    msg.replyTo().tell(new LinkState(up, worldId, detail));
    return this;
  }

  private Behavior<Command> onLeave(Leave msg) {
    if (phase == Phase.CONNECTED) {
      session.send(WorldUps.UCommands.newBuilder().setDisconnect(true).build());
      outbox.tell(new ResendSupervisor.LinkDown(transmitAdapter));
    }
    closeSession();
    phase = Phase.LEFT;
    timers.cancelAll();
    msg.replyTo().tell(org.apache.pekko.Done.getInstance());
    return this;
  }

  private Behavior<Command> onStop() {
    if (session != null) session.close();
    return this;
  }

  private void answerWaiters(JoinResult result) {
    joinWaiters.forEach(waiter -> waiter.tell(result));
    joinWaiters.clear();
  }

  static String reason(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String message = root.getMessage();
    if (message == null || message.isBlank()) return root.getClass().getSimpleName();
    if (message.contains("Connection refused")) return "connection refused";
    return message;
  }
}
