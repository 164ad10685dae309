package org.miniups.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.miniups.sim.amazon.SimAmazonReport;
import org.miniups.sim.world.SimWorldReport;
import org.miniups.sim.world.SimWorldStats;

/**
 * What must hold at the end of every resilience scenario, read from the simulators' reports:
 * every accepted shipment delivered exactly once at its final destination, Amazon told each step
 * exactly once and in causal order, no seqnum reused for different content, nothing unacked.
 * Each breach is one sentence naming the shipment.
 */
public final class Invariants {
  private Invariants() {}

  /** @param packages how many pickups Amazon asked for */
  public static List<String> breaches(int packages, SimAmazonReport amazon, SimWorldReport.WorldEntry world) {
    List<String> out = new ArrayList<>();
    if (amazon.created() != packages) out.add("Amazon asked for " + amazon.created() + " of " + packages + " pickups");
    for (long shipId = 1; shipId <= packages; shipId++) {
      SimAmazonReport.Shipment shipment = amazon.shipments().get(shipId);
      if (shipment == null) {
        out.add("shipment " + shipId + " unknown to Amazon");
        continue;
      }
      once(out, shipId, "UAPickupAccepted", shipment.accepted());
      once(out, shipId, "UATruckArrived naming it", shipment.arrived());
      once(out, shipId, "UAOutForDelivery", shipment.outForDelivery());
      once(out, shipId, "UADelivered", shipment.delivered());
      int drops = world.deliveries().getOrDefault(shipId, 0);
      if (drops != 1) out.add("shipment " + shipId + " dropped off " + drops + " times by the World");
      SimWorldStats.Delivery drop = world.deliveredAt().get(shipId);
      SimAmazonReport.Point dropped = drop == null ? null : new SimAmazonReport.Point(drop.x(), drop.y());
      if (!Objects.equals(dropped, shipment.outForDeliveryDestination())
          || !Objects.equals(dropped, shipment.deliveredAt())) {
        out.add(
            "shipment " + shipId + " dropped at " + dropped + " but its final destination was "
                + shipment.outForDeliveryDestination() + " and Amazon heard " + shipment.deliveredAt());
      }
    }
    amazon.violations().forEach(v -> out.add("protocol: " + v));
    if (amazon.unackedToUps() != 0) out.add(amazon.unackedToUps() + " of Amazon's items to UPS unacked");
    if (amazon.unackedToWorld() != 0) out.add(amazon.unackedToWorld() + " of Amazon's items to the World unacked");
    if (world.upsUnacked() != 0) out.add(world.upsUnacked() + " of the World's items to UPS unacked");
    if (world.amazonUnacked() != 0) out.add(world.amazonUnacked() + " of the World's items to Amazon unacked");
    return out;
  }

  private static void once(List<String> out, long shipId, String notice, int heard) {
    if (heard != 1) out.add("shipment " + shipId + ": Amazon heard " + notice + " " + heard + " times");
  }

  /**
   * Lines of the UPS logs that an operator would read as a failure, minus those a scenario caused
   * on purpose (each pattern a regular expression a line must contain a match of).
   */
  public static List<String> unexpectedErrors(List<JarProcess> ups, List<String> expected) {
    List<String> out = new ArrayList<>();
    for (JarProcess process : ups) {
      for (String line : process.errorLines()) {
        if (expected.stream().noneMatch(p -> java.util.regex.Pattern.compile(p).matcher(line).find())) {
          out.add(process.name() + ": " + line);
        }
      }
    }
    return out;
  }

  /** Counts for the scenario's line in RESILIENCE.md. */
  public static Map<String, Long> figures(int packages, SimAmazonReport amazon, SimWorldReport.WorldEntry world) {
    long lost = 0;
    long duplicated = 0;
    for (long shipId = 1; shipId <= packages; shipId++) {
      int drops = world.deliveries().getOrDefault(shipId, 0);
      if (drops == 0) lost++;
      if (drops > 1) duplicated++;
    }
    return Map.of(
        "lost", lost,
        "duplicated", duplicated,
        "causalOrderViolations", (long) amazon.violations().size(),
        "resentToUps", amazon.resentToUps());
  }
}
