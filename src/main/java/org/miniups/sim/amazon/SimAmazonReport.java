package org.miniups.sim.amazon;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.miniups.sim.SimFiles;

/**
 * What the simulated Amazon writes to its {@code --report} file, for a harness in another process
 * to check (read it with {@link #read(Path)}). Rewritten at most every 250 ms while something
 * changed, and once more on a clean exit. Counts are per UPS seqnum, as in {@link
 * SimAmazonStats}: a re-sent notice does not count again.
 *
 * @param target pickups this run emits in total
 * @param created pickups emitted so far (shipids 1..created)
 * @param shipments each emitted shipment, by shipid
 * @param violations the {@link ProtocolReferee}'s breaches of PROTOCOL.md, in order
 * @param errors UAErr texts from UPS ("UPS: …") and AErr texts from the world ("world: …")
 * @param unackedToUps AU items UPS has not acked yet
 * @param unackedToWorld A items the world has not acked yet
 * @param resentToUps AU items written to UPS again (each time counts)
 * @param allDelivered every pickup of the run was emitted and reported delivered
 */
public record SimAmazonReport(
    long worldId,
    int target,
    int created,
    Map<Long, Shipment> shipments,
    List<String> violations,
    List<String> errors,
    int unackedToUps,
    int unackedToWorld,
    long resentToUps,
    boolean upsConnected,
    boolean worldConnected,
    boolean allDelivered) {

  public record Point(int x, int y) {}

  /**
   * @param accepted UAPickupAccepted notices
   * @param arrived UATruckArrived notices naming it
   * @param outForDelivery UAOutForDelivery notices
   * @param delivered UADelivered notices
   * @param destination where the AUPickup asked it to go
   * @param outForDeliveryDestination where the last UAOutForDelivery said it goes; null before
   * @param deliveredAt where the last UADelivered put it; null before
   * @param lastStatus the last UAStatus text; null when none came
   */
  public record Shipment(
      int accepted,
      int arrived,
      int outForDelivery,
      int delivered,
      Point destination,
      Point outForDeliveryDestination,
      Point deliveredAt,
      String lastStatus) {}

  public SimAmazonReport {
    shipments = Collections.unmodifiableMap(new TreeMap<>(shipments));
    violations = List.copyOf(violations);
    errors = List.copyOf(errors);
  }

  static SimAmazonReport of(SimAmazonStats stats) {
    Map<Long, Shipment> shipments = new TreeMap<>();
    for (long shipId = 1; shipId <= stats.created(); shipId++) {
      shipments.put(
          shipId,
          new Shipment(
              stats.accepted().getOrDefault(shipId, 0),
              stats.arrived().getOrDefault(shipId, 0),
              stats.outForDelivery().getOrDefault(shipId, 0),
              stats.delivered().getOrDefault(shipId, 0),
              point(stats.destinations().get(shipId)),
              point(stats.outForDeliveryDest().get(shipId)),
              point(stats.deliveredAt().get(shipId)),
              stats.statuses().get(shipId)));
    }
    return new SimAmazonReport(
        stats.worldId(),
        stats.target(),
        stats.created(),
        shipments,
        stats.violations(),
        stats.errors(),
        stats.unackedToUps(),
        stats.unackedToWorld(),
        stats.resentToUps(),
        stats.upsConnected(),
        stats.worldConnected(),
        stats.allDelivered());
  }

  private static Point point(int[] xy) {
    return xy == null ? null : new Point(xy[0], xy[1]);
  }

  public static SimAmazonReport read(Path file) {
    return SimFiles.read(file, SimAmazonReport.class);
  }

  void write(Path file) {
    SimFiles.writeAtomically(file, this);
  }
}
