package org.miniups.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class RoutePlannerTest {
  record P(int x, int y) implements Point {}

  private static List<P> randomStops(Random random, int n) {
    List<P> stops = new ArrayList<>();
    for (int i = 0; i < n; i++) stops.add(new P(random.nextInt(101) - 50, random.nextInt(101) - 50));
    return stops;
  }

  /** The shortest route by trying every order. */
  private static double bruteForce(RoutePlanner planner, Point start, List<P> stops) {
    return permute(planner, start, new ArrayList<>(), new ArrayList<>(stops));
  }

  private static double permute(RoutePlanner planner, Point start, List<P> chosen, List<P> left) {
    if (left.isEmpty()) return planner.cost(start, chosen);
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < left.size(); i++) {
      P next = left.remove(i);
      chosen.add(next);
      best = Math.min(best, permute(planner, start, chosen, left));
      chosen.remove(chosen.size() - 1);
      left.add(i, next);
    }
    return best;
  }

  private static void assertIsAnOrderOf(int n, RoutePlanner.Plan plan) {
    assertEquals(n, plan.order().size(), "every stop once: " + plan.order());
    assertEquals(n, new HashSet<>(plan.order()).size(), "every stop once: " + plan.order());
    plan.order().forEach(i -> assertTrue(i >= 0 && i < n, "an index of the input: " + i));
  }

  @ParameterizedTest
  @EnumSource(Metric.class)
  void upToEightStopsThePlanIsAsShortAsTheBestOfEveryOrder(Metric metric) {
    RoutePlanner planner = new RoutePlanner(metric);
    Random random = new Random(22);
    for (int round = 0; round < 200; round++) {
      int n = 1 + random.nextInt(8);
      P start = randomStops(random, 1).get(0);
      List<P> stops = randomStops(random, n);
      RoutePlanner.Plan plan = planner.plan(start, stops);
      assertIsAnOrderOf(n, plan);
      assertEquals(planner.cost(start, plan.applyTo(stops)), plan.cost(), 1e-9, "the plan's cost is its route's length");
      assertEquals(bruteForce(planner, start, stops), plan.cost(), 1e-9, "round " + round + ": " + start + " " + stops);
    }
  }

  @Test
  void theHeuristicAboveTwelveStopsComesWithinAFewPercentOfTheShortest() {
    RoutePlanner planner = new RoutePlanner(Metric.MANHATTAN);
    Random random = new Random(7);
    double worst = 0;
    double sumOfRatios = 0;
    int rounds = 30;
    for (int round = 0; round < rounds; round++) {
      int n = 13 + random.nextInt(3);
      P start = randomStops(random, 1).get(0);
      List<P> stops = randomStops(random, n);
      RoutePlanner.Plan shortest = planner.exact(start, stops);
      RoutePlanner.Plan found = planner.plan(start, stops);
      assertIsAnOrderOf(n, found);
      double ratio = found.cost() / shortest.cost();
      assertTrue(ratio >= 1 - 1e-9, "never shorter than the shortest: " + ratio);
      worst = Math.max(worst, ratio);
      sumOfRatios += ratio;
    }
    assertTrue(sumOfRatios / rounds < 1.03, "on average within 3 % of the shortest, was " + sumOfRatios / rounds);
    assertTrue(worst < 1.10, "always within 10 % of the shortest, worst " + worst);
  }

  @Test
  void aTruckGoesOutAndDoesNotComeBack() {
    // On a line from the start, the shortest open route is the near end first: 0→1→2→3, not 3 first.
    RoutePlanner planner = new RoutePlanner(Metric.MANHATTAN);
    List<P> stops = List.of(new P(30, 0), new P(10, 0), new P(20, 0));
    RoutePlanner.Plan plan = planner.plan(new P(0, 0), stops);
    assertEquals(List.of(1, 2, 0), plan.order());
    assertEquals(30, plan.cost(), 1e-9);
  }

  @Test
  void anExtraStopGoesWhereItAddsTheLeast() {
    RoutePlanner planner = new RoutePlanner(Metric.MANHATTAN);
    List<P> route = List.of(new P(10, 0), new P(30, 0));
    RoutePlanner.Insertion between = planner.cheapestInsertion(new P(0, 0), route, new P(20, 5));
    assertEquals(new RoutePlanner.Insertion(1, 10), between);
    RoutePlanner.Insertion after = planner.cheapestInsertion(new P(0, 0), route, new P(40, 0));
    assertEquals(new RoutePlanner.Insertion(2, 10), after);
    assertEquals(new RoutePlanner.Insertion(0, 7), planner.cheapestInsertion(new P(0, 0), List.of(), new P(3, 4)));
  }

  @Test
  void metricsAreNamedInConfiguration() {
    assertEquals(Metric.MANHATTAN, Metric.named(" Manhattan"));
    assertEquals(5, Metric.named("euclidean").between(0, 0, 3, 4), 1e-9);
    assertEquals(7, Metric.MANHATTAN.between(0, 0, 3, -4), 1e-9);
  }
}
