package org.miniups.link;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.function.Predicate;
import org.apache.pekko.util.ByteString;
import org.miniups.link.LinkConnection.Command;
import org.miniups.link.LinkConnection.GetLinkState;
import org.miniups.link.LinkConnection.Handshake;
import org.miniups.link.LinkConnection.Inbound;
import org.miniups.link.LinkConnection.Leave;
import org.miniups.link.LinkConnection.LinkState;
import org.miniups.link.LinkConnection.Open;
import org.miniups.link.LinkConnection.Opened;
import org.miniups.link.LinkConnection.Protocol;
import org.miniups.link.LinkConnection.Received;
import org.miniups.link.LinkConnection.Settings;

/**
 * The phases of a {@link LinkConnection}, one behavior each: {@link #closed}, {@link #connecting},
 * {@link #handshaking}, {@link #judging} (the peer's first frame is being judged), {@link
 * #connected}, {@link #backingOff}, {@link #leaving} and {@link #left}. A phase with a connection
 * holds its {@link Session}, and the connection's events name their session: an event of a
 * connection that is gone meets a phase that does not own it, and is dropped. What outlives a
 * phase (the ends, the open requests, the backoff) lives here, and outlives a restart too: a
 * failure nobody expected closes the connection and connects again after a backoff.
 */
final class LinkPhases {

  /** The link's own messages: from its connection, its timers and its ends. */
  sealed interface Event extends Command {}

  private record Resolved(long target, Throwable failure) implements Event {}

  private enum Reconnect implements Event {
    INSTANCE
  }

  private record OutboxTransmit(ResendSupervisor.Transmit transmit) implements Event {}

  private record InboxAck(InboundDedup.Ack ack) implements Event {}

  /** An event of one connection: only the phase that holds {@code session} acts on it. */
  private sealed interface SessionEvent extends Event {
    Session session();
  }

  private record TcpConnected(Session session) implements SessionEvent {}

  private record TcpFailed(Session session, String reason) implements SessionEvent {}

  private record FrameReceived(Session session, ByteString body) implements SessionEvent {}

  private record TcpClosed(Session session, Optional<Throwable> failure) implements SessionEvent {}

  private record HandshakeJudged(Session session, Handshake handshake, Throwable failure) implements SessionEvent {}

  /** The peer accepted TCP but never spoke its first frame. */
  private record HandshakeTimedOut(Session session) implements SessionEvent {}

  private record Flush(Session session) implements SessionEvent {}

  private record LeaveTimedOut(Session session) implements SessionEvent {}

  /** Items per wire message: a few hundred keep each frame far below the peers' 1 MiB limit. */
  private static final int MAX_ITEMS_PER_MESSAGE = 500;
  /** Frames a peer may send while its first one is judged, kept for once the link is up. */
  static final int MAX_FRAMES_WHILE_JUDGING = 10_000;
  private static final Duration LEAVE_PATIENCE = Duration.ofSeconds(2);
  private static final String HANDSHAKE_TIMER = "handshake";

  // What outlives a phase (and a restart): the ends, the open requests, the backoff.
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final StashBuffer<Command> framesWhileJudging;
  private final Settings settings;
  private final Protocol protocol;
  private final ActorRef<ResendSupervisor.Command> outbox;
  private final ActorRef<InboundDedup.Command> inbox;
  private final ActorRef<ResendSupervisor.Transmit> transmitAdapter;
  private final ActorRef<InboundDedup.Ack> ackAdapter;
  private final Backoff backoff;
  private final Optional<Cancellable> leaveOnShutdown;
  private final List<ActorRef<Opened>> waiters = new ArrayList<>();
  private boolean resolving;
  /** What a restart connects to again: the target of the latest connection, empty when closed. */
  private Optional<Long> wanted = Optional.empty();

