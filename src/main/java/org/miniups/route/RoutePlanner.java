package org.miniups.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The order in which a truck visits its stops: from where it starts, through every stop once, with
 * no return (the World leaves a truck wherever its last drop was). Exact up to {@link #EXACT_LIMIT}
 * stops (Held-Karp dynamic programming, at most 2ⁿ·n² steps: about 600 000 for 12); above that nearest
 * neighbour, improved by 2-opt and or-opt until neither finds a shorter route. Pure: no actors, no
 * clocks, the same answer for the same input.
 */
public final class RoutePlanner {

  /** Up to this many stops the order is the shortest there is. */
  public static final int EXACT_LIMIT = 12;

  /** Stops by index into the planner's input, in visiting order, and the route's length. */
  public record Plan(List<Integer> order, double cost) {
    public Plan {
      order = List.copyOf(order);
    }

    public <T> List<T> applyTo(List<T> stops) {
      return order.stream().map(stops::get).toList();
    }
  }

  private final Metric metric;

  public RoutePlanner(Metric metric) {
    this.metric = metric;
  }

  public Metric metric() {
    return metric;
  }

  /** The best order of {@code stops} from {@code start} this planner finds. */
  public Plan plan(Point start, List<? extends Point> stops) {
    return stops.size() <= EXACT_LIMIT ? exact(start, stops) : heuristic(start, stops);
  }

  /** Held-Karp: the shortest order there is. */
  Plan exact(Point start, List<? extends Point> stops) {
    double[][] d = distances(start, stops);
    return plan(d, stops.isEmpty() ? new int[0] : heldKarp(d, stops.size()));
  }

  /** Nearest neighbour, then 2-opt and or-opt: close to the shortest, in polynomial time. */
  Plan heuristic(Point start, List<? extends Point> stops) {
    double[][] d = distances(start, stops);
    return plan(d, improve(d, nearestNeighbour(d, stops.size())));
  }

  private static Plan plan(double[][] d, int[] order) {
    List<Integer> visit = new ArrayList<>(order.length);
    for (int stop : order) visit.add(stop - 1);
    return new Plan(visit, cost(d, order));
  }

  /** Length of visiting {@code stops} from {@code start} in the order given. */
  public double cost(Point start, List<? extends Point> stops) {
    double total = 0;
    Point at = start;
    for (Point next : stops) {
      total += metric.between(at, next);
      at = next;
    }
    return total;
  }

  /**
   * The cheapest place to put {@code extra} into a route that visits {@code stops} from {@code
   * start} in that order, without reordering the rest: the index it goes to and the units it adds.
   */
  public Insertion cheapestInsertion(Point start, List<? extends Point> stops, Point extra) {
    int best = stops.size();
    double added = stops.isEmpty() ? metric.between(start, extra) : metric.between(stops.get(stops.size() - 1), extra);
    Point before = start;
    for (int i = 0; i < stops.size(); i++) {
      Point after = stops.get(i);
      double detour = metric.between(before, extra) + metric.between(extra, after) - metric.between(before, after);
      if (detour < added) {
        added = detour;
        best = i;
      }
      before = after;
    }
    return new Insertion(best, added);
  }

  /** Where an extra stop goes ({@code index} in the route's order) and what it adds. */
  public record Insertion(int index, double addedCost) {}

  /** Node 0 is the start, node i the (i-1)-th stop. */
  private double[][] distances(Point start, List<? extends Point> stops) {
    int n = stops.size();
    double[][] d = new double[n + 1][n + 1];
    for (int i = 0; i <= n; i++) {
      Point a = i == 0 ? start : stops.get(i - 1);
      for (int j = 0; j <= n; j++) d[i][j] = metric.between(a, j == 0 ? start : stops.get(j - 1));
    }
    return d;
  }

  private static double cost(double[][] d, int[] order) {
    double total = 0;
    int at = 0;
    for (int next : order) {
      total += d[at][next];
      at = next;
    }
    return total;
  }

  /**
   * best[mask·n + j]: the shortest path from the start through the stops in mask, ending at stop j.
   * Flat arrays, and only the stops outside a mask are tried next: 12 stops plan in well under a
   * millisecond (BENCHMARKS.md, "Route planning time").
   */
  private static int[] heldKarp(double[][] d, int n) {
    int full = 1 << n;
    double[] best = new double[full * n];
    byte[] previous = new byte[full * n];
    Arrays.fill(best, Double.POSITIVE_INFINITY);
    for (int j = 0; j < n; j++) best[(1 << j) * n + j] = d[0][j + 1];
    for (int mask = 1; mask < full; mask++) {
      for (int set = mask; set != 0; set &= set - 1) {
        int j = Integer.numberOfTrailingZeros(set);
        double here = best[mask * n + j];
        if (here == Double.POSITIVE_INFINITY) continue;
        double[] fromJ = d[j + 1];
        for (int free = ~mask & (full - 1); free != 0; free &= free - 1) {
          int k = Integer.numberOfTrailingZeros(free);
          int at = (mask | (1 << k)) * n + k;
          double via = here + fromJ[k + 1];
          if (via < best[at]) {
            best[at] = via;
            previous[at] = (byte) j;
          }
        }
      }
    }
    int last = 0;
    int all = (full - 1) * n;
    for (int j = 1; j < n; j++) if (best[all + j] < best[all + last]) last = j;
    int[] order = new int[n];
    int mask = full - 1;
    for (int i = n - 1; i >= 0; i--) {
      order[i] = last + 1;
      int before = previous[mask * n + last];
      mask &= ~(1 << last);
      last = before;
    }
    return order;
  }

  private static int[] nearestNeighbour(double[][] d, int n) {
    int[] order = new int[n];
    boolean[] visited = new boolean[n + 1];
    int at = 0;
    for (int i = 0; i < n; i++) {
      int nearest = -1;
      for (int j = 1; j <= n; j++) if (!visited[j] && (nearest < 0 || d[at][j] < d[at][nearest])) nearest = j;
      visited[nearest] = true;
      order[i] = nearest;
      at = nearest;
    }
    return order;
  }

  /** 2-opt (reverse a stretch) and or-opt (move a run of 1–3 stops) until neither shortens the route. */
  private static int[] improve(double[][] d, int[] start) {
    int[] order = start.clone();
    boolean better = true;
    while (better) {
      better = twoOpt(d, order) | orOpt(d, order);
    }
    return order;
  }

  private static final double EPSILON = 1e-9;

  private static boolean twoOpt(double[][] d, int[] order) {
    boolean improved = false;
    int n = order.length;
    for (int i = 0; i < n - 1; i++) {
      int before = i == 0 ? 0 : order[i - 1];
      for (int j = i + 1; j < n; j++) {
        // Reverse order[i..j]: the edges before→order[i] and order[j]→after become before→order[j] and order[i]→after.
        double removed = d[before][order[i]] + (j + 1 < n ? d[order[j]][order[j + 1]] : 0);
        double added = d[before][order[j]] + (j + 1 < n ? d[order[i]][order[j + 1]] : 0);
        if (added < removed - EPSILON) {
          reverse(order, i, j);
          improved = true;
        }
      }
    }
    return improved;
  }

  private static boolean orOpt(double[][] d, int[] order) {
    boolean improved = false;
    for (int length = 1; length <= 3; length++) {
      for (int i = 0; i + length <= order.length; i++) {
        double current = cost(d, order);
        int[] segment = Arrays.copyOfRange(order, i, i + length);
        int[] rest = new int[order.length - length];
        System.arraycopy(order, 0, rest, 0, i);
        System.arraycopy(order, i + length, rest, i, order.length - i - length);
        for (int at = 0; at <= rest.length; at++) {
          if (at == i) continue;
          int[] moved = new int[order.length];
          System.arraycopy(rest, 0, moved, 0, at);
          System.arraycopy(segment, 0, moved, at, length);
          System.arraycopy(rest, at, moved, at + length, rest.length - at);
          if (cost(d, moved) < current - EPSILON) {
            System.arraycopy(moved, 0, order, 0, order.length);
            current = cost(d, moved);
            improved = true;
            break;
          }
        }
      }
    }
    return improved;
  }

  private static void reverse(int[] order, int from, int to) {
    for (int i = from, j = to; i < j; i++, j--) {
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }
}
