package org.miniups.sim.world;

import com.google.protobuf.Message;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.miniups.link.VarintFraming;
import org.miniups.sim.ReliableLink;

/**
 * One world's link to one peer (UPS or Amazon): the {@link ReliableLink} that outlives the peer's
 * TCP connections, the connection it currently answers on, and whether the peer asked to finish.
 * Owned by the {@link World} actor.
 *
 * @param <R> builder of the response message of this side (UResponses or AResponses)
 */
final class PeerLink<R extends Message.Builder> {

  /**
   * What a link must not forget across a restart: the peer's seqnums already handled, and our
   * unacked items, each as a response holding only that item (protobuf bytes).
   */
  record Saved(Set<Long> handledSeqnums, Map<Long, byte[]> unacked) {}

  private final Side side;
  private final Supplier<R> newResponse;
  private final Consumer<R> markFinished;
  private final ReliableLink<R> reliable;
  private ActorRef<PeerConnection.Command> connection;
  private boolean finishing;

  PeerLink(
      Side side,
      Duration resendInterval,
      Supplier<R> newResponse,
      BiConsumer<R, Long> addAck,
      Consumer<R> markFinished) {
    this.side = side;
    this.newResponse = newResponse;
    this.markFinished = markFinished;
    // One response carries everything due, as the course's world does.
    this.reliable = new ReliableLink<>(resendInterval, newResponse, addAck,
        Integer.MAX_VALUE, ReliableLink.WriteListener.NONE);
  }

  Side side() {
    return side;
  }

  boolean isConnected() {
    return connection != null;
  }

  boolean isCurrent(ActorRef<PeerConnection.Command> candidate) {
    return connection != null && connection.equals(candidate);
  }

  int unackedCount() {
    return reliable.unackedCount();
  }

  /** A peer (re)joined: everything it has not acked goes out again in the next response. */
  void connect(ActorRef<PeerConnection.Command> newConnection) {
    connection = newConnection;
    finishing = false;
    reliable.resendAll();
  }

  /** The connection is gone; unacked items wait for the next one, acks are lost with it. */
  void disconnect() {
    connection = null;
    reliable.forgetDue();
  }

  /** Acks a request; returns false when its seqnum was handled before (a re-send). */
  boolean acceptRequest(long seqnum) {
    return reliable.receive(seqnum);
  }

  void acked(List<Long> worldSeqnums, long nowNanos) {
    reliable.acked(worldSeqnums, nowNanos);
  }

  /** Queues a world item until the peer acks {@code worldSeqnum}. */
  void send(long worldSeqnum, Consumer<R> addTo) {
    reliable.send(worldSeqnum, addTo);
  }

  Saved saved() {
    return new Saved(reliable.handled(), reliable.unackedBytes());
  }

  /** Back to a saved state, disconnected; the unacked items go out when the peer joins. */
  void restore(Saved saved) {
    reliable.restore(saved.handledSeqnums(), saved.unacked());
  }

  /** The peer asked to disconnect: the next response says finished and closes the connection. */
  void finish() {
    finishing = true;
  }

  void resendOverdue(long nowNanos) {
    reliable.resendOverdue(nowNanos);
  }

  /**
   * Sends one response with the acks and items gathered since the last flush, if there is
   * anything to say and a connection to say it on. Returns the response, for logging.
   */
  Message flush(long nowNanos) {
    if (connection == null) {
      // Nobody to tell: the peer re-sends its requests, and connect() re-queues every item.
      reliable.forgetDue();
      return null;
    }
    List<R> drained = reliable.drain(true, nowNanos);
    if (drained.isEmpty() && !finishing) return null;
    R response = drained.isEmpty() ? newResponse.get() : drained.get(0);
    if (finishing) markFinished.accept(response);
    Message message = response.build();
    connection.tell(new PeerConnection.Send(VarintFraming.encode(message), finishing));
    if (finishing) connection = null;
    finishing = false;
    return message;
  }
}
