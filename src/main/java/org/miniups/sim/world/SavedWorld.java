package org.miniups.sim.world;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.miniups.sim.SimFiles;

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
