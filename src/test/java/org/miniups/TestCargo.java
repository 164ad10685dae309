package org.miniups;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import org.miniups.truck.Truck;

/** Dispatch orders for tests: what the router would build from Amazon's pickup {@code shipId}. */
public final class TestCargo {
  private TestCargo() {}

  public static Cargo of(long shipId, Warehouse warehouse, Location destination) {
    return new Cargo(shipId, warehouse, destination, trackingNumber(shipId), false, 1000 + shipId, 0, 0);
  }

  public static String trackingNumber(long shipId) {
    return String.format("1ZTEST%012d", shipId);
  }
}
