package org.miniups.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldStats;

/**
 * Whether a run was correct as the simulators saw it: every package dropped off once by the World
 * at its destination, Amazon told each step of each shipment exactly once, no error on either
 * side, and no rule broken that the simulated Amazon's referee checks. A run that fails this has
 * no figure.
 */
public final class DeliveryCheck {
  private static final int SHOWN = 5;

  private DeliveryCheck() {}

  /** What went wrong, the first few of each kind; empty when the run was correct. */
  public static List<String> problems(SimAmazonStats amazon, SimWorldStats world, int packages) {
    List<String> problems = new ArrayList<>();
    if (amazon.created() != packages) problems.add("Amazon emitted " + amazon.created() + " of " + packages + " pickups");
    amazon.errors().stream().limit(SHOWN).forEach(error -> problems.add("error: " + error));
    amazon.violations().stream().limit(SHOWN).forEach(violation -> problems.add("violation: " + violation));
    Map<Long, Integer> dropOffs = world.deliveries();
    List<String> shipments = new ArrayList<>();
    for (long shipId = 1; shipId <= amazon.created(); shipId++) {
      String wrong = wrongWith(amazon, dropOffs, shipId);
      if (wrong != null) shipments.add("shipment " + shipId + ": " + wrong);
    }
    shipments.stream().limit(SHOWN).forEach(problems::add);
    if (shipments.size() > SHOWN) problems.add("… and " + (shipments.size() - SHOWN) + " more shipments");
    return problems;
  }

  private static String wrongWith(SimAmazonStats amazon, Map<Long, Integer> dropOffs, long shipId) {
    if (dropOffs.getOrDefault(shipId, 0) != 1) return "dropped off " + dropOffs.getOrDefault(shipId, 0) + " times";
    for (var notice : List.of(
        Map.entry("UAPickupAccepted", amazon.accepted()),
        Map.entry("UATruckArrived", amazon.arrived()),
        Map.entry("UAOutForDelivery", amazon.outForDelivery()),
        Map.entry("UADelivered", amazon.delivered()))) {
      int count = notice.getValue().getOrDefault(shipId, 0);
      if (count != 1) return count + " × " + notice.getKey();
    }
    int[] destination = amazon.destinations().get(shipId);
    if (!Arrays.equals(destination, amazon.outForDeliveryDest().get(shipId))) return "sent out to another destination";
    if (!Arrays.equals(destination, amazon.deliveredAt().get(shipId))) return "delivered elsewhere";
    return null;
  }
}
