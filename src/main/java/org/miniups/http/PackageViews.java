package org.miniups.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;

/** The package as the API shows it, built from the shipment and (while aboard) its truck. */
public final class PackageViews {
  private PackageViews() {}

  public record Point(int x, int y) {}

  public record WarehouseView(int id, int x, int y) {}

  public record HistoryView(String status, Instant at, int x, int y, String detail) {}

  public record ItemView(long productId, String description, int count) {}

  /**
   * {@code position} is the package's (the truck's while aboard); {@code truckPosition} is the
   * assigned truck's until delivery, so a page can show it coming. {@code items}, {@code owned}
   * and {@code ownerId} (the UPS profile id) only for the owner.
   */
  public record PackageView(
      String trackingNumber,
      long shipId,
      String status,
      WarehouseView warehouse,
      Point destination,
      Integer truckId,
      Point position,
      Point truckPosition,
      boolean canChangeDestination,
      String destinationLockedReason,
      List<HistoryView> history,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<ItemView> items,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean owned,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long ownerId) {}

  /**
   * The view of {@code state} for {@code viewer} (null: anonymous), with its truck's position as
   * this node last heard it; only a truck not heard of yet is asked.
   */
  public static CompletionStage<PackageView> of(Backend backend, Shipment.Summary state, Long viewer) {
    if (!hasTruckToFollow(state) || !backend.truckIds().contains(state.truckId())) {
      return CompletableFuture.completedFuture(view(state, null, viewer));
    }
    Optional<Point> known = backend.truckPositions().of(state.truckId());
    if (known.isPresent()) return CompletableFuture.completedFuture(view(state, known.get(), viewer));
    return AskPattern.<Truck.Command, Truck.Summary>ask(
            backend.trucks().apply(state.truckId()), Truck.GetSummary::new, backend.askTimeout(), backend.system().scheduler())
        .thenApply(truck -> {
          Point position = new Point(truck.position().x(), truck.position().y());
          backend.truckPositions().update(truck.truckId(), position);
          return view(state, position, viewer);
        })
        .exceptionally(slowTruck -> view(state, null, viewer)); // the truck's position is a nicety
  }

  /** A truck is assigned and the package not yet delivered. */
  static boolean hasTruckToFollow(Shipment.Summary state) {
    return state.truckId() != 0 && state.status() != Shipment.Status.DELIVERED;
  }

  /** {@code truckPosition}: the assigned truck's last known position, or null. */
  public static PackageView view(Shipment.Summary state, Point truckPosition, Long viewer) {
    Shipment.Details d = state.details();
    int[] resting = state.restingPosition();
    Point position = truckPosition != null && state.status().onTruck() ? truckPosition : new Point(resting[0], resting[1]);
    boolean owned = viewer != null && state.ownerId() != null && state.ownerId().longValue() == viewer;
    String locked = state.destinationLockedReason();
    return new PackageView(
        state.trackingNumber(),
        state.shipId(),
        state.status().text,
        new WarehouseView(d.warehouseId(), d.warehouseX(), d.warehouseY()),
        new Point(state.destX(), state.destY()),
        state.truckId() == 0 ? null : state.truckId(),
        position,
        hasTruckToFollow(state) ? truckPosition : null,
        locked == null,
        locked,
        state.history().stream().map(h -> new HistoryView(h.status(), h.at(), h.x(), h.y(), h.detail())).toList(),
        owned ? d.items().stream().map(i -> new ItemView(i.productId(), i.description(), i.count())).toList() : null,
        owned ? Boolean.TRUE : null,
        owned ? state.ownerId() : null);
  }
}
