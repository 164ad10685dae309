package org.miniups.sim.world;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.miniups.link.VarintFraming;

/**
 * The reliability state of one world's link to one peer (UPS or Amazon), which outlives the
 * peer's TCP connections: the seqnums it already sent us, the world items it has not acked yet,
 * and what goes into the next response. Owned by the {@link World} actor.
 *
 * @param <R> builder of the response message of this side (UResponses or AResponses)
 */
final class PeerLink<R extends Message.Builder> {

  /** How this side's response message is assembled. */
  interface ResponseFormat<R> {
    R newResponse();

    void addAck(R response, long seqnum);

    void markFinished(R response);
  }

  /**
   * What a link must not forget across a restart: the peer's seqnums already handled, and our
   * unacked items, each as a response holding only that item (protobuf bytes).
   */
  record Saved(Set<Long> handledSeqnums, Map<Long, byte[]> unacked) {}

  /**
   * A world item waiting for its ack, as a response holding only that item: merged into a
   * response to send it, and saved as bytes.
   */
  private static final class Pending {
    final Message item;
    long lastSentNanos;

    Pending(Message item) {
      this.item = item;
    }
  }

  private final Side side;
  private final ResponseFormat<R> format;
  private final long resendNanos;
  private final Set<Long> handledSeqnums = new HashSet<>();
  private final Map<Long, Pending> unacked = new LinkedHashMap<>();
  private final Map<Long, Pending> itemsToSend = new LinkedHashMap<>();
  private final List<Long> acksToSend = new ArrayList<>();
  private ActorRef<PeerConnection.Command> connection;
  private boolean finishing;

  PeerLink(Side side, ResponseFormat<R> format, Duration resendInterval) {
    this.side = side;
    this.format = format;
    this.resendNanos = resendInterval.toNanos();
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
    return unacked.size();
  }

  /** A peer (re)joined: everything it has not acked goes out again in the next response. */
  void connect(ActorRef<PeerConnection.Command> newConnection) {
    connection = newConnection;
    finishing = false;
    itemsToSend.putAll(unacked);
  }

  /** The connection is gone; unacked items wait for the next one, acks are lost with it. */
  void disconnect() {
    connection = null;
    acksToSend.clear();
    itemsToSend.clear();
  }

  /** Acks a request; returns false when its seqnum was handled before (a re-send). */
  boolean acceptRequest(long seqnum) {
    acksToSend.add(seqnum);
    return handledSeqnums.add(seqnum);
  }

  void acked(List<Long> worldSeqnums) {
    worldSeqnums.forEach(unacked::remove);
  }

  /** Queues a world item until the peer acks {@code worldSeqnum}. */
  void send(long worldSeqnum, Consumer<R> addTo) {
    R alone = format.newResponse();
    addTo.accept(alone);
    Pending item = new Pending(alone.build());
    unacked.put(worldSeqnum, item);
    itemsToSend.put(worldSeqnum, item);
  }

  Saved saved() {
    Map<Long, byte[]> items = new LinkedHashMap<>();
    unacked.forEach((seqnum, item) -> items.put(seqnum, item.item.toByteArray()));
    return new Saved(new TreeSet<>(handledSeqnums), items);
  }

  /** Back to a saved state, disconnected; the unacked items go out when the peer joins. */
  void restore(Saved saved) {
    handledSeqnums.addAll(saved.handledSeqnums());
    saved.unacked().forEach((seqnum, bytes) -> unacked.put(seqnum, new Pending(parse(bytes))));
  }

  private Message parse(byte[] bytes) {
    R response = format.newResponse();
    try {
      response.mergeFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a saved " + side + " item does not parse", e);
    }
    return response.build();
  }

  /** The peer asked to disconnect: the next response says finished and closes the connection. */
  void finish() {
    finishing = true;
  }

  void resendOverdue(long nowNanos) {
    unacked.forEach(
        (seqnum, item) -> {
          if (nowNanos - item.lastSentNanos >= resendNanos) itemsToSend.put(seqnum, item);
        });
  }

  /**
   * Sends one response with the acks and items gathered since the last flush, if there is
   * anything to say and a connection to say it on. Returns the response, for logging.
   */
  Message flush(long nowNanos) {
    if (connection == null) {
      // Nobody to tell: the peer re-sends its requests, and connect() re-queues every item.
      acksToSend.clear();
      itemsToSend.clear();
      return null;
    }
    if (acksToSend.isEmpty() && itemsToSend.isEmpty() && !finishing) return null;
    R response = format.newResponse();
    acksToSend.forEach(seqnum -> format.addAck(response, seqnum));
    itemsToSend.values().forEach(item -> {
      response.mergeFrom(item.item);
      item.lastSentNanos = nowNanos;
    });
    if (finishing) format.markFinished(response);
    Message message = response.build();
    connection.tell(new PeerConnection.Send(VarintFraming.encode(message), finishing));
    acksToSend.clear();
    itemsToSend.clear();
    if (finishing) connection = null;
    finishing = false;
    return message;
  }
}
