package org.miniups.sim.amazon;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What UPS and the world said of each shipid, as {@link Fulfilment#tallies()} counts it: the part
 * of Amazon's state that both its snapshot ({@link SimAmazonStats}) and its saved state ({@link
 * SavedAmazon}) carry. UPS notices are counted per shipid once per UPS seqnum: a re-sent notice
 * does not count again, a new notice about the same shipment does. Shipids with a zero count or
 * no value are left out. Both records unwrap it, so in their JSON these are flat fields.
 *
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
 */
public record Tallies(
    Map<Long, Integer> accepted,
    Map<Long, Integer> arrived,
    Map<Long, Integer> outForDelivery,
    Map<Long, Integer> delivered,
    Map<Long, Integer> loaded,
    Map<Long, int[]> deliveredAt,
    Map<Long, int[]> destinations,
    Map<Long, int[]> outForDeliveryDest,
    Map<Long, String> statuses,
    List<String> errors) {

  public Tallies {
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

  /** Nothing heard of any shipment yet. */
  public static Tallies none() {
    return new Tallies(
        Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(),
        List.of());
  }

  /** Puts the tallies back into the shipments (heard of if new) and errors of {@code fulfilment}. */
  void restore(Fulfilment fulfilment) {
    accepted.forEach((id, n) -> fulfilment.heardOf(id).accepted = n);
    arrived.forEach((id, n) -> fulfilment.heardOf(id).arrived = n);
    outForDelivery.forEach((id, n) -> fulfilment.heardOf(id).outForDelivery = n);
    delivered.forEach((id, n) -> fulfilment.heardOf(id).delivered = n);
    loaded.forEach((id, n) -> fulfilment.heardOf(id).timesLoaded = n);
    deliveredAt.forEach((id, point) -> fulfilment.heardOf(id).deliveredAt = point.clone());
    destinations.forEach((id, point) -> fulfilment.heardOf(id).destination = point.clone());
    outForDeliveryDest.forEach((id, point) -> fulfilment.heardOf(id).outForDeliveryDest = point.clone());
    statuses.forEach((id, status) -> fulfilment.heardOf(id).status = status);
    fulfilment.errors.addAll(errors);
  }

  // Arrays are mutable: the tallies get their own.
  private static Map<Long, int[]> copyPoints(Map<Long, int[]> points) {
    return Map.copyOf(
        points.entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().clone())));
  }
}
