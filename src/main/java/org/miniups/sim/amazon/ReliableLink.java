package org.miniups.sim.amazon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Amazon's reliability state towards one peer (the world or UPS), which outlives the peer's TCP
 * connections: our items it has not acked, its seqnums we already handled, and the acks and items
 * that go into our next message. Owned by the {@link SimAmazon} actor, so it needs no lock.
 *
 * @param <B> builder of our message on this link (ACommands.Builder or AUCommands.Builder)
 */
final class ReliableLink<B> {

  /** One of our items waiting for its ack; {@code addTo} puts it into a message. */
  private static final class Pending<B> {
    final Consumer<B> addTo;
    long lastSentNanos;

    Pending(Consumer<B> addTo) {
      this.addTo = addTo;
    }
  }

  private final long resendNanos;
  private final BiConsumer<B, Long> addAck;
  private final Set<Long> handled = new HashSet<>();
  private final Map<Long, Pending<B>> unacked = new LinkedHashMap<>();
  private final Map<Long, Pending<B>> due = new LinkedHashMap<>();
  private final List<Long> acksDue = new ArrayList<>();

  ReliableLink(Duration resendInterval, BiConsumer<B, Long> addAck) {
    this.resendNanos = resendInterval.toNanos();
    this.addAck = addAck;
  }

  /** Queues an item until the peer acks {@code seqnum}. */
  void send(long seqnum, Consumer<B> addTo) {
    Pending<B> item = new Pending<>(addTo);
    unacked.put(seqnum, item);
    due.put(seqnum, item);
  }

  void acked(List<Long> seqnums) {
    for (long seqnum : seqnums) {
      unacked.remove(seqnum);
      due.remove(seqnum);
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
   * Moves the pending acks, and the due items when {@code withItems}, into {@code message}.
   * Returns false when there was nothing to say.
   */
  boolean drainInto(B message, boolean withItems, long nowNanos) {
    boolean any = !acksDue.isEmpty() || (withItems && !due.isEmpty());
    acksDue.forEach(seqnum -> addAck.accept(message, seqnum));
    acksDue.clear();
    if (withItems) {
      due.values().forEach(item -> {
        item.addTo.accept(message);
        item.lastSentNanos = nowNanos;
      });
      due.clear();
    }
    return any;
  }

  int unackedCount() {
    return unacked.size();
  }
}
