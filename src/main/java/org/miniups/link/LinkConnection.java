package org.miniups.link;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 *
 * <p>The phases of a link, one behavior each, are in {@link LinkPhases}. A failure nobody expected
 * (a bug) restarts the link, which reconnects.
 */
public final class LinkConnection {

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

  public sealed interface Command extends CborSerializable permits Open, GetLinkState, Leave, LinkPhases.Event {}

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

  public static Behavior<Command> create(
      Settings settings,
      Protocol protocol,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox) {
    return Behaviors.setup(
        context -> {
          context.setLoggerName(LinkConnection.class); // one logger name, whichever peer
          Optional<Cancellable> leaveOnShutdown = leaveWhenThisNodeStops(context);
          return Behaviors.withTimers(
              timers ->
                  Behaviors.withStash(
                      LinkPhases.MAX_FRAMES_WHILE_JUDGING,
                      stash -> {
                        LinkPhases link = new LinkPhases(context, timers, stash, settings, protocol, outbox, inbox, leaveOnShutdown);
                        // A failure closes the connection (PreRestart) and starts over: it connects again, after a backoff.
                        return Behaviors.supervise(Behaviors.<Command>setup(restarted -> link.start()))
                            .onFailure(SupervisorStrategy.restartWithBackoff(settings.minBackoff(), settings.maxBackoff(), 0.2));
                      }));
        });
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
