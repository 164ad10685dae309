package org.miniups.sim.world;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** One truck of a world. Owned and mutated only by its {@link World} actor. */
final class Truck {

  enum Status {
    IDLE("idle"),
    TRAVELING("traveling"),
    ARRIVE_WAREHOUSE("arrive warehouse"),
    LOADING("loading"),
    DELIVERING("delivering");

    final String wire;

    Status(String wire) {
      this.wire = wire;
    }
  }

  /** A drop-off still ahead on the route. */
  record Stop(long packageId, int x, int y) {}

  /** A straight move started at {@code startNanos} (System.nanoTime) lasting {@code nanos}. */
  private record Leg(double fromX, double fromY, double toX, double toY, long startNanos, long nanos) {}

  final int id;
  Status status = Status.IDLE;
  /** Warehouse it is heading to (traveling) or standing at (arrive warehouse, loading), else null. */
  Integer warehouseId;
  /** Packages loaded and not yet dropped off. */
  final Set<Long> aboard = new LinkedHashSet<>();
  /** Remaining deliveries in visiting order; kept while the truck is away on a pickup. */
  final List<Stop> route = new ArrayList<>();
  /** Packages Amazon asked to load, loaded one at a time; the head is being loaded. */
  final Deque<Long> loadQueue = new ArrayDeque<>();

  private double x;
  private double y;
  private Leg leg;
  private Odometer odometer = new Odometer(0, 0);

  /**
   * The World's ledger of one truck: how far it moved, along the straight lines it drives
   * ({@code units}) and on the grid's streets ({@code gridUnits}, Manhattan). Legs cut short (a
   * pickup sent while delivering) count as far as the truck got.
   */
  record Odometer(double units, double gridUnits) {
    Odometer plus(double fromX, double fromY, double toX, double toY) {
      return new Odometer(units + Math.hypot(toX - fromX, toY - fromY), gridUnits + Math.abs(toX - fromX) + Math.abs(toY - fromY));
    }
  }

  /**
   * A truck as saved: where it was at the save, not its leg (a restored truck on a trip starts a
   * new leg from there).
   */
  record Saved(
      int id,
      Status status,
      double x,
      double y,
      Integer warehouseId,
      List<Long> aboard,
      List<Stop> route,
      List<Long> loadQueue,
      Odometer odometer) {}

  Truck(int id, int x, int y) {
    this(id, (double) x, (double) y);
  }

  private Truck(int id, double x, double y) {
    this.id = id;
    this.x = x;
    this.y = y;
  }

  Saved saved(long nowNanos) {
    double[] here = positionAt(nowNanos);
    return new Saved(id, status, here[0], here[1], warehouseId, List.copyOf(aboard),
        List.copyOf(route), List.copyOf(loadQueue), odometer(nowNanos));
  }

  /** Standing where it was saved, with no leg; its owner starts the leg a trip needs. */
  static Truck restore(Saved saved) {
    Truck truck = new Truck(saved.id(), saved.x(), saved.y());
    truck.status = saved.status();
    truck.warehouseId = saved.warehouseId();
    truck.aboard.addAll(saved.aboard());
    truck.route.addAll(saved.route());
    truck.loadQueue.addAll(saved.loadQueue());
    if (saved.odometer() != null) truck.odometer = saved.odometer(); // files saved before there was a ledger have none
    return truck;
  }

  int x(long nowNanos) {
    return (int) Math.round(positionAt(nowNanos)[0]);
  }

  int y(long nowNanos) {
    return (int) Math.round(positionAt(nowNanos)[1]);
  }

  /**
   * Stops wherever the truck is now and starts a straight leg to (toX, toY): distance × 10000 /
   * simSpeed milliseconds. Returns the leg's duration, for the arrival timer.
   */
  Duration headTo(int toX, int toY, long nowNanos, int simSpeed) {
    double[] here = positionAt(nowNanos);
    odometer = odometer(nowNanos);
    x = here[0];
    y = here[1];
    double distance = Math.hypot(toX - x, toY - y);
    long nanos = Math.round(distance * 10_000 * 1_000_000 / simSpeed);
    leg = new Leg(x, y, toX, toY, nowNanos, nanos);
    return Duration.ofNanos(nanos);
  }

  /** The current leg is over: the truck stands exactly at its end. */
  void arrive() {
    odometer = odometer.plus(leg.fromX(), leg.fromY(), leg.toX(), leg.toY());
    x = leg.toX();
    y = leg.toY();
    leg = null;
  }

  /** The ledger at {@code nowNanos}, the current leg counted as far as the truck got. */
  Odometer odometer(long nowNanos) {
    if (leg == null) return odometer;
    double[] here = positionAt(nowNanos);
    return odometer.plus(leg.fromX(), leg.fromY(), here[0], here[1]);
  }

  private double[] positionAt(long nowNanos) {
    if (leg == null) return new double[] {x, y};
    double done =
        leg.nanos() == 0 ? 1 : Math.min(1, (double) (nowNanos - leg.startNanos()) / leg.nanos());
    return new double[] {
      leg.fromX() + (leg.toX() - leg.fromX()) * done, leg.fromY() + (leg.toY() - leg.fromY()) * done
    };
  }
}
