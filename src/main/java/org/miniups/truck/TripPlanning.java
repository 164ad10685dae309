package org.miniups.truck;

import com.typesafe.config.Config;
import java.time.Duration;
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;

/**
 * How trucks plan their trips: the order of the drops ({@code planner}, on the World's metric), how
 * many shipments one trip takes, and how long a truck that arrived at a warehouse with room left
 * waits there for more before it leaves (zero: it leaves as soon as everything aboard is loaded).
 */
public record TripPlanning(RoutePlanner planner, int maxShipments, Duration consolidationWait) {

  /** From {@code mini-ups.dispatch}. */
  public static TripPlanning of(Config dispatch) {
    return new TripPlanning(
        new RoutePlanner(Metric.named(dispatch.getString("route-metric"))),
        dispatch.getInt("max-shipments-per-trip"),
        dispatch.getDuration("consolidation-wait"));
  }

  /** A trip of {@code shipments} at the warehouse leaves once loaded, without waiting for more. */
  boolean leavesAtOnce(int shipments) {
    return consolidationWait.isZero() || shipments >= maxShipments;
  }
}
