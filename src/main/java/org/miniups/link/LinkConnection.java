package org.miniups.link;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.util.ByteString;
import org.miniups.CborSerializable;

/**
 * Owns the TCP connection to one peer (the World or Amazon) and nothing else: connects, runs the
 * peer's handshake, then carries our outbox's items out and the peer's items in. Business state
 * lives elsewhere: outgoing items come from the outbox (which re-sends them), incoming items go to
 * the de-duplicating inbox, and an ack goes out only once the inbox says its item is handled.
 *
 * <p>A refused or dropped connection is one log line and a reconnect after an exponential
 * backoff; an oversized or malformed frame, or half a frame whose rest does not come within
 * {@code mini-ups.link.frame-read-timeout}, drops the connection the same way. What differs
 * between peers is the {@link Protocol}.
 */
public final class LinkConnection extends AbstractBehavior<LinkConnection.Command> {

  /** What differs between peers: what to join, the handshake, and the wire messages. */
  public interface Protocol {
    /** "the World", "Amazon": for log lines. */
    String peerName();

    /**
     * Turns an {@link Open} request's target into the target to connect to (e.g. world 0 into the
     * world this database belongs to). A failed stage refuses the request with its message.
     */
    CompletionStage<Long> resolve(long requestedTarget);

    /** Sent as soon as TCP is up; empty when the peer speaks first. */
    Optional<MessageLite> greeting(long target);

    /** Judges the peer's first frame. */
    CompletionStage<Handshake> handshake(long target, ByteString firstFrame)
        throws InvalidProtocolBufferException;

    /** Our items and acks as one wire message. */
    MessageLite commands(List<ResendSupervisor.Item> items, List<Long> acks);

    /**
     * Decodes a frame on a link to {@code target}; a {@link ProtocolError} when it parses but
     * breaks the contract (e.g. names another target).
     */
    Inbound parse(long target, ByteString frame) throws InvalidProtocolBufferException;

    /** Sent when we leave for good (shutdown), if the peer has such a message. */
    Optional<MessageLite> farewell();

    /** The target as people read it in logs, e.g. "world 5". */
    String describe(long target);
  }

  /**
   * @param accepted the link is up
   * @param result the peer's answer as people read it ("connected!" or an error)
   * @param target what we are connected to now (a new world's id once it exists)
   * @param retry whether to try again after a refusal (false: wait for a new {@link Open})
   * @param replies sent to the peer right away (e.g. Amazon's UAConnected)
   * @param alsoReceived items that came with the first frame, handled once the link is up
   */
  public record Handshake(
      boolean accepted,
      String result,
      long target,
      boolean retry,
      List<MessageLite> replies,
      Optional<Inbound> alsoReceived) {}

  /** A peer message, decoded: acks of our items, the peer's items, and whether it is leaving. */
  public record Inbound(List<Long> acks, List<Received> items, boolean peerLeaving) {}

  public record Received(long seqnum, PeerMessage message) {}

  public sealed interface Command extends CborSerializable {}

  /**
   * Connect to {@code target} (as the protocol reads it) and stay connected; a different target
   * reconnects. {@code replyTo} hears the outcome of the first handshake that has one.
   */
  public record Open(long target, ActorRef<Opened> replyTo) implements Command {}

  public record Opened(long target, String result, boolean accepted) implements CborSerializable {}

  public record GetLinkState(ActorRef<LinkState> replyTo) implements Command {}

  public record LinkState(boolean connected, long target, String detail) implements CborSerializable {}

  /** Shutdown: say goodbye if the protocol has a way, close, and stay closed. */
  public record Leave(ActorRef<Done> replyTo) implements Command {}

  private record Resolved(long target, Throwable failure) implements Command {}

  private record TcpConnected(int generation) implements Command {}

  private record TcpFailed(int generation, String reason) implements Command {}

  private record FrameReceived(int generation, ByteString body) implements Command {}

  private record TcpClosed(int generation, Optional<Throwable> failure) implements Command {}

  private record HandshakeJudged(int generation, Handshake handshake, Throwable failure) implements Command {}

  private record Reconnect(int generation) implements Command {}

  /** The peer accepted TCP but never spoke its first frame. */
  private record HandshakeTimedOut(int generation) implements Command {}

  private record OutboxTransmit(ResendSupervisor.Transmit transmit) implements Command {}

