package org.miniups.sim.world;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.sim.SimFiles;
import org.miniups.sim.world.WorldState.Parcel;
import org.miniups.sim.world.WorldState.ParcelStatus;
import org.miniups.sim.world.WorldState.Warehouse;

/**
 * Everything a {@link World} must not forget across a SIGKILL, as it writes it to its state file
 * before any effect of it reaches a peer. Timers are not saved: a restored world starts them anew
 * from the statuses (a leg from the truck's saved position, packing, loading, purchases).
 *
 * @param purchasesOnTheWay accepted APurchaseMore requests (protobuf bytes) not yet arrived
 */
record SavedWorld(
    long worldId,
    int simSpeed,
    long lastWorldSeqnum,
    long duplicates,
    long dropped,
    Map<String, Long> processed,
    Map<Long, Integer> deliveries,
    Map<Long, SimWorldStats.Delivery> deliveredAt,
    List<Truck.Saved> trucks,
    List<SavedWarehouse> warehouses,
    List<SavedParcel> parcels,
    List<byte[]> purchasesOnTheWay,
    PeerLink.Saved ups,
    PeerLink.Saved amazon) {

  record SavedWarehouse(int id, int x, int y, Map<Long, Integer> stock) {}

  record SavedParcel(long id, int warehouseId, String status, Integer truckId) {}

  /** A world's state and links as saved; trucks at their positions at {@code nowNanos}. */
  static SavedWorld of(WorldState state, PeerLink<?> ups, PeerLink<?> amazon, long nowNanos) {
    List<SavedWarehouse> warehouses = new ArrayList<>();
    for (Warehouse w : state.warehouses.values()) {
      warehouses.add(new SavedWarehouse(w.id, w.x, w.y, w.stock));
    }
    List<SavedParcel> parcels = new ArrayList<>();
    for (Parcel p : state.parcels.values()) {
      parcels.add(new SavedParcel(p.id, p.warehouseId, p.status.name(), p.truckId));
    }
    return new SavedWorld(
        state.worldId,
        state.simSpeed,
        state.lastWorldSeqnum,
        state.duplicates,
        state.dropped,
        state.processed,
        state.deliveries,
        state.deliveredAt,
        state.trucks.values().stream().map(truck -> truck.saved(nowNanos)).toList(),
        warehouses,
        parcels,
        state.purchasesOnTheWay.stream().map(APurchaseMore::toByteArray).toList(),
        ups.saved(),
        amazon.saved());
  }

  /** The saved world's state; its timers are not saved, the rules start them anew. */
  WorldState state() {
    WorldState state = new WorldState(worldId, simSpeed);
    state.lastWorldSeqnum = lastWorldSeqnum;
    state.duplicates = duplicates;
    state.dropped = dropped;
    state.processed.putAll(processed);
    state.deliveries.putAll(deliveries);
    state.deliveredAt.putAll(deliveredAt);
    for (SavedWarehouse w : warehouses) {
      Warehouse warehouse = new Warehouse(w.id(), w.x(), w.y());
      warehouse.stock.putAll(w.stock());
      state.warehouses.put(warehouse.id, warehouse);
    }
    for (SavedParcel p : parcels) {
      Parcel parcel = new Parcel(p.id(), p.warehouseId());
      parcel.status = ParcelStatus.valueOf(p.status());
      parcel.truckId = p.truckId();
      state.parcels.put(parcel.id, parcel);
    }
    for (byte[] bytes : purchasesOnTheWay) {
      try {
        state.purchasesOnTheWay.add(APurchaseMore.parseFrom(bytes));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a saved purchase of world " + worldId + " does not parse", e);
      }
    }
    for (Truck.Saved t : trucks) {
      Truck truck = Truck.restore(t);
      state.trucks.put(truck.id, truck);
    }
    return state;
  }

  private static final String PREFIX = "world-";
  private static final String SUFFIX = ".json";

  /** One file per world: each world actor writes only its own. */
  private static Path file(Path stateDir, long worldId) {
    return stateDir.resolve(PREFIX + worldId + SUFFIX);
  }

  /** The worlds saved in {@code stateDir}, which is created when missing. */
  static List<SavedWorld> loadAll(Path stateDir) {
    try {
      Files.createDirectories(stateDir);
      try (Stream<Path> files = Files.list(stateDir)) {
        return files
            .filter(SavedWorld::isWorldFile)
            .sorted()
            .map(file -> SimFiles.read(file, SavedWorld.class))
            .toList();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the state dir " + stateDir, e);
    }
  }

  void write(Path stateDir) {
    SimFiles.writeAtomically(file(stateDir, worldId), this);
  }

  // A temp file left by a kill mid-write ends in .tmp and is not a world.
  private static boolean isWorldFile(Path file) {
    String name = file.getFileName().toString();
    return name.startsWith(PREFIX) && name.endsWith(SUFFIX);
  }
}
