package org.miniups.sim.amazon;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Amazon's reliability state towards one peer (the world or UPS), which outlives the peer's TCP
 * connections: our items it has not acked, its seqnums we already handled, the acks and items
 * that go into our next messages, and when each of our items was first written. Owned by the
 * {@link SimAmazon} actor, so it needs no lock.
 *
 * @param <B> builder of our message on this link (ACommands.Builder or AUCommands.Builder)
 */
final class ReliableLink<B extends Message.Builder> {

  /**
   * What the link must not forget across a restart. Our unacked items are messages holding only
   * that item (protobuf bytes); times are {@link SavedTime epoch nanos}, so that they keep their
   * meaning in the next process.
   */
  record Saved(
      Set<Long> handled,
      Map<Long, byte[]> unacked,
      Map<Long, Long> firstWrittenEpochNanos,
      long rewrites,
      long slowestAckNanos) {}

  /**
   * One of our items waiting for its ack, as a message holding only that item: merged into a
   * message to send it, and saved as bytes.
   */
  private static final class Pending {
    final Message item;
    long lastSentNanos;

    Pending(Message item) {
      this.item = item;
    }
  }

  /** Keeps every message far below a peer's frame limit, however many items are due at once. */
  static final int MAX_ITEMS_PER_MESSAGE = 200;

  private final long resendNanos;
  private final Supplier<B> newMessage;
  private final BiConsumer<B, Long> addAck;
  private final Set<Long> handled = new HashSet<>();
  private final Map<Long, Pending> unacked = new LinkedHashMap<>();
  // In seqnum order, which is the order we decided them in, also when re-sent.
  private final Map<Long, Pending> due = new TreeMap<>();
  private final List<Long> acksDue = new ArrayList<>();
  private final Map<Long, Long> firstWrittenNanos = new HashMap<>();
  private long rewrites;
  private long slowestAckNanos;

  ReliableLink(Duration resendInterval, Supplier<B> newMessage, BiConsumer<B, Long> addAck) {
    this.resendNanos = resendInterval.toNanos();
    this.newMessage = newMessage;
    this.addAck = addAck;
  }

  /** Queues an item until the peer acks {@code seqnum}. */
  void send(long seqnum, Consumer<B> addTo) {
    B alone = newMessage.get();
    addTo.accept(alone);
    Pending item = new Pending(alone.build());
    unacked.put(seqnum, item);
    due.put(seqnum, item);
  }

  Saved saved() {
    Map<Long, byte[]> items = new LinkedHashMap<>();
    unacked.forEach((seqnum, item) -> items.put(seqnum, item.item.toByteArray()));
    Map<Long, Long> written = new HashMap<>();
    firstWrittenNanos.forEach((seqnum, nanos) -> written.put(seqnum, SavedTime.toEpochNanos(nanos)));
    return new Saved(new TreeSet<>(handled), items, written, rewrites, slowestAckNanos);
  }

  /** Back to a saved state; the unacked items go out with the next message that may carry items. */
  void restore(Saved saved) {
    handled.addAll(saved.handled());
    saved.unacked().forEach((seqnum, bytes) -> {
      Pending item = new Pending(parse(bytes));
      unacked.put(seqnum, item);
      due.put(seqnum, item);
    });
    saved.firstWrittenEpochNanos().forEach(
        (seqnum, epochNanos) -> firstWrittenNanos.put(seqnum, SavedTime.fromEpochNanos(epochNanos)));
    rewrites = saved.rewrites();
    slowestAckNanos = saved.slowestAckNanos();
  }

  private Message parse(byte[] bytes) {
    B message = newMessage.get();
    try {
      message.mergeFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a saved item does not parse", e);
    }
    return message.build();
  }

  void acked(List<Long> seqnums, long nowNanos) {
    for (long seqnum : seqnums) {
      if (unacked.remove(seqnum) == null) continue;
      due.remove(seqnum);
      Long written = firstWrittenNanos.get(seqnum);
      if (written != null) slowestAckNanos = Math.max(slowestAckNanos, nowNanos - written);
    }
  }

  /** Acks a peer item; false when its seqnum was handled before (a re-send to ignore). */
  boolean receive(long peerSeqnum) {
    acksDue.add(peerSeqnum);
    return handled.add(peerSeqnum);
  }

  /** A new connection: everything unacked goes out again with the next message. */
  void resendAll() {
    due.putAll(unacked);
  }

  void resendOverdue(long nowNanos) {
    unacked.forEach(
        (seqnum, item) -> {
          if (nowNanos - item.lastSentNanos >= resendNanos) due.put(seqnum, item);
        });
  }

  /**
   * Moves the pending acks, and the due items when {@code withItems}, into new messages: the
   * acks and up to {@link #MAX_ITEMS_PER_MESSAGE} items in the first, further items in more.
   * Returns no message when there was nothing to say.
   */
  List<B> drain(boolean withItems, long nowNanos) {
    List<B> messages = new ArrayList<>();
    if (!acksDue.isEmpty()) {
      B message = newMessage.get();
      acksDue.forEach(seqnum -> addAck.accept(message, seqnum));
      acksDue.clear();
      messages.add(message);
    }
    if (!withItems) return messages;
    int itemsInLast = 0;
    for (Map.Entry<Long, Pending> entry : due.entrySet()) {
      if (messages.isEmpty() || itemsInLast == MAX_ITEMS_PER_MESSAGE) {
        messages.add(newMessage.get());
        itemsInLast = 0;
      }
      messages.get(messages.size() - 1).mergeFrom(entry.getValue().item);
      itemsInLast++;
      written(entry.getKey(), entry.getValue(), nowNanos);
    }
    due.clear();
    return messages;
  }

  private void written(long seqnum, Pending item, long nowNanos) {
    item.lastSentNanos = nowNanos;
    if (firstWrittenNanos.putIfAbsent(seqnum, nowNanos) != null) rewrites++;
  }

  /** When the item with this seqnum was first written to a connection; empty if never. */
  OptionalLong firstWrittenNanos(long seqnum) {
    Long nanos = firstWrittenNanos.get(seqnum);
    return nanos == null ? OptionalLong.empty() : OptionalLong.of(nanos);
  }

  boolean wasWritten(long seqnum) {
    return firstWrittenNanos.containsKey(seqnum);
  }

  /** Writes of an item that had been written before (overdue, or again on a new connection). */
  long rewrites() {
    return rewrites;
  }

  /** The longest an item waited from its first write to its ack. */
  long slowestAckNanos() {
    return slowestAckNanos;
  }

  int unackedCount() {
    return unacked.size();
  }
}
