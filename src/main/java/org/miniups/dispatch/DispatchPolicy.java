package org.miniups.dispatch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.miniups.route.RoutePlanner;
import org.miniups.truck.Cargo;
import org.miniups.truck.Location;
import org.miniups.truck.Truck;

/** Chooses which truck collects a shipment. Pluggable: the dispatcher only asks this. */
@FunctionalInterface
public interface DispatchPolicy {

  /**
   * A truck as one planning round sees it: its latest summary, and what this round already
   * planned for it (shipments at {@code plannedWarehouse}, going to {@code plannedDrops}).
   */
  record Candidate(Truck.Summary truck, int plannedWarehouse, List<Location> plannedDrops) {
    public Candidate {
      plannedDrops = List.copyOf(plannedDrops);
    }

    static Candidate of(Truck.Summary truck) {
      return new Candidate(truck, 0, List.of());
    }

    /** The same truck with {@code cargo} planned for it too. */
    Candidate planning(Cargo cargo) {
      List<Location> drops = new ArrayList<>(plannedDrops);
      drops.add(cargo.destination());
      return new Candidate(truck, cargo.warehouse().id(), drops);
    }

    public int truckId() {
      return truck.truckId();
    }

    public int planned() {
      return plannedDrops.size();
    }

    public boolean canCollectAt(int warehouse) {
      return planned() > 0 ? plannedWarehouse == warehouse : truck.canCollectAt(warehouse);
    }

    /** Already going to (or planned for) that warehouse: more shipments there make one trip. */
    public boolean isBoundFor(int warehouse) {
      return (planned() > 0 && plannedWarehouse == warehouse)
          || (truck.phase() != Truck.Phase.IDLE && truck.warehouseId() == warehouse);
    }

    public int load() {
      return truck.cargo() + planned();
    }

    /** The drops this truck will make after {@code warehouse}: its own trip's and this round's. */
    List<Location> dropsAfter(int warehouse) {
      List<Location> drops = new ArrayList<>(truck.phase() != Truck.Phase.IDLE && truck.warehouseId() == warehouse
          ? truck.dropsAfterWarehouse()
          : List.of());
      drops.addAll(plannedDrops);
      return drops;
    }
  }

  /** A truck among {@code fleet} to collect {@code cargo}, or empty to wait for one to free up. */
  Optional<Integer> choose(Cargo cargo, Collection<Candidate> fleet);

  /**
   * Cheapest insertion: the truck whose plan the shipment lengthens least, in units driven. For a
   * truck already bound for the warehouse that is the detour its drop adds to the trip (put where
   * it adds least); for an idle one, the drive to the warehouse and from there to the drop. So a
   * trip fills up while it is cheap to, and a drop far from every trip gets a truck of its own.
   * Trips take at most {@code maxShipmentsPerTrip}. A shipment dispatched again (the World refused
   * its pickup) waits for the truck Amazon was promised: PROTOCOL.md's UAPickupAccepted names the
   * truck that collects it, once and for good.
   */
  static DispatchPolicy cheapestInsertion(RoutePlanner planner, int maxShipmentsPerTrip) {
    return (cargo, candidates) -> {
      int warehouse = cargo.warehouse().id();
      Location at = cargo.warehouse().location();
      Comparator<Candidate> cheapest =
          Comparator.<Candidate>comparingDouble(c -> c.isBoundFor(warehouse)
                  ? planner.cheapestInsertion(at, c.dropsAfter(warehouse), cargo.destination()).addedCost()
                  : planner.metric().between(c.truck().position(), at) + planner.metric().between(at, cargo.destination()))
              .thenComparingInt(Candidate::truckId);
      return candidates.stream()
          .filter(c -> cargo.promisedTruck() == 0 || c.truckId() == cargo.promisedTruck())
          .filter(c -> c.canCollectAt(warehouse) && c.load() < maxShipmentsPerTrip)
          .min(cheapest)
          .map(Candidate::truckId);
    };
  }
}
