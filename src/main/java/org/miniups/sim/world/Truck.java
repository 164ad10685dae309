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

  Truck(int id, int x, int y) {
    this.id = id;
    this.x = x;
    this.y = y;
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
    x = here[0];
    y = here[1];
    double distance = Math.hypot(toX - x, toY - y);
    long nanos = Math.round(distance * 10_000 * 1_000_000 / simSpeed);
    leg = new Leg(x, y, toX, toY, nowNanos, nanos);
    return Duration.ofNanos(nanos);
  }

  /** The current leg is over: the truck stands exactly at its end. */
  void arrive() {
    x = leg.toX();
    y = leg.toY();
    leg = null;
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
