package org.miniups.sim.amazon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.miniups.sim.SimFiles;

/**
 * Everything the simulated Amazon must not forget across a SIGKILL, as {@link SimAmazon} writes
 * it to its state file before any effect of it reaches a peer. Times are {@link SavedTime epoch
 * nanos}.
 *
 * @param worldId the world a restarted Amazon rejoins (never a new one)
 * @param emissionStarted whether UPS had connected and pickups were being emitted
 */
record SavedAmazon(
    long worldId,
    long lastSeqnum,
    long lastUpsConnectionNumber,
    boolean emissionStarted,
    int created,
    int shipmentsDelivered,
    List<Warehouse.Saved> warehouses,
    List<SavedShipment> shipments,
    Map<Long, Integer> accepted,
    Map<Long, Integer> arrived,
    Map<Long, Integer> outForDelivery,
    Map<Long, Integer> delivered,
    Map<Long, Integer> loaded,
    Map<Long, int[]> deliveredAt,
    Map<Long, int[]> destinations,
    Map<Long, int[]> outForDeliveryDest,
    Map<Long, String> statuses,
    List<String> errors,
    Map<Long, Long> deliveredEpochNanos,
    ReliableLink.Saved world,
    ReliableLink.Saved ups,
    ProtocolReferee.Saved referee) {

  /** One line of a shipment: so many of a product. */
  record SavedLine(long productId, String description, int count) {}

  /** @param waitingForStock not packed yet: its warehouse lacked the goods */
  record SavedShipment(
      long id,
      int warehouseId,
      List<SavedLine> items,
      long pickupSeqnum,
      boolean packed,
      boolean queried,
      Integer truckId,
      Integer loadingOnto,
      boolean loaded,
      boolean waitingForStock) {}

  private static final String FILE_NAME = "amazon.json";

  /** What a previous run saved in {@code stateDir}, if anything; the dir is created when missing. */
  static Optional<SavedAmazon> load(Path stateDir) {
    try {
      Files.createDirectories(stateDir);
    } catch (IOException e) {
      throw new UncheckedIOException("could not create the state dir " + stateDir, e);
    }
    Path file = stateDir.resolve(FILE_NAME);
    return Files.exists(file) ? Optional.of(SimFiles.read(file, SavedAmazon.class)) : Optional.empty();
  }

  void write(Path stateDir) {
    SimFiles.writeAtomically(stateDir.resolve(FILE_NAME), this);
  }
}
