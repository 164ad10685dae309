package org.miniups.sim.amazon;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.miniups.sim.ReliableLink;

/**
 * When each of Amazon's items on one link was first written to a connection, how often items were
 * written again, and the longest an item waited for its ack: the link's statistics and what the
 * referee calls "sent".
 */
final class LinkWrites implements ReliableLink.WriteListener {
  private final Map<Long, Long> firstWrittenNanos = new HashMap<>();
  private long rewrites;
  private long slowestAckNanos;

  @Override
  public void written(long seqnum, long nowNanos) {
    if (firstWrittenNanos.putIfAbsent(seqnum, nowNanos) != null) rewrites++;
  }

  @Override
  public void acked(long seqnum, long nowNanos) {
    Long written = firstWrittenNanos.get(seqnum);
    if (written != null) slowestAckNanos = Math.max(slowestAckNanos, nowNanos - written);
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

  /** The first write times as {@link SavedTime epoch nanos}, which keep their meaning in the next process. */
  Map<Long, Long> firstWrittenEpochNanos() {
    Map<Long, Long> written = new HashMap<>();
    firstWrittenNanos.forEach((seqnum, nanos) -> written.put(seqnum, SavedTime.toEpochNanos(nanos)));
    return written;
  }

  void restore(Map<Long, Long> firstWrittenEpochNanos, long savedRewrites, long savedSlowestAckNanos) {
    firstWrittenEpochNanos.forEach(
        (seqnum, epochNanos) -> firstWrittenNanos.put(seqnum, SavedTime.fromEpochNanos(epochNanos)));
    rewrites = savedRewrites;
    slowestAckNanos = savedSlowestAckNanos;
  }
}
