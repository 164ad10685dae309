package org.miniups.sim.world;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.miniups.proto.WorldAmazon.APurchaseMore;

/**
 * What one world holds: trucks, warehouses, packages, purchases on the way, the speed of its time
 * and its counters. Shared by its rules ({@link TruckRules}, {@link WarehouseRules}), saved as a
 * {@link SavedWorld} and shown as {@link SimWorldStats}; owned by the {@link World} actor.
 */
final class WorldState {

  enum ParcelStatus {
    PACKING("packing"),
    PACKED("packed"),
    LOADING("loading"),
    LOADED("loaded"),
    DELIVERING("delivering"),
    DELIVERED("delivered");

    final String wire;

    ParcelStatus(String wire) {
      this.wire = wire;
    }
  }

  /** A package (Amazon's shipment); named so to stay clear of java.lang.Package. */
  static final class Parcel {
    final long id;
    final int warehouseId;
    ParcelStatus status = ParcelStatus.PACKING;
    Integer truckId;

    Parcel(long id, int warehouseId) {
      this.id = id;
      this.warehouseId = warehouseId;
    }
  }

  static final class Warehouse {
    final int id;
    final int x;
    final int y;
    final Map<Long, Integer> stock = new HashMap<>();

    Warehouse(int id, int x, int y) {
      this.id = id;
      this.x = x;
      this.y = y;
    }
  }

  final long worldId;
  final Map<Integer, Truck> trucks = new TreeMap<>();
  final Map<Integer, Warehouse> warehouses = new TreeMap<>();
  final Map<Long, Parcel> parcels = new LinkedHashMap<>();
  /** Requests acted on, by message type. */
  final Map<String, Long> processed = new TreeMap<>();
  final Map<Long, Integer> deliveries = new HashMap<>();
  final Map<Long, SimWorldStats.Delivery> deliveredAt = new HashMap<>();
  /** Accepted purchases whose goods have not arrived yet (each has its timer). */
  final List<APurchaseMore> purchasesOnTheWay = new ArrayList<>();
  int simSpeed;
  long lastWorldSeqnum;
  long duplicates;
  long dropped;

  WorldState(long worldId, int simSpeed) {
    this.worldId = worldId;
    this.simSpeed = simSpeed;
  }

  /** A base duration at simspeed 100, scaled to the current speed. */
  Duration scaled(long baseMillis) {
    return Duration.ofNanos(baseMillis * 1_000_000L * 100 / simSpeed);
  }

  long nextWorldSeqnum() {
    return ++lastWorldSeqnum;
  }
}
