package org.miniups.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.miniups.TestCargo;
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;
import org.miniups.truck.Cargo;
import org.miniups.truck.Location;
import org.miniups.truck.Truck;
import org.miniups.truck.Warehouse;

class DispatchPolicyTest {
  private static final Warehouse WH = new Warehouse(7, 10, 0);
  private final DispatchPolicy policy = DispatchPolicy.cheapestInsertion(new RoutePlanner(Metric.MANHATTAN), 10);
  private final Cargo cargo = TestCargo.of(101, WH, new Location(5, 5));

  private static DispatchPolicy.Candidate idle(int truckId, int x) {
    return DispatchPolicy.Candidate.of(
        new Truck.Summary(truckId, Truck.Phase.IDLE, "idle", new Location(x, 0), 0, 0, 0, 0, 0, null, Instant.EPOCH, false, List.of(), 0));
  }

  /** A truck on its way to {@code warehouse} with shipments for {@code drops}. */
  private static DispatchPolicy.Candidate bound(int truckId, int x, Warehouse warehouse, Location... drops) {
    List<Location> route = new ArrayList<>(List.of(warehouse.location()));
    route.addAll(List.of(drops));
    return DispatchPolicy.Candidate.of(
        new Truck.Summary(
            truckId, Truck.Phase.TO_WAREHOUSE, "traveling", new Location(x, 0), warehouse.id(), drops.length, 0, 0, 0, null,
            Instant.EPOCH, false, route, 0));
  }

  private static DispatchPolicy.Candidate busy(int truckId, int x) {
    return DispatchPolicy.Candidate.of(
        new Truck.Summary(truckId, Truck.Phase.DELIVERING, "delivering", new Location(x, 0), 0, 0, 0, 1, 0, null, Instant.EPOCH, false,
            List.of(new Location(50, 50)), 0));
  }

  @Test
  void amongIdleTrucksTheNearestGoes() {
    assertEquals(Optional.of(2), policy.choose(cargo, List.of(idle(1, 0), idle(2, 8))));
  }

  @Test
  void aTruckAlreadyBoundForTheWarehouseTakesAShipmentWhoseDropIsOnItsWay() {
    // Truck 1 goes to (10, 0) and then to (0, 10): a drop at (5, 5) costs it nothing extra.
    // Idle truck 2 stands at the warehouse, but would drive 10 units for it.
    assertEquals(Optional.of(1), policy.choose(cargo, List.of(bound(1, -40, WH, new Location(0, 10)), idle(2, 10))));
  }

  @Test
  void aDropFarFromEveryTripGetsATruckOfItsOwn() {
    // Truck 1's trip goes from the warehouse to (90, 0): a drop at (5, 5) adds 20 units to it at
    // best. Idle truck 2 at the warehouse drives 10 for it.
    Cargo other = TestCargo.of(102, WH, new Location(5, 5));
    assertEquals(Optional.of(2), policy.choose(other, List.of(bound(1, -40, WH, new Location(90, 0)), idle(2, 10))));
  }

  @Test
  void aFullTripAndATruckBoundElsewhereTakeNothing() {
    Location[] ten = new Location[10];
    java.util.Arrays.fill(ten, new Location(5, 5));
    Warehouse elsewhere = new Warehouse(8, 50, 50);
    assertEquals(
        Optional.of(3),
        policy.choose(cargo, List.of(bound(1, 10, WH, ten), bound(2, 10, elsewhere, new Location(5, 5)), idle(3, 90))));
    assertEquals(Optional.empty(), policy.choose(cargo, List.of(bound(1, 10, WH, ten), busy(4, 10))));
  }

  @Test
  void whatThisRoundPlannedCountsAsPartOfTheTrip() {
    // Truck 1 was planned (this round) a shipment to (0, 10): the next one to (5, 5) rides along.
    DispatchPolicy.Candidate planned = idle(1, -40).planning(TestCargo.of(100, WH, new Location(0, 10)));
    assertEquals(Optional.of(1), policy.choose(cargo, List.of(planned, idle(2, 10))));
  }

  @Test
  void aShipmentDispatchedAgainGoesToTheTruckAmazonWasPromisedEvenIfAnotherIsNearer() {
    Cargo refused = cargo.refusedBy(1).refusedBy(2); // a second refusal keeps the first promise
    assertEquals(1, refused.promisedTruck());
    assertEquals(Optional.of(1), policy.choose(refused, List.of(idle(1, 0), idle(2, 8))));
  }

  @Test
  void itWaitsWhileThatTruckIsBusy() {
    assertEquals(Optional.empty(), policy.choose(cargo.refusedBy(1), List.of(busy(1, 0), idle(2, 8))));
  }
}
