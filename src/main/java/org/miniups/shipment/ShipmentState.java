package org.miniups.shipment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.miniups.Persisted;
import org.miniups.shipment.Shipment.Claimed;
import org.miniups.shipment.Shipment.Created;
import org.miniups.shipment.Shipment.DestinationChanged;
import org.miniups.shipment.Shipment.Details;
import org.miniups.shipment.Shipment.HistoryEntry;
import org.miniups.shipment.Shipment.LeftWarehouse;
import org.miniups.shipment.Shipment.Status;
import org.miniups.shipment.Shipment.Step;
import org.miniups.shipment.Shipment.Summary;

/**
 * The shipment's write model, in parts: what Amazon's pickup created, who owns it, how far it
 * got, where it goes and its history; readers get it as a {@link Summary}. Snapshots (none are
 * taken, but the type is registered) keep the flat shape the state always had ({@link Stored}).
 *
 * @param order null until Amazon's pickup created the shipment
 * @param destination where it goes now (Amazon's destination unless its owner changed it)
 * @param revision how many events made this state (not persisted: recovery counts them again)
 */
public record ShipmentState(
    long shipId, Order order, Long ownerId, Progress progress, Place destination, List<HistoryEntry> history, long revision)
    implements Persisted {

  public ShipmentState {
    history = List.copyOf(history);
  }

  /** What Amazon's pickup created: fixed for good. {@code pickupSeqnum} is that pickup's seqnum. */
  public record Order(Details details, String trackingNumber, long pickupSeqnum) {}

  /** How far the shipment got; {@code attempt} is the dispatch the last step came from. */
  public record Progress(Status status, int truckId, int attempt, String exceptionReason) {}

  public record Place(int x, int y) {}

  static ShipmentState empty(long shipId) {
    return new ShipmentState(shipId, null, null, new Progress(null, 0, 0, null), new Place(0, 0), List.of(), 0);
  }

  boolean exists() {
    return order != null;
  }

  public Summary summary() {
    return new Summary(
        shipId, exists() ? order.details() : null, exists() ? order.trackingNumber() : null, exists() ? order.pickupSeqnum() : 0,
        ownerId, progress.status(), progress.truckId(), destination.x(), destination.y(), history, progress.exceptionReason(),
        revision);
  }

  /** Whether {@code step} moves the shipment on: a newer dispatch, or further on the same one. */
  boolean advancesWith(Step step) {
    Status status = progress.status();
    if (status == Status.DELIVERED || step.status() == Status.CREATED) return false;
    if (step.attempt() != progress.attempt()) return step.attempt() > progress.attempt();
    if (step.status() == Status.EXCEPTION) {
      return status != Status.EXCEPTION || !Objects.equals(progress.exceptionReason(), step.detail());
    }
    return step.status().ordinal() > status.ordinal();
  }

  /** Not gone yet, and the truck is of this dispatch or a later one: it may leave with it. */
  boolean canLeaveWith(int truck, int dispatch) {
    if (progress.status() == Status.OUT_FOR_DELIVERY || progress.status() == Status.DELIVERED) return false;
    int truckId = progress.truckId();
    return dispatch > progress.attempt() || (dispatch == progress.attempt() && (truckId == 0 || truckId == truck));
  }

  String destinationLockedReason() {
    return exists() ? summary().destinationLockedReason() : null;
  }

  ShipmentState create(Created e) {
    Details d = e.details();
    HistoryEntry created = new HistoryEntry(Status.CREATED.text, e.at(), d.warehouseX(), d.warehouseY(), 0, null);
    return new ShipmentState(
        shipId, new Order(d, e.trackingNumber(), e.amazonSeqnum()), e.ownerId(), new Progress(Status.CREATED, 0, 0, null),
        new Place(d.destX(), d.destY()), List.of(created), revision);
  }

  ShipmentState step(Step s) {
    HistoryEntry entry = new HistoryEntry(s.status().text, s.at(), s.x(), s.y(), s.truckId(), s.detail());
    String reason = s.status() == Status.EXCEPTION ? s.detail() : null;
    int truck = s.truckId() != 0 ? s.truckId() : progress.truckId();
    return withProgress(new Progress(s.status(), truck, s.attempt(), reason), entry);
  }

  ShipmentState leave(LeftWarehouse e) {
    HistoryEntry last = history.get(history.size() - 1);
    String to = "to (" + e.x() + ", " + e.y() + ")";
    HistoryEntry entry = new HistoryEntry(Status.OUT_FOR_DELIVERY.text, e.at(), last.x(), last.y(), e.truckId(), to);
    return withProgress(new Progress(Status.OUT_FOR_DELIVERY, e.truckId(), e.attempt(), null), entry)
        .withDestination(new Place(e.x(), e.y()));
  }

  /** The history entry records where the package is, not where it will go (the detail says that). */
  ShipmentState redirect(DestinationChanged e) {
    HistoryEntry last = history.get(history.size() - 1);
    String detail = "destination changed to (" + e.x() + ", " + e.y() + ")";
    return withDestination(new Place(e.x(), e.y()))
        .withHistory(append(history, new HistoryEntry(progress.status().text, e.at(), last.x(), last.y(), progress.truckId(), detail)));
  }

  ShipmentState claim(Claimed e) {
    return withOwner(e.userId());
  }

  private ShipmentState withProgress(Progress next, HistoryEntry entry) {
    return new ShipmentState(shipId, order, ownerId, next, destination, append(history, entry), revision);
  }

  private ShipmentState withOwner(long userId) {
    return new ShipmentState(shipId, order, userId, progress, destination, history, revision);
  }

  private ShipmentState withDestination(Place place) {
    return new ShipmentState(shipId, order, ownerId, progress, place, history, revision);
  }

  private ShipmentState withHistory(List<HistoryEntry> entries) {
    return new ShipmentState(shipId, order, ownerId, progress, destination, entries, revision);
  }

  /** One more event applied: readers tell a newer view from an older one by it. */
  ShipmentState revised() {
    return new ShipmentState(shipId, order, ownerId, progress, destination, history, revision + 1);
  }

  private static <T> List<T> append(List<T> list, T item) {
    List<T> out = new ArrayList<>(list);
    out.add(item);
    return out;
  }

  /** The stored shape, unchanged since the state was one flat record. */
  record Stored(
      long shipId,
      Details details,
      String trackingNumber,
      long pickupSeqnum,
      Long ownerId,
      Status status,
      int truckId,
      int attempt,
      int destX,
      int destY,
      List<HistoryEntry> history,
      String exceptionReason,
      long revision) {}

  @JsonValue
  Stored stored() {
    Summary view = summary();
    return new Stored(
        shipId, view.details(), view.trackingNumber(), view.pickupSeqnum(), ownerId, progress.status(), progress.truckId(),
        progress.attempt(), destination.x(), destination.y(), history, progress.exceptionReason(), revision);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static ShipmentState of(Stored s) {
    Order order = s.details() == null ? null : new Order(s.details(), s.trackingNumber(), s.pickupSeqnum());
    Progress progress = new Progress(s.status(), s.truckId(), s.attempt(), s.exceptionReason());
    return new ShipmentState(s.shipId(), order, s.ownerId(), progress, new Place(s.destX(), s.destY()), s.history(), s.revision());
  }
}