  LinkPhases(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      StashBuffer<Command> framesWhileJudging,
      Settings settings,
      Protocol protocol,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox,
      Optional<Cancellable> leaveOnShutdown) {
    this.context = context;
    this.timers = timers;
    this.framesWhileJudging = framesWhileJudging;
    this.settings = settings;
    this.protocol = protocol;
    this.outbox = outbox;
    this.inbox = inbox;
    this.transmitAdapter = context.messageAdapter(ResendSupervisor.Transmit.class, OutboxTransmit::new);
    this.ackAdapter = context.messageAdapter(InboundDedup.Ack.class, InboxAck::new);
    this.backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
    this.leaveOnShutdown = leaveOnShutdown;
  }

  /**
   * One TCP connection to the peer. Its stream's events carry it, so a phase knows its own
   * connection's events from those of one already closed.
   */
  private final class Session {
    final TcpSession tcp;

    Session() {
      tcp =
          TcpSession.open(
              context.getSystem(),
              settings.host(),
              settings.port(),
              settings.maxFrameBytes(),
              settings.frameReadTimeout(),
              settings.connectTimeout(),
              context.getSelf(),
              new TcpSession.Events<>() {
                @Override
                public Command frame(ByteString body) {
                  return new FrameReceived(Session.this, body);
                }

                @Override
                public Command closed(Optional<Throwable> failure) {
                  return new TcpClosed(Session.this, failure);
                }
              });
    }

    <E extends SessionEvent> Predicate<E> owns() {
      return event -> event.session() == this;
    }
  }

  /**
   * A phase as the link state shows it, and what it owns: the target, the connection (if any),
   * whether the outbox sends through it ({@code up}), and the last problem (empty once connected).
   */
  private record Phase(String name, long target, String problem, Optional<Session> session, boolean up) {
    static Phase of(String name, long target, String problem, Session session) {
      return new Phase(name, target, problem, Optional.of(session), false);
    }

    Phase at(long newTarget) {
      return new Phase(name, newTarget, problem, session, up);
    }
  }

  /** The first phase, also after a restart: connecting again if the link was not closed. */
  Behavior<Command> start() {
    return wanted.map(target -> connecting(target, "restarted after a failure")).orElseGet(() -> closed(0, "not opened yet"));
  }

  // --- the phases

  /** Not connected, and not trying to: waits for an {@link Open}. */
  private Behavior<Command> closed(long target, String problem) {
    wanted = Optional.empty();
    return phase(new Phase("closed", target, problem, Optional.empty(), false), Behaviors.receive(Command.class));
  }

  private Behavior<Command> connecting(long target, String problem) {
    wanted = Optional.of(target);
    Session session = new Session();
    context.pipeToSelf(
        session.tcp.connected(),
        (ok, failure) -> ok != null ? new TcpConnected(session) : new TcpFailed(session, LinkConnection.reason(failure)));
    Phase phase = Phase.of("connecting", target, problem, session);
    return phase(
        phase,
        Behaviors.receive(Command.class)
            .onMessage(TcpConnected.class, session.owns(), connected -> handshaking(session, target, problem))
            // A peer that speaks first (Amazon) can be heard before "connected" arrives from the
            // other stream: its frame proves the connection is up, and must not be dropped.
            .onMessage(
                FrameReceived.class,
                session.owns(),
                frame -> {
                  greet(session, target);
                  return judge(phase, frame.body());
                })
            .onMessage(TcpFailed.class, session.owns(), failed -> lost(phase, unreachable(failed.reason()), "retrying"))
            .onMessage(TcpClosed.class, session.owns(), closed -> ended(phase, closed, false)));
  }

  /** TCP is up; the peer's first frame is awaited (for as long as TCP had to connect). */
  private Behavior<Command> handshaking(Session session, long target, String problem) {
    greet(session, target);
    Phase phase = Phase.of("handshaking", target, problem, session);
    return phase(
        phase,
        Behaviors.receive(Command.class)
            .onMessage(FrameReceived.class, session.owns(), frame -> judge(phase, frame.body()))
            .onMessage(
                HandshakeTimedOut.class,
                session.owns(),
                timedOut -> protocolError(phase, "no answer to the handshake within " + Backoff.describe(settings.connectTimeout())))
            .onMessage(TcpClosed.class, session.owns(), closed -> ended(phase, closed, true)));
  }

