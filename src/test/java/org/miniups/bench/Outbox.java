package org.miniups.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * MinimalUps's reliability state towards one peer, in memory only: our items the peer has not
 * acked (kept in seqnum order, which is causal order), the peer's seqnums already handled, and
 * the acks owed. Owned by MinimalUps's loop thread, so it needs no lock.
 *
 * @param <B> builder of our message on this link (UCommands.Builder or UACommands.Builder)
 */
final class Outbox<B> {
  private static final class Pending<B> {
    final Consumer<B> addTo;
    long lastSentNanos = System.nanoTime(); // it goes out with the next message

    Pending(Consumer<B> addTo) {
      this.addTo = addTo;
    }
  }

  private final long resendNanos;
  private final Map<Long, Pending<B>> unacked = new LinkedHashMap<>();
  private final List<Pending<B>> due = new ArrayList<>();
  private final Set<Long> handled = new HashSet<>();
  private final List<Long> acksOwed = new ArrayList<>();
  private long lastSeqnum;
  private long resent;

  Outbox(Duration resendInterval) {
    this.resendNanos = resendInterval.toNanos();
  }

  /** Queues a new item under the next seqnum; {@code item} gets the seqnum and adds the item. */
  void send(LongFunction<Consumer<B>> item) {
    long seqnum = ++lastSeqnum;
    Pending<B> pending = new Pending<>(item.apply(seqnum));
    unacked.put(seqnum, pending);
    due.add(pending);
  }

  void acked(List<Long> seqnums) {
    seqnums.forEach(unacked::remove);
  }

  /** Acks a peer item; false when its seqnum was handled before (a re-send to ignore). */
  boolean receive(long peerSeqnum) {
    acksOwed.add(peerSeqnum);
    return handled.add(peerSeqnum);
  }

  /** Everything unacked for a resend interval goes out again, oldest (lowest seqnum) first. */
  void resendOverdue(long nowNanos) {
    List<Pending<B>> overdue = new ArrayList<>();
    for (Pending<B> item : unacked.values()) {
      if (nowNanos - item.lastSentNanos >= resendNanos) overdue.add(item);
    }
    resent += overdue.size();
    due.addAll(0, overdue);
  }

  /** Puts owed acks and due items into {@code message}; false when there was nothing to say. */
  boolean drainInto(B message, BiConsumer<B, Long> addAck, long nowNanos) {
    if (acksOwed.isEmpty() && due.isEmpty()) return false;
    acksOwed.forEach(seqnum -> addAck.accept(message, seqnum));
    acksOwed.clear();
    for (Pending<B> item : due) {
      item.addTo.accept(message);
      item.lastSentNanos = nowNanos;
    }
    due.clear();
    return true;
  }

  int unackedCount() {
    return unacked.size();
  }

  long resent() {
    return resent;
  }
}
