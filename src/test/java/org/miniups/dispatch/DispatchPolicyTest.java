package org.miniups.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.miniups.TestCargo;
import org.miniups.truck.Truck;

class DispatchPolicyTest {
  private static final Truck.Warehouse WH = new Truck.Warehouse(7, 10, 0);
  private final DispatchPolicy policy = DispatchPolicy.fillTripsThenNearest(10);

  private static DispatchPolicy.Candidate idle(int truckId, int x) {
    Truck.Summary summary =
        new Truck.Summary(truckId, Truck.Phase.IDLE, "idle", new Truck.Location(x, 0), 0, 0, 0, 0, 0, null, Instant.EPOCH);
    return new DispatchPolicy.Candidate(summary, 0, 0);
  }

  private final List<DispatchPolicy.Candidate> fleet = List.of(idle(1, 0), idle(2, 8));
  private final Truck.Cargo cargo = TestCargo.of(101, WH, new Truck.Location(5, 5));

  @Test
  void theNearestIdleTruckGoes() {
    assertEquals(Optional.of(2), policy.choose(cargo, fleet));
  }

  @Test
  void aTruckTheWorldRefusedIsNotAskedAgainWhileAnotherCanGo() {
    assertEquals(Optional.of(1), policy.choose(cargo.refusedBy(2), fleet));
  }

  @Test
  void onceEveryTruckWasRefusedTheyAreAllTriedAgain() {
    assertEquals(Optional.of(2), policy.choose(cargo.refusedBy(2).refusedBy(1), fleet));
  }
}
