package org.miniups.sim.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalInt;

/**
 * A snapshot of one world, taken by its actor between two messages.
 *
 * @param processed requests acted on, by message type ({@code UGoPickup}, {@code UGoDeliver},
 *     {@code UQuery}, {@code APurchaseMore}, {@code APack}, {@code APutOnTruck}, {@code AQuery});
 *     neither dropped nor duplicate requests count. A request answered with an error counts.
 * @param duplicates requests whose seqnum was already handled (acked again, not processed)
 * @param dropped requests dropped by flakiness (neither acked nor processed)
 * @param upsUnacked world items sent to UPS and not yet acked
 * @param amazonUnacked world items sent to Amazon and not yet acked
 * @param deliveries how many times each package was dropped off (never more than 1)
 * @param deliveredAt where and by which truck each package was last dropped off
 */
public record SimWorldStats(
    long worldId,
    int simSpeed,
    boolean upsConnected,
    boolean amazonConnected,
    Map<String, Long> processed,
    long duplicates,
    long dropped,
    int upsUnacked,
    int amazonUnacked,
    Map<Long, Integer> deliveries,
    Map<Long, Delivery> deliveredAt,
    List<TruckState> trucks,
    List<PackageState> packages,
    List<WarehouseState> warehouses) {

  /** A snapshot of {@code state}, trucks where they are at {@code nowNanos}. */
  static SimWorldStats of(
      WorldState state, PeerLink<?> ups, PeerLink<?> amazon, long nowNanos) {
    List<TruckState> trucks = new ArrayList<>();
    for (Truck truck : state.trucks.values()) {
      Truck.Odometer odometer = truck.odometer(nowNanos);
      trucks.add(
          new TruckState(
              truck.id,
              truck.status.wire,
              truck.x(nowNanos),
              truck.y(nowNanos),
              List.copyOf(truck.aboard),
              truck.route.stream().map(Truck.Stop::packageId).toList(),
              odometer.units(),
              odometer.gridUnits()));
    }
    List<PackageState> packages = new ArrayList<>();
    for (WorldState.Parcel parcel : state.parcels.values()) {
      packages.add(
          new PackageState(
              parcel.id,
              parcel.status.wire,
              parcel.warehouseId,
              parcel.truckId == null ? OptionalInt.empty() : OptionalInt.of(parcel.truckId)));
    }
    List<WarehouseState> warehouses = new ArrayList<>();
    for (WorldState.Warehouse warehouse : state.warehouses.values()) {
      warehouses.add(
          new WarehouseState(warehouse.id, warehouse.x, warehouse.y, Map.copyOf(warehouse.stock)));
    }
    return new SimWorldStats(
        state.worldId,
        state.simSpeed,
        ups.isConnected(),
        amazon.isConnected(),
        state.processed,
        state.duplicates,
        state.dropped,
        ups.unackedCount(),
        amazon.unackedCount(),
        state.deliveries,
        state.deliveredAt,
        trucks,
        packages,
        warehouses);
  }

  /**
   * @param status the wire status ({@code idle}, {@code traveling}, {@code arrive warehouse},
   *     {@code loading}, {@code delivering})
   * @param x current position, interpolated while moving and rounded
   * @param aboard packages loaded and not yet delivered
   * @param route packages still to drop off, in visiting order (kept while the truck is away on a
   *     pickup)
   * @param unitsDriven how far it moved since the world began, along the straight lines it drives
   * @param gridUnitsDriven the same moves measured on the grid's streets (Manhattan)
   */
  public record TruckState(
      int id, String status, int x, int y, List<Long> aboard, List<Long> route, double unitsDriven, double gridUnitsDriven) {}

  /**
   * @param status {@code packing}, {@code packed}, {@code loading}, {@code loaded}, {@code
   *     delivering} or {@code delivered}
   * @param truckId the truck it is being loaded on, is on, or was delivered by
   */
  public record PackageState(long id, String status, int warehouseId, OptionalInt truckId) {}

  /** A drop-off: by truck {@code truckId} at (x, y). */
  public record Delivery(int truckId, int x, int y) {}

  /** @param stock units available for packing, by product id */
  public record WarehouseState(int id, int x, int y, Map<Long, Integer> stock) {}

  public SimWorldStats {
    processed = Map.copyOf(processed);
    deliveries = Map.copyOf(deliveries);
    deliveredAt = Map.copyOf(deliveredAt);
    trucks = List.copyOf(trucks);
    packages = List.copyOf(packages);
    warehouses = List.copyOf(warehouses);
  }

  /** Units the whole fleet drove: the World's ledger (see {@link TruckState#unitsDriven()}). */
  public double unitsDriven() {
    return trucks.stream().mapToDouble(TruckState::unitsDriven).sum();
  }

  /** The fleet's moves on the grid's streets (see {@link TruckState#gridUnitsDriven()}). */
  public double gridUnitsDriven() {
    return trucks.stream().mapToDouble(TruckState::gridUnitsDriven).sum();
  }

  /** Requests of that type acted on (0 if none). */
  public long processed(String messageType) {
    return processed.getOrDefault(messageType, 0L);
  }

  public TruckState truck(int id) {
    return trucks.stream()
        .filter(t -> t.id() == id)
        .findFirst()
        .orElseThrow(() -> new NoSuchElementException("no truck " + id + " in world " + worldId));
  }

  public PackageState pkg(long id) {
    return packages.stream()
        .filter(p -> p.id() == id)
        .findFirst()
        .orElseThrow(() -> new NoSuchElementException("no package " + id + " in world " + worldId));
  }

  public WarehouseState warehouse(int id) {
    return warehouses.stream()
        .filter(w -> w.id() == id)
        .findFirst()
        .orElseThrow(
            () -> new NoSuchElementException("no warehouse " + id + " in world " + worldId));
  }
}
