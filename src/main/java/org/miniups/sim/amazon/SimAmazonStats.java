package org.miniups.sim.amazon;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * A snapshot of the simulated Amazon, taken by its actor between two messages. UPS notices are
 * counted per shipid once per UPS seqnum: a re-sent notice does not count again, a new notice
 * about the same shipment does.
 *
 * @param target how many pickups this run emits in total
 * @param created pickups emitted so far (shipids 1..created)
 * @param tallies the notices per shipid and the errors; flat fields in JSON, and each has an
 *     accessor here ({@link #accepted()} …)
 * @param unackedToUps AU items UPS has not acked yet
 * @param unackedToWorld A items the world has not acked yet
 * @param upsConnected a UPS connection is open and has answered {@code connected!}
 * @param worldConnected the link to the world is up
 * @param violations each breach of PROTOCOL.md's UPS ⇄ Amazon rules that Amazon saw, one sentence
 *     per breach naming the rule, the shipments and the seqnums, in the order they happened
 * @param pickupSentNanos {@link System#nanoTime()} when each shipment's AUPickup was first
 *     written to a UPS connection (not when it was queued while UPS was away)
 * @param deliveredNanos {@link System#nanoTime()} when the first UADelivered of each shipid came
 * @param resentToUps AU items written to UPS again, because they were not acked in time or on a
 *     new connection; each item counts each time
 * @param slowestAckMillis the longest UPS took to ack an AU item, from its first write
 */
public record SimAmazonStats(
    long worldId,
    int target,
    int created,
    @JsonUnwrapped Tallies tallies,
    int unackedToUps,
    int unackedToWorld,
    boolean upsConnected,
    boolean worldConnected,
    List<String> violations,
    Map<Long, Long> pickupSentNanos,
    Map<Long, Long> deliveredNanos,
    long resentToUps,
    long slowestAckMillis) {

  public SimAmazonStats {
    Objects.requireNonNull(tallies);
    violations = List.copyOf(violations);
    pickupSentNanos = Map.copyOf(pickupSentNanos);
    deliveredNanos = Map.copyOf(deliveredNanos);
  }

  // Shortcuts to the tallies, which the reports and tests read a shipment at a time.

  public Map<Long, Integer> accepted() { return tallies.accepted(); }

  public Map<Long, Integer> arrived() { return tallies.arrived(); }

  public Map<Long, Integer> outForDelivery() { return tallies.outForDelivery(); }

  public Map<Long, Integer> delivered() { return tallies.delivered(); }

  public Map<Long, Integer> loaded() { return tallies.loaded(); }

  public Map<Long, int[]> deliveredAt() { return tallies.deliveredAt(); }

  public Map<Long, int[]> destinations() { return tallies.destinations(); }

  public Map<Long, int[]> outForDeliveryDest() { return tallies.outForDeliveryDest(); }

  public Map<Long, String> statuses() { return tallies.statuses(); }

  public List<String> errors() { return tallies.errors(); }

  /** Every pickup of the run was emitted and UPS reported each one delivered. */
  public boolean allDelivered() {
    if (created != target) return false;
    for (long shipId = 1; shipId <= created; shipId++) {
      if (delivered().getOrDefault(shipId, 0) < 1) return false;
    }
    return true;
  }

  /**
   * Shipments delivered per second, from the first AUPickup written to the last first UADelivered;
   * empty until something was delivered after a pickup was sent.
   */
  public OptionalDouble packagesPerSecond() {
    if (deliveredNanos.isEmpty() || pickupSentNanos.isEmpty()) return OptionalDouble.empty();
    long firstSent = pickupSentNanos.values().stream().mapToLong(Long::longValue).min().getAsLong();
    long lastDelivered = deliveredNanos.values().stream().mapToLong(Long::longValue).max().getAsLong();
    if (lastDelivered <= firstSent) return OptionalDouble.empty();
    return OptionalDouble.of(deliveredNanos.size() / ((lastDelivered - firstSent) / 1e9));
  }

  /**
   * Percentiles (nearest rank) of the time from a shipment's AUPickup written to its first
   * UADelivered, in whole milliseconds, over the shipments that have both: e.g. {@code
   * latencyMillisPercentiles(50, 99)} gives p50 and p99. Empty when none has both yet.
   *
   * @param percents each in [0, 100]
   */
  public long[] latencyMillisPercentiles(double... percents) {
    for (double p : percents) {
      if (!(p >= 0 && p <= 100)) throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
    }
    long[] latencies =
        deliveredNanos.entrySet().stream()
            .filter(e -> pickupSentNanos.containsKey(e.getKey()))
            .mapToLong(e -> (e.getValue() - pickupSentNanos.get(e.getKey())) / 1_000_000)
            .sorted()
            .toArray();
    if (latencies.length == 0) return new long[0];
    return Arrays.stream(percents)
        .mapToLong(p -> latencies[Math.max(0, (int) Math.ceil(p / 100 * latencies.length) - 1)])
        .toArray();
  }
}
