package org.miniups.sim;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A simulator's reliability state towards one peer, which outlives the peer's TCP connections:
 * our items it has not acked, its seqnums we already handled, and the acks and items that go into
 * our next messages. Owned by one actor (the world's or Amazon's), so it needs no lock.
 *
 * @param <B> builder of our message on this link (e.g. UResponses.Builder, ACommands.Builder)
 */
public final class ReliableLink<B extends Message.Builder> {

  /** Hears when an item is written to a connection and when the peer acks it (for statistics). */
  public interface WriteListener {
    WriteListener NONE = new WriteListener() {
      @Override
      public void written(long seqnum, long nowNanos) {}

      @Override
      public void acked(long seqnum, long nowNanos) {}
    };

    void written(long seqnum, long nowNanos);

    void acked(long seqnum, long nowNanos);
  }

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

  private final long resendNanos;
  private final Supplier<B> newMessage;
  private final BiConsumer<B, Long> addAck;
  private final int maxItemsPerMessage;
  private final WriteListener listener;
  private final Set<Long> handled = new HashSet<>();
  private final Map<Long, Pending> unacked = new LinkedHashMap<>();
  // In seqnum order, which is the order we decided them in, also when re-sent.
  private final Map<Long, Pending> due = new TreeMap<>();
  private final List<Long> acksDue = new ArrayList<>();

  /**
   * @param maxItemsPerMessage how many items one message carries at most; more go in more messages
   */
  public ReliableLink(
      Duration resendInterval,
      Supplier<B> newMessage,
      BiConsumer<B, Long> addAck,
      int maxItemsPerMessage,
      WriteListener listener) {
    this.resendNanos = resendInterval.toNanos();
    this.newMessage = newMessage;
    this.addAck = addAck;
    this.maxItemsPerMessage = maxItemsPerMessage;
    this.listener = listener;
  }

  /** Queues an item until the peer acks {@code seqnum}. */
  public void send(long seqnum, Consumer<B> addTo) {
    B alone = newMessage.get();
    addTo.accept(alone);
    Pending item = new Pending(alone.build());
    unacked.put(seqnum, item);
    due.put(seqnum, item);
  }

  /** Acks a peer item; false when its seqnum was handled before (a re-send to ignore). */
  public boolean receive(long peerSeqnum) {
    acksDue.add(peerSeqnum);
    return handled.add(peerSeqnum);
  }

  public void acked(List<Long> seqnums, long nowNanos) {
    for (long seqnum : seqnums) {
      if (unacked.remove(seqnum) == null) continue;
      due.remove(seqnum);
      listener.acked(seqnum, nowNanos);
    }
  }

  /** A new connection: everything unacked goes out again with the next message. */
  public void resendAll() {
    due.putAll(unacked);
  }

  public void resendOverdue(long nowNanos) {
    unacked.forEach(
        (seqnum, item) -> {
          if (nowNanos - item.lastSentNanos >= resendNanos) due.put(seqnum, item);
        });
  }

  /** The connection is gone: its acks are lost with it, the unacked items wait for the next one. */
  public void forgetDue() {
    acksDue.clear();
    due.clear();
  }

  /**
   * Moves the pending acks, and the due items when {@code withItems}, into new messages: the acks
   * and up to {@code maxItemsPerMessage} items in the first, further items in more. Returns no
   * message when there was nothing to say.
   */
  public List<B> drain(boolean withItems, long nowNanos) {
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
      if (messages.isEmpty() || itemsInLast == maxItemsPerMessage) {
        messages.add(newMessage.get());
        itemsInLast = 0;
      }
      messages.get(messages.size() - 1).mergeFrom(entry.getValue().item);
      itemsInLast++;
      entry.getValue().lastSentNanos = nowNanos;
      listener.written(entry.getKey(), nowNanos);
    }
    due.clear();
    return messages;
  }

  public int unackedCount() {
    return unacked.size();
  }

  /** The peer's seqnums already handled, in order, for saving. */
  public Set<Long> handled() {
    return new TreeSet<>(handled);
  }

  /** Our unacked items, each as a message holding only that item (protobuf bytes), for saving. */
  public Map<Long, byte[]> unackedBytes() {
    Map<Long, byte[]> items = new LinkedHashMap<>();
    unacked.forEach((seqnum, item) -> items.put(seqnum, item.item.toByteArray()));
    return items;
  }

  /** Back to a saved state; the unacked items go out with the next message that may carry items. */
  public void restore(Collection<Long> savedHandled, Map<Long, byte[]> savedUnacked) {
    handled.addAll(savedHandled);
    savedUnacked.forEach((seqnum, bytes) -> {
      Pending item = new Pending(parse(bytes));
      unacked.put(seqnum, item);
      due.put(seqnum, item);
    });
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
}
