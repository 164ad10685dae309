package org.miniups.dispatch;

import org.miniups.truck.Cargo;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import org.miniups.truck.Truck;

/** Chooses which truck collects a shipment. Pluggable: the dispatcher only asks this. */
@FunctionalInterface
public interface DispatchPolicy {

  /**
   * A truck as one planning round sees it: its latest summary, and what this round already
   * planned for it ({@code planned} shipments at {@code plannedWarehouse}).
   */
  record Candidate(Truck.Summary truck, int plannedWarehouse, int planned) {
    public int truckId() {
      return truck.truckId();
    }

    public boolean canCollectAt(int warehouse) {
      return planned > 0 ? plannedWarehouse == warehouse : truck.canCollectAt(warehouse);
    }

    /** Already going to (or planned for) that warehouse: more shipments there make one trip. */
    public boolean isBoundFor(int warehouse) {
      return (planned > 0 && plannedWarehouse == warehouse)
          || (truck.phase() != Truck.Phase.IDLE && truck.warehouseId() == warehouse);
    }

    public int load() {
      return truck.cargo() + planned;
    }
  }

  /** A truck among {@code fleet} to collect {@code cargo}, or empty to wait for one to free up. */
  Optional<Integer> choose(Cargo cargo, Collection<Candidate> fleet);

  /**
   * Trips fill up before another truck is sent: a truck already bound for the warehouse with room
   * takes the shipment; otherwise the nearest idle truck goes. Distance is a fair proxy for time:
   * every truck moves at the same speed. A shipment dispatched again (the World refused its pickup)
   * waits for the truck Amazon was promised: PROTOCOL.md's UAPickupAccepted names the truck that
   * collects it, once and for good.
   */
  static DispatchPolicy fillTripsThenNearest(int maxShipmentsPerTrip) {
    return (cargo, candidates) -> {
      int warehouse = cargo.warehouse().id();
      Collection<Candidate> fleet =
          cargo.promisedTruck() == 0
              ? candidates
              : candidates.stream().filter(c -> c.truckId() == cargo.promisedTruck()).toList();
      Comparator<Candidate> nearest =
          Comparator.<Candidate>comparingDouble(c -> c.truck().position().distanceTo(cargo.warehouse().location()))
              .thenComparingInt(Candidate::truckId);
      Optional<Candidate> joining =
          fleet.stream()
              .filter(c -> c.canCollectAt(warehouse) && c.isBoundFor(warehouse) && c.load() < maxShipmentsPerTrip)
              .min(nearest);
      if (joining.isPresent()) return joining.map(Candidate::truckId);
      return fleet.stream()
          .filter(c -> c.canCollectAt(warehouse) && c.load() < maxShipmentsPerTrip)
          .min(nearest)
          .map(Candidate::truckId);
    };
  }
}
