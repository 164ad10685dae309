package org.miniups.sim.amazon;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.miniups.sim.ReliableLink;
import org.miniups.proto.UpsAmazon.AUItem;
import org.miniups.sim.SimFiles;

/**
 * Everything the simulated Amazon must not forget across a SIGKILL, as {@link SimAmazon} writes
 * it to its state file before any effect of it reaches a peer. Times are {@link SavedTime epoch
 * nanos}.
 *
 * @param worldId the world a restarted Amazon rejoins (never a new one)
 * @param emissionStarted whether UPS had connected and pickups were being emitted
 * @param tallies what UPS and the world said of each shipment, flat fields in the file
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
    @JsonUnwrapped Tallies tallies,
    Map<Long, Long> deliveredEpochNanos,
    SavedLink world,
    SavedLink ups,
    ProtocolReferee.Saved referee) {

  /**
   * What a link must not forget: the peer's seqnums already handled, our unacked items (each a
   * message holding only that item, protobuf bytes) and the link's {@link LinkWrites}.
   */
  record SavedLink(
      Set<Long> handled,
      Map<Long, byte[]> unacked,
      Map<Long, Long> firstWrittenEpochNanos,
      long rewrites,
      long slowestAckNanos) {

    static SavedLink of(ReliableLink<?> link, LinkWrites writes) {
      return new SavedLink(link.handled(), link.unackedBytes(), writes.firstWrittenEpochNanos(),
          writes.rewrites(), writes.slowestAckNanos());
    }

    void restore(ReliableLink<?> link, LinkWrites writes) {
      link.restore(handled, unacked);
      writes.restore(firstWrittenEpochNanos, rewrites, slowestAckNanos);
    }
  }

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

  /** Amazon's shipments and stock as saved, beside what the actor itself keeps. */
  static SavedAmazon of(
      Fulfilment fulfilment,
      long worldId,
      long lastUpsConnectionNumber,
      boolean emissionStarted,
      SavedLink world,
      SavedLink ups,
      ProtocolReferee.Saved referee) {
    Set<Long> waiting = new HashSet<>();
    fulfilment.waitingForStock.forEach(shipment -> waiting.add(shipment.id));
    List<SavedShipment> shipments = new ArrayList<>();
    for (Shipment s : fulfilment.emittedShipments()) {
      List<SavedLine> items =
          s.items.stream()
              .map(i -> new SavedLine(i.getProductid(), i.getDescription(), i.getCount()))
              .toList();
      shipments.add(
          new SavedShipment(s.id, s.warehouse.id, items, s.pickupSeqnum, s.packed,
              s.queried, s.truckId, s.loadingOnto, s.loaded, waiting.contains(s.id)));
    }
    return new SavedAmazon(
        worldId,
        fulfilment.lastSeqnum,
        lastUpsConnectionNumber,
        emissionStarted,
        fulfilment.created,
        fulfilment.shipmentsDelivered,
        fulfilment.warehouses.stream().map(Warehouse::saved).toList(),
        shipments,
        fulfilment.tallies(),
        fulfilment.perShipment(
            s -> s.deliveredNanos == null ? null : SavedTime.toEpochNanos(s.deliveredNanos)),
        world,
        ups,
        referee);
  }

  /** Puts the saved shipments, stock and counters back into a new {@link Fulfilment}. */
  void restore(Fulfilment fulfilment) {
    fulfilment.lastSeqnum = lastSeqnum;
    fulfilment.created = created;
    fulfilment.shipmentsDelivered = shipmentsDelivered;
    warehouses.forEach(w -> fulfilment.warehouses.add(Warehouse.restore(w)));
    for (SavedShipment s : shipments) {
      List<AUItem> items =
          s.items().stream()
              .map(i -> AUItem.newBuilder().setProductid(i.productId()).setDescription(i.description())
                  .setCount(i.count()).build())
              .toList();
      Shipment shipment = fulfilment.heardOf(s.id());
      shipment.emit(fulfilment.warehouse(s.warehouseId()), items, s.pickupSeqnum());
      shipment.packed = s.packed();
      shipment.queried = s.queried();
      shipment.truckId = s.truckId();
      shipment.loadingOnto = s.loadingOnto();
      shipment.loaded = s.loaded();
      if (s.waitingForStock()) fulfilment.waitingForStock.add(shipment);
    }
    tallies.restore(fulfilment);
    deliveredEpochNanos.forEach(
        (id, nanos) -> fulfilment.heardOf(id).deliveredNanos = SavedTime.fromEpochNanos(nanos));
  }

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