  private record InboxAck(InboundDedup.Ack ack) implements Command {}

  private record Flush() implements Command {}

  private record LeaveTimedOut(int generation) implements Command {}

  public record Settings(
      String host,
      int port,
      int maxFrameBytes,
      Duration minBackoff,
      Duration maxBackoff,
      Duration connectTimeout,
      Duration frameReadTimeout) {
    String address() {
      return host + ":" + port;
    }

    /** The peer at {@code peerPath} (host, port) with the link timings every peer shares. */
    public static Settings fromConfig(com.typesafe.config.Config config, String peerPath) {
      return new Settings(
          config.getString(peerPath + ".host"),
          config.getInt(peerPath + ".port"),
          (int) config.getMemorySize("mini-ups.link.max-frame-size").toBytes(),
          config.getDuration("mini-ups.link.reconnect-min-backoff"),
          config.getDuration("mini-ups.link.reconnect-max-backoff"),
          Duration.ofSeconds(5),
          config.getDuration("mini-ups.link.frame-read-timeout"));
    }
  }

  private enum Phase {
    CLOSED,
    CONNECTING,
    HANDSHAKING,
    JUDGING,
    CONNECTED,
    BACKING_OFF,
    /** Said goodbye; waits for the peer to close, so the goodbye is read and not reset away. */
    LEAVING,
    LEFT
  }

