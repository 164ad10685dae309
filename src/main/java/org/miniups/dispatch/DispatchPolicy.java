package org.miniups.dispatch;

import java.util.Collection;
import java.util.Optional;
import org.miniups.truck.Truck;

/** Chooses which truck collects a shipment. Pluggable: the dispatcher only asks this. */
@FunctionalInterface
public interface DispatchPolicy {

  /** A truck among {@code fleet} to collect {@code cargo}, or empty to wait for one to free up. */
  Optional<Integer> choose(Truck.Cargo cargo, Collection<Truck.State> fleet);

  /**
   * The truck that reaches the warehouse soonest among idle trucks and trucks already bound for
   * that warehouse that have not left (batching), with room for one more shipment. Distance is a
   * fair proxy for time: every truck moves at the same speed.
   */
  static DispatchPolicy nearestTruck(int maxShipmentsPerTrip) {
    return (cargo, fleet) ->
        fleet.stream()
            .filter(truck -> truck.canCollectAt(cargo.warehouse()))
            .filter(truck -> truck.cargo().size() < maxShipmentsPerTrip)
            .min(
                java.util.Comparator.<Truck.State>comparingDouble(
                        truck -> truck.position().distanceTo(cargo.warehouse().location()))
                    .thenComparingInt(Truck.State::truckId))
            .map(Truck.State::truckId);
  }
}