  private void greet(Session session, long target) {
    protocol.greeting(target).ifPresent(session.tcp::send);
    timers.startSingleTimer(HANDSHAKE_TIMER, new HandshakeTimedOut(session), settings.connectTimeout());
  }

  private Behavior<Command> judge(Phase handshaking, ByteString firstFrame) {
    timers.cancel(HANDSHAKE_TIMER);
    Session session = handshaking.session().orElseThrow();
    return reading(
        handshaking,
        () -> {
          context.pipeToSelf(
              protocol.handshake(handshaking.target(), firstFrame),
              (handshake, failure) -> new HandshakeJudged(session, handshake, failure));
          return judging(session, handshaking.target(), handshaking.problem(), Optional.empty());
        });
  }

  /**
   * The protocol judges the peer's first frame; later frames wait for the verdict. The peer may
   * close right after its answer (a refused join): {@code closedBy} keeps why, and the answer
   * decides what is logged.
   */
  private Behavior<Command> judging(Session session, long target, String problem, Optional<String> closedBy) {
    Phase phase = Phase.of("judging", target, problem, session);
    return phase(
        phase,
        Behaviors.receive(Command.class)
            .onMessage(HandshakeJudged.class, session.owns(), judged -> judged(phase, closedBy, judged))
            .onMessage(
                FrameReceived.class,
                session.owns(),
                frame -> {
                  if (framesWhileJudging.isFull()) {
                    return protocolError(phase, "more than " + MAX_FRAMES_WHILE_JUDGING + " messages before its handshake was judged");
                  }
                  framesWhileJudging.stash(frame);
                  return Behaviors.same();
                })
            .onMessage(
                TcpClosed.class,
                session.owns(),
                closed -> closedBy.isPresent() ? Behaviors.same() : judging(session, target, problem, Optional.of(why(closed)))));
  }

  private Behavior<Command> judged(Phase judging, Optional<String> closedBy, HandshakeJudged judged) {
    if (judged.failure() != null) return protocolError(judging, LinkConnection.rootMessage(judged.failure()));
    Handshake handshake = judged.handshake();
    if (closedBy.isPresent() && handshake.accepted()) return lost(judging, lostLine(closedBy.get()), "reconnecting");
    Session session = judging.session().orElseThrow();
    handshake.replies().forEach(session.tcp::send);
    if (handshake.accepted()) return framesWhileJudging.unstashAll(connected(session, handshake));
    answerWaiters(new Opened(handshake.target(), handshake.result(), false));
    String problem = "Handshake with " + protocol.peerName() + " at " + settings.address() + " failed: " + handshake.result();
    if (handshake.retry()) return lost(judging.at(handshake.target()), problem, "retrying");
    context.getLog().error("{}; not retrying", problem);
    close(judging);
    return closed(handshake.target(), problem);
  }

  /** The link is up: the outbox's items go out through it, the peer's items go to the inbox. */
  private Behavior<Command> connected(Session session, Handshake handshake) {
    long target = handshake.target();
    wanted = Optional.of(target);
    backoff.reset();
    context.getLog().info("Connected to {} at {} ({})", protocol.peerName(), settings.address(), protocol.describe(target));
    answerWaiters(new Opened(target, handshake.result(), true));
    outbox.tell(new ResendSupervisor.LinkUp(transmitAdapter));
    Phase phase = new Phase("connected", target, "", Optional.of(session), true);
    Unsent unsent = new Unsent();
    Behavior<Command> up =
        phase(
            phase,
            Behaviors.receive(Command.class)
                .onMessage(
                    FrameReceived.class,
                    session.owns(),
                    frame -> reading(phase, () -> deliver(phase, protocol.parse(target, frame.body()), Behaviors.same())))
                .onMessage(TcpClosed.class, session.owns(), closed -> ended(phase, closed, true))
                .onMessage(
                    OutboxTransmit.class,
                    transmit -> {
                      unsent.items.addAll(transmit.transmit().items());
                      return unsent.flushSoon(session);
                    })
                .onMessage(
                    InboxAck.class,
                    ack -> {
                      unsent.acks.add(ack.ack().seqnum());
                      return unsent.flushSoon(session);
                    })
                .onMessage(Flush.class, session.owns(), flush -> flush(phase, unsent))
                .onMessage(Leave.class, leave -> sayGoodbye(phase, leave)));
    return handshake.alsoReceived().map(inbound -> deliver(phase, inbound, up)).orElse(up);
  }

