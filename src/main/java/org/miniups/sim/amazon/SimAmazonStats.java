package org.miniups.sim.amazon;

import java.util.List;
import java.util.Map;

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
    boolean worldConnected) {

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
  }

  /** Every pickup of the run was emitted and UPS reported each one delivered. */
  public boolean allDelivered() {
    if (created != target) return false;
    for (long shipId = 1; shipId <= created; shipId++) {
      if (delivered.getOrDefault(shipId, 0) < 1) return false;
    }
    return true;
  }

  // Arrays are mutable: the snapshot gets its own.
  private static Map<Long, int[]> copyPoints(Map<Long, int[]> points) {
    return Map.copyOf(
        points.entrySet().stream()
            .collect(
                java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().clone())));
  }
}