  public static Behavior<Command> create(
      Settings settings,
      Protocol protocol,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox) {
    // Resume on an unexpected failure: the connection state stays, and so does the link.
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                context ->
                    Behaviors.withTimers(
                        timers -> new LinkConnection(context, timers, settings, protocol, outbox, inbox))))
        .onFailure(SupervisorStrategy.resume());
  }

  /** Items per wire message: a few hundred keep each frame far below the peers' 1 MiB limit. */
  private static final int MAX_ITEMS_PER_MESSAGE = 500;
  private static final Duration LEAVE_PATIENCE = Duration.ofSeconds(2);

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final Protocol protocol;
  private final ActorRef<ResendSupervisor.Command> outbox;
  private final ActorRef<InboundDedup.Command> inbox;
  private final ActorRef<ResendSupervisor.Transmit> transmitAdapter;
  private final ActorRef<InboundDedup.Ack> ackAdapter;
  private final Backoff backoff;
  private final Optional<Cancellable> leaveOnShutdown;

  private Phase phase = Phase.CLOSED;
  private final List<ActorRef<Done>> leaving = new ArrayList<>();
  private boolean resolving;
  private long target;
  private int generation;
  private TcpSession session;
  private final List<ActorRef<Opened>> waiters = new ArrayList<>();
  private final List<ResendSupervisor.Item> unsentItems = new ArrayList<>();
  private final List<Long> unsentAcks = new ArrayList<>();
  private final List<ByteString> framesWhileJudging = new ArrayList<>();
  // The peer may close right after its answer (a refused join): the answer decides what we log.
  private Optional<String> closedWhileJudging = Optional.empty();
  private boolean flushScheduled;
  private String lastProblem = "not opened yet";

  private LinkConnection(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Settings settings,
      Protocol protocol,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox) {
    super(context);
    context.setLoggerName(LinkConnection.class); // one logger name, whichever peer
    this.timers = timers;
    this.settings = settings;
    this.protocol = protocol;
    this.outbox = outbox;
    this.inbox = inbox;
    this.transmitAdapter = context.messageAdapter(ResendSupervisor.Transmit.class, OutboxTransmit::new);
    this.ackAdapter = context.messageAdapter(InboundDedup.Ack.class, InboxAck::new);
    this.backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
    this.leaveOnShutdown = leaveWhenThisNodeStops(context);
  }

  /**
   * The node that runs the connection (in a cluster: the singletons' node, and only that one)
   * leaves the peer first when it shuts down, so nothing arrives for actors that are stopping. The
   * task goes with the connection: a connection that moved to another node leaves from there.
   */
  private static Optional<Cancellable> leaveWhenThisNodeStops(ActorContext<Command> context) {
    try {
      return Optional.of(
          CoordinatedShutdown.get(context.getSystem())
              .addCancellableTask(
                  CoordinatedShutdown.PhaseServiceUnbind(),
                  "leave-" + context.getSelf().path().name(),
                  () -> AskPattern.ask(context.getSelf(), Leave::new, Duration.ofSeconds(5), context.getSystem().scheduler())));
    } catch (IllegalStateException shutdownUnderWay) {
      return Optional.empty(); // started while the node stops: nobody to leave yet
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Open.class, this::onOpen)
        .onMessage(Resolved.class, this::onResolved)
        .onMessage(TcpConnected.class, this::onTcpConnected)
        .onMessage(TcpFailed.class, this::onTcpFailed)
        .onMessage(FrameReceived.class, this::onFrame)
        .onMessage(HandshakeJudged.class, this::onHandshakeJudged)
        .onMessage(TcpClosed.class, this::onTcpClosed)
        .onMessage(Reconnect.class, this::onReconnect)
        .onMessage(HandshakeTimedOut.class, this::onHandshakeTimedOut)
        .onMessage(OutboxTransmit.class, this::onTransmit)
        .onMessage(InboxAck.class, this::onAck)
        .onMessage(Flush.class, this::onFlush)
        .onMessage(GetLinkState.class, this::onGetLinkState)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(LeaveTimedOut.class, timedOut -> timedOut.generation() == generation ? left() : this)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  // --- opening

  private Behavior<Command> onOpen(Open open) {
    if (phase == Phase.LEFT) {
      open.replyTo().tell(new Opened(open.target(), "error: shutting down", false));
      return this;
    }
    waiters.add(open.replyTo());
    if (resolving) return this; // the answer in flight serves this request too
    // Resolving runs beside the current connection: its frames and handshake carry on meanwhile.
    resolving = true;
    getContext()
        .pipeToSelf(protocol.resolve(open.target()), (resolved, failure) -> new Resolved(resolved == null ? 0 : resolved, failure));
    return this;
  }

  private Behavior<Command> onResolved(Resolved resolved) {
    if (!resolving || phase == Phase.LEFT) return this;
    resolving = false;
    if (resolved.failure() != null) {
      String error = rootMessage(resolved.failure());
      getContext().getLog().error("Not connecting to {}: {}", protocol.peerName(), error);
      answerWaiters(new Opened(target, error, false));
      return this;
    }
    if (session != null && resolved.target() == target) {
      // Already there, or on the way: the handshake in progress answers the waiters.
      if (phase == Phase.CONNECTED) answerWaiters(new Opened(target, "connected!", true));
      return this;
    }
    target = resolved.target();
    closeSession();
    connect();
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
            settings.frameReadTimeout(),
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
    protocol.greeting(target).ifPresent(session::send);
    // The peer gets as long to speak first as TCP had to connect.
    timers.startSingleTimer(new HandshakeTimedOut(msg.generation()), settings.connectTimeout());
    return this;
  }

  private Behavior<Command> onHandshakeTimedOut(HandshakeTimedOut msg) {
    if (msg.generation() == generation && phase == Phase.HANDSHAKING) {
      protocolError("no answer to the handshake within " + Backoff.describe(settings.connectTimeout()));
    }
    return this;
  }

  private Behavior<Command> onTcpFailed(TcpFailed msg) {
    if (msg.generation() != generation || phase != Phase.CONNECTING) return this;
    lostConnection(
        capitalized(protocol.peerName()) + " at " + settings.address() + " is not reachable (" + msg.reason() + ")",
        "retrying");
    return this;
  }

  // --- receiving

  private Behavior<Command> onFrame(FrameReceived msg) {
    if (msg.generation() != generation || session == null) return this;
    // A peer that speaks first (Amazon) can be heard before "connected" arrives from the other
    // stream: its frame proves the connection is up, and must not be dropped.
    if (phase == Phase.CONNECTING) onTcpConnected(new TcpConnected(generation));
    try {
      if (phase == Phase.HANDSHAKING) {
        int gen = generation;
        phase = Phase.JUDGING;
        getContext()
            .pipeToSelf(
                protocol.handshake(target, msg.body()),
                (handshake, failure) -> new HandshakeJudged(gen, handshake, failure));
      } else if (phase == Phase.JUDGING) {
        framesWhileJudging.add(msg.body());
      } else if (phase == Phase.CONNECTED) {
        onInbound(protocol.parse(target, msg.body()));
      }
    } catch (InvalidProtocolBufferException e) {
      protocolError("a message that does not parse (" + e.getMessage() + ")");
    } catch (ProtocolError e) {
      protocolError(e.getMessage());
    }
    return this;
  }

  private Behavior<Command> onHandshakeJudged(HandshakeJudged judged) {
    if (judged.generation() != generation || session == null || phase != Phase.JUDGING) return this;
    if (judged.failure() != null) {
      protocolError(rootMessage(judged.failure()));
      return this;
    }
    Handshake handshake = judged.handshake();
    if (closedWhileJudging.isPresent() && handshake.accepted()) {
      lostConnection(
          "Lost the connection to " + protocol.peerName() + " at " + settings.address() + " (" + closedWhileJudging.get() + ")",
          "reconnecting");
      return this;
    }
    handshake.replies().forEach(session::send);
    target = handshake.target();
    if (!handshake.accepted()) {
      answerWaiters(new Opened(target, handshake.result(), false));
      String problem =
          "Handshake with " + protocol.peerName() + " at " + settings.address() + " failed: " + handshake.result();
      if (handshake.retry()) {
        lostConnection(problem, "retrying");
      } else {
        getContext().getLog().error("{}; not retrying", problem);
        closeSession();
        lastProblem = problem;
        phase = Phase.CLOSED;
      }
      return this;
    }
    phase = Phase.CONNECTED;
    backoff.reset();
    lastProblem = "";
    getContext().getLog().info("Connected to {} at {} ({})", protocol.peerName(), settings.address(), describeTarget());
    answerWaiters(new Opened(target, handshake.result(), true));
    outbox.tell(new ResendSupervisor.LinkUp(transmitAdapter));
    handshake.alsoReceived().ifPresent(this::onInbound);
    List<ByteString> early = List.copyOf(framesWhileJudging);
    framesWhileJudging.clear();
    try {
      for (ByteString frame : early) if (phase == Phase.CONNECTED) onInbound(protocol.parse(target, frame));
    } catch (InvalidProtocolBufferException e) {
      protocolError("a message that does not parse (" + e.getMessage() + ")");
    } catch (ProtocolError e) {
      protocolError(e.getMessage());
    }
    return this;
  }

  private void onInbound(Inbound inbound) {
    if (!inbound.acks().isEmpty()) outbox.tell(new ResendSupervisor.Acked(inbound.acks()));
    for (Received item : inbound.items()) {
      inbox.tell(new InboundDedup.Deliver(item.seqnum(), item.message(), ackAdapter));
    }
    if (inbound.peerLeaving()) {
      lostConnection(capitalized(protocol.peerName()) + " at " + settings.address() + " closed the link", "reconnecting");
    }
  }

  private Behavior<Command> onTcpClosed(TcpClosed msg) {
    if (msg.generation() != generation || session == null) return this;
    if (phase == Phase.LEAVING) return left();
    if (msg.failure().isPresent() && msg.failure().get() instanceof ProtocolError framing && phase != Phase.JUDGING) {
      protocolError(framing.getMessage()); // the frames the peer sent broke the framing
      return this;
    }
    String why = msg.failure().map(LinkConnection::reason).orElse("closed by " + protocol.peerName());
    if (phase == Phase.JUDGING) {
      closedWhileJudging = Optional.of(why);
      return this;
    }
    if (phase == Phase.CONNECTING) {
      lostConnection(capitalized(protocol.peerName()) + " at " + settings.address() + " is not reachable (" + why + ")", "retrying");
    } else {
      lostConnection("Lost the connection to " + protocol.peerName() + " at " + settings.address() + " (" + why + ")", "reconnecting");
    }
    return this;
  }

  private void protocolError(String what) {
    lostConnection(
        "Protocol error from " + protocol.peerName() + " at " + settings.address() + ": " + what + "; dropped the connection",
        "reconnecting");
  }

  /** One log line, then a reconnect after the next backoff delay. */
  private void lostConnection(String problem, String verb) {
    closeSession();
    Duration delay = backoff.next();
    lastProblem = problem;
    getContext().getLog().warn("{}; {} in {}", problem, verb, Backoff.describe(delay));
    phase = Phase.BACKING_OFF;
    timers.startSingleTimer(new Reconnect(generation), delay);
  }

  private void closeSession() {
    if (phase == Phase.CONNECTED) outbox.tell(new ResendSupervisor.LinkDown(transmitAdapter));
    if (session != null) {
      session.close();
      session = null;
    }
    unsentItems.clear();
    unsentAcks.clear();
    framesWhileJudging.clear();
    closedWhileJudging = Optional.empty();
  }

  private Behavior<Command> onReconnect(Reconnect msg) {
    if (msg.generation() == generation && phase == Phase.BACKING_OFF) connect();
    return this;
  }

  // --- sending

  private Behavior<Command> onTransmit(OutboxTransmit msg) {
    if (phase != Phase.CONNECTED) return this; // the outbox re-sends everything on LinkUp
    unsentItems.addAll(msg.transmit().items());
    scheduleFlush();
    return this;
  }

  private Behavior<Command> onAck(InboxAck msg) {
    if (phase != Phase.CONNECTED) return this; // the peer re-sends, the inbox acks again
    unsentAcks.add(msg.ack().seqnum());
    scheduleFlush();
    return this;
  }

  /** Whatever arrives before the flush message travels in the same wire message. */
  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      getContext().getSelf().tell(new Flush());
    }
  }

  private Behavior<Command> onFlush(Flush msg) {
    flushScheduled = false;
    if (phase != Phase.CONNECTED || (unsentItems.isEmpty() && unsentAcks.isEmpty())) return this;
    List<ResendSupervisor.Item> items = List.copyOf(unsentItems);
    List<Long> acks = List.copyOf(unsentAcks);
    unsentItems.clear();
    unsentAcks.clear();
    // In messages of a bounded size (the peer limits frames), in order, acks with the first.
    for (int from = 0; from == 0 || from < items.size(); from += MAX_ITEMS_PER_MESSAGE) {
      List<ResendSupervisor.Item> chunk = items.subList(from, Math.min(items.size(), from + MAX_ITEMS_PER_MESSAGE));
      if (!session.send(protocol.commands(chunk, from == 0 ? acks : List.of()))) {
        // A message that could not be written must not be overtaken by the next one (that would
        // break seqnum order): start over on a new connection, where everything goes out in order.
        lostConnection("Could not write to " + protocol.peerName() + " (connection congested)", "reconnecting");
        return this;
      }
    }
    return this;
  }

  // --- state and shutdown

  private Behavior<Command> onGetLinkState(GetLinkState msg) {
    boolean up = phase == Phase.CONNECTED;
    String detail =
        up
            ? "connected to " + settings.address() + " (" + describeTarget() + ")"
            : phase.name().toLowerCase().replace('_', ' ') + (lastProblem.isEmpty() ? "" : ": " + lastProblem);
    msg.replyTo().tell(new LinkState(up, target, detail));
    return this;
  }

  /**
   * Leaves politely: with a goodbye to send (the World's disconnect), it is sent and the write side
   * closed, and the connection is kept reading until the peer closes it (at most {@code
   * LEAVE_PATIENCE}): closing a socket with unread bytes resets it, and a reset peer may never
   * read the goodbye.
   */
  private Behavior<Command> onLeave(Leave msg) {
    leaving.add(msg.replyTo());
    if (phase == Phase.LEAVING) return this;
    Optional<MessageLite> farewell = phase == Phase.CONNECTED ? protocol.farewell() : Optional.empty();
    timers.cancelAll();
    answerWaiters(new Opened(target, "error: shutting down", false));
    if (farewell.isEmpty() || session == null) return left();
    outbox.tell(new ResendSupervisor.LinkDown(transmitAdapter));
    session.send(farewell.get());
    session.finishWriting();
    phase = Phase.LEAVING;
    timers.startSingleTimer(new LeaveTimedOut(generation), LEAVE_PATIENCE);
    return this;
  }

  private Behavior<Command> left() {
    closeSession();
    phase = Phase.LEFT;
    timers.cancelAll();
    leaving.forEach(waiter -> waiter.tell(Done.getInstance()));
    leaving.clear();
    return this;
  }

  private Behavior<Command> onStop() {
    leaveOnShutdown.ifPresent(Cancellable::cancel);
    if (session != null) session.close();
    return this;
  }

  private void answerWaiters(Opened result) {
    waiters.forEach(waiter -> waiter.tell(result));
    waiters.clear();
  }

  private String describeTarget() {
    return protocol.describe(target);
  }

  private static String capitalized(String text) {
    return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }

  public static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  static String reason(Throwable failure) {
    String message = rootMessage(failure);
    return message.contains("Connection refused") ? "connection refused" : message;
  }
}