  /** Between connections: the next attempt is due after the backoff delay. */
  private Behavior<Command> backingOff(long target, String problem, String verb) {
    Duration delay = backoff.next();
    context.getLog().warn("{}; {} in {}", problem, verb, Backoff.describe(delay));
    timers.startSingleTimer(Reconnect.INSTANCE, delay);
    return phase(
        new Phase("backing off", target, problem, Optional.empty(), false),
        Behaviors.receive(Command.class).onMessage(Reconnect.class, reconnect -> connecting(target, problem)));
  }

  /**
   * Leaves politely: with a goodbye to send (the World's disconnect), it is sent and the write side
   * closed, and the connection is kept reading until the peer closes it (at most {@code
   * LEAVE_PATIENCE}): closing a socket with unread bytes resets it, and a reset peer may never
   * read the goodbye.
   */
  private Behavior<Command> sayGoodbye(Phase connected, Leave leave) {
    Optional<MessageLite> farewell = protocol.farewell();
    if (farewell.isEmpty()) return leaveNow(connected, List.of(leave.replyTo()));
    timers.cancelAll();
    answerWaiters(new Opened(connected.target(), "error: shutting down", false));
    Session session = connected.session().orElseThrow();
    outbox.tell(new ResendSupervisor.LinkDown(transmitAdapter));
    session.tcp.send(farewell.get());
    session.tcp.finishWriting();
    timers.startSingleTimer(new LeaveTimedOut(session), LEAVE_PATIENCE);
    return leaving(session, connected.target(), List.of(leave.replyTo()));
  }

  private Behavior<Command> leaving(Session session, long target, List<ActorRef<Done>> leavers) {
    Phase phase = Phase.of("leaving", target, "", session);
    return phase(
        phase,
        Behaviors.receive(Command.class)
            .onMessage(Leave.class, leave -> leaving(session, target, plus(leavers, leave.replyTo())))
            .onMessage(TcpClosed.class, session.owns(), closed -> leaveNow(phase, leavers))
            .onMessage(LeaveTimedOut.class, session.owns(), timedOut -> leaveNow(phase, leavers)));
  }

  /** Closed for good (shutdown): every request to open is refused. */
  private Behavior<Command> left(long target, String problem, List<ActorRef<Done>> leavers) {
    wanted = Optional.empty();
    timers.cancelAll();
    leavers.forEach(leaver -> leaver.tell(Done.getInstance()));
    return phase(
        new Phase("left", target, problem, Optional.empty(), false),
        Behaviors.receive(Command.class)
            .onMessage(
                Open.class,
                open -> {
                  open.replyTo().tell(new Opened(open.target(), "error: shutting down", false));
                  return Behaviors.same();
                })
            .onMessage(Resolved.class, resolved -> Behaviors.same())
            .onMessage(Leave.class, leave -> left(target, problem, List.of(leave.replyTo()))));
  }

