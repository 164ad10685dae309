package org.miniups.sim.amazon;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * A snapshot of the simulated Amazon, taken by its actor between two messages. UPS notices are
 * counted per shipid once per UPS seqnum: a re-sent notice does not count again, a new notice
 * about the same shipment does.
 *
 * @param target how many pickups this run emits in total
 * @param created pickups emitted so far (shipids 1..created)
 * @param accepted UAPickupAccepted notices per shipid
 * @param arrived how often a UATruckArrived named each shipid
 * @param outForDelivery UAOutForDelivery notices per shipid
 * @param delivered UADelivered notices per shipid
 * @param loaded AULoaded sent to UPS per shipid (the world said ALoaded)
 * @param deliveredAt (x, y) of the last UADelivered per shipid
 * @param destinations the destination each pickup asked for
 * @param outForDeliveryDest (x, y) of the last UAOutForDelivery per shipid
 * @param statuses the last UAStatus text per shipid
 * @param errors UAErr texts from UPS ("UPS: …") and AErr texts from the world ("world: …")
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
    Map<Long, Integer> accepted,
    Map<Long, Integer> arrived,
    Map<Long, Integer> outForDelivery,
    Map<Long, Integer> delivered,
    Map<Long, Integer> loaded,
    Map<Long, int[]> deliveredAt,
    Map<Long, int[]> destinations,
    Map<Long, int[]> outForDeliveryDest,
    Map<Long, String> statuses,
    List<String> errors,
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
    accepted = Map.copyOf(accepted);
    arrived = Map.copyOf(arrived);
    outForDelivery = Map.copyOf(outForDelivery);
    delivered = Map.copyOf(delivered);
    loaded = Map.copyOf(loaded);
    deliveredAt = copyPoints(deliveredAt);
    destinations = copyPoints(destinations);
    outForDeliveryDest = copyPoints(outForDeliveryDest);
    statuses = Map.copyOf(statuses);
    errors = List.copyOf(errors);
    violations = List.copyOf(violations);
    pickupSentNanos = Map.copyOf(pickupSentNanos);
    deliveredNanos = Map.copyOf(deliveredNanos);
  }

  /** Every pickup of the run was emitted and UPS reported each one delivered. */
  public boolean allDelivered() {
    if (created != target) return false;
    for (long shipId = 1; shipId <= created; shipId++) {
      if (delivered.getOrDefault(shipId, 0) < 1) return false;
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

  // Arrays are mutable: the snapshot gets its own.
  private static Map<Long, int[]> copyPoints(Map<Long, int[]> points) {
    return Map.copyOf(
        points.entrySet().stream()
            .collect(
                Collectors.toMap(Map.Entry::getKey, e -> e.getValue().clone())));
  }
}
