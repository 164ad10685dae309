package org.miniups.dispatch;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.miniups.TestCargo;
import org.miniups.truck.Truck;

class DispatchPolicyTest {
  private static final Warehouse WH = new Warehouse(7, 10, 0);
  private final DispatchPolicy policy = DispatchPolicy.fillTripsThenNearest(10);
  private final Cargo cargo = TestCargo.of(101, WH, new Location(5, 5));

  private static DispatchPolicy.Candidate truck(int truckId, Truck.Phase phase, int x) {
    Truck.Summary summary =
        new Truck.Summary(truckId, phase, phase.name(), new Location(x, 0), 99, 0, 0, 0, 0, null, Instant.EPOCH);
    return new DispatchPolicy.Candidate(summary, 0, 0);
  }

  @Test
  void theNearestIdleTruckGoes() {
    assertEquals(Optional.of(2), policy.choose(cargo, List.of(truck(1, Truck.Phase.IDLE, 0), truck(2, Truck.Phase.IDLE, 8))));
  }

  @Test
  void aShipmentDispatchedAgainGoesToTheTruckAmazonWasPromisedEvenIfAnotherIsNearer() {
    Cargo refused = cargo.refusedBy(1).refusedBy(2); // a second refusal keeps the first promise
    assertEquals(1, refused.promisedTruck());
    assertEquals(Optional.of(1), policy.choose(refused, List.of(truck(1, Truck.Phase.IDLE, 0), truck(2, Truck.Phase.IDLE, 8))));
  }

  @Test
  void itWaitsWhileThatTruckIsBusy() {
    assertEquals(
        Optional.empty(),
        policy.choose(cargo.refusedBy(1), List.of(truck(1, Truck.Phase.DELIVERING, 0), truck(2, Truck.Phase.IDLE, 8))));
  }
}