  /**
   * What every phase does alike, after its own handlers: opening, the link state, leaving at once,
   * dropping events of connections it does not own, and closing its connection when the actor
   * stops or restarts.
   */
  private Behavior<Command> phase(Phase phase, BehaviorBuilder<Command> own) {
    return own.onMessage(Open.class, this::onOpen)
        .onMessage(Resolved.class, resolved -> onResolved(phase, resolved))
        .onMessage(
            GetLinkState.class,
            get -> {
              get.replyTo().tell(linkState(phase));
              return Behaviors.same();
            })
        .onMessage(Leave.class, leave -> leaveNow(phase, List.of(leave.replyTo())))
        .onMessage(SessionEvent.class, ofAnotherConnection -> Behaviors.same())
        .onMessage(OutboxTransmit.class, notUp -> Behaviors.same()) // the outbox re-sends everything on LinkUp
        .onMessage(InboxAck.class, notUp -> Behaviors.same()) // the peer re-sends, the inbox acks again
        .onMessage(Reconnect.class, notBackingOff -> Behaviors.same())
        .onSignal(
            PreRestart.class,
            restart -> {
              close(phase);
              return Behaviors.same();
            })
        .onSignal(
            PostStop.class,
            stop -> {
              leaveOnShutdown.ifPresent(Cancellable::cancel);
              close(phase);
              return Behaviors.same();
            })
        .build();
  }

  // --- opening

  private Behavior<Command> onOpen(Open open) {
    waiters.add(open.replyTo());
    if (resolving) return Behaviors.same(); // the answer in flight serves this request too
    // Resolving runs beside the current connection: its frames and handshake carry on meanwhile.
    resolving = true;
    context.pipeToSelf(protocol.resolve(open.target()), (resolved, failure) -> new Resolved(resolved == null ? 0 : resolved, failure));
    return Behaviors.same();
  }

  private Behavior<Command> onResolved(Phase phase, Resolved resolved) {
    resolving = false;
    if (resolved.failure() != null) {
      String error = LinkConnection.rootMessage(resolved.failure());
      context.getLog().error("Not connecting to {}: {}", protocol.peerName(), error);
      answerWaiters(new Opened(phase.target(), error, false));
      return Behaviors.same();
    }
    if (phase.session().isPresent() && resolved.target() == phase.target()) {
      // Already there, or on the way: the handshake in progress answers the waiters.
      if (phase.up()) answerWaiters(new Opened(phase.target(), "connected!", true));
      return Behaviors.same();
    }
    close(phase);
    timers.cancel(Reconnect.INSTANCE);
    return connecting(resolved.target(), phase.problem());
  }

  // --- receiving

  /** Reads a frame; one that does not parse, or breaks the contract, drops the connection. */
  private Behavior<Command> reading(Phase phase, FrameReader reader) {
    try {
      return reader.read();
    } catch (InvalidProtocolBufferException e) {
      return protocolError(phase, "a message that does not parse (" + e.getMessage() + ")");
    } catch (ProtocolError e) {
      return protocolError(phase, e.getMessage());
    }
  }

  private interface FrameReader {
    Behavior<Command> read() throws InvalidProtocolBufferException;
  }

  /** Acks to the outbox, items to the inbox; then {@code next}, unless the peer is leaving. */
  private Behavior<Command> deliver(Phase connected, Inbound inbound, Behavior<Command> next) {
    if (!inbound.acks().isEmpty()) outbox.tell(new ResendSupervisor.Acked(inbound.acks()));
    for (Received item : inbound.items()) {
      inbox.tell(new InboundDedup.Deliver(item.seqnum(), item.message(), ackAdapter));
    }
    if (inbound.peerLeaving()) return lost(connected, peerAtAddress() + " closed the link", "reconnecting");
    return next;
  }

  /** The connection ended: broken framing is a protocol error, anything else a lost connection. */
  private Behavior<Command> ended(Phase phase, TcpClosed closed, boolean wasReached) {
    if (closed.failure().orElse(null) instanceof ProtocolError framing) return protocolError(phase, framing.getMessage());
    if (!wasReached) return lost(phase, unreachable(why(closed)), "retrying");
    return lost(phase, lostLine(why(closed)), "reconnecting");
  }

  private String why(TcpClosed closed) {
    return closed.failure().map(LinkConnection::reason).orElse("closed by " + protocol.peerName());
  }

  private Behavior<Command> protocolError(Phase phase, String what) {
    return lost(
        phase,
        "Protocol error from " + protocol.peerName() + " at " + settings.address() + ": " + what + "; dropped the connection",
        "reconnecting");
  }

  /** One log line, then a reconnect after the next backoff delay. */
  private Behavior<Command> lost(Phase phase, String problem, String verb) {
    close(phase);
    return backingOff(phase.target(), problem, verb);
  }

  private void close(Phase phase) {
    if (phase.up()) outbox.tell(new ResendSupervisor.LinkDown(transmitAdapter));
    phase.session().ifPresent(session -> session.tcp.close());
    framesWhileJudging.clear(); // only a judging phase keeps frames, and they were its connection's
  }

  // --- sending

  /** Items and acks for the next wire message: whatever arrives before the flush travels in it. */
  private final class Unsent {
    final List<ResendSupervisor.Item> items = new ArrayList<>();
    final List<Long> acks = new ArrayList<>();
    boolean flushQueued;

    Behavior<Command> flushSoon(Session session) {
      if (!flushQueued) {
        flushQueued = true;
        context.getSelf().tell(new Flush(session));
      }
      return Behaviors.same();
    }
  }

  private Behavior<Command> flush(Phase connected, Unsent unsent) {
    unsent.flushQueued = false;
    if (unsent.items.isEmpty() && unsent.acks.isEmpty()) return Behaviors.same();
    List<ResendSupervisor.Item> items = List.copyOf(unsent.items);
    List<Long> acks = List.copyOf(unsent.acks);
    unsent.items.clear();
    unsent.acks.clear();
    TcpSession tcp = connected.session().orElseThrow().tcp;
    // In messages of a bounded size (the peer limits frames), in order, acks with the first.
    for (int from = 0; from == 0 || from < items.size(); from += MAX_ITEMS_PER_MESSAGE) {
      List<ResendSupervisor.Item> chunk = items.subList(from, Math.min(items.size(), from + MAX_ITEMS_PER_MESSAGE));
      if (!tcp.send(protocol.commands(chunk, from == 0 ? acks : List.of()))) {
        // A message that could not be written must not be overtaken by the next one (that would
        // break seqnum order): start over on a new connection, where everything goes out in order.
        return lost(connected, "Could not write to " + protocol.peerName() + " (connection congested)", "reconnecting");
      }
    }
    return Behaviors.same();
  }

  // --- state and shutdown

  private LinkState linkState(Phase phase) {
    String detail =
        phase.up()
            ? "connected to " + settings.address() + " (" + protocol.describe(phase.target()) + ")"
            : phase.name() + (phase.problem().isEmpty() ? "" : ": " + phase.problem());
    return new LinkState(phase.up(), phase.target(), detail);
  }

  /** Leaves without a goodbye: open requests are refused, the connection (if any) closed. */
  private Behavior<Command> leaveNow(Phase phase, List<ActorRef<Done>> leavers) {
    answerWaiters(new Opened(phase.target(), "error: shutting down", false));
    close(phase);
    return left(phase.target(), phase.problem(), leavers);
  }

  private void answerWaiters(Opened result) {
    waiters.forEach(waiter -> waiter.tell(result));
    waiters.clear();
  }

  private String peerAtAddress() {
    String peer = protocol.peerName();
    return (peer.isEmpty() ? peer : Character.toUpperCase(peer.charAt(0)) + peer.substring(1)) + " at " + settings.address();
  }

  private String unreachable(String why) {
    return peerAtAddress() + " is not reachable (" + why + ")";
  }

  private String lostLine(String why) {
    return "Lost the connection to " + protocol.peerName() + " at " + settings.address() + " (" + why + ")";
  }

  private static <T> List<T> plus(List<T> list, T element) {
    return Stream.concat(list.stream(), Stream.of(element)).toList();
  }

}
