package org.miniups.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;
import org.miniups.truck.Location;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long a truck's route takes to plan (BENCHMARKS.md, "Route planning time"), by number of
 * stops: exact (Held-Karp) up to 12, nearest neighbour + 2-opt + or-opt above; each against the
 * baseline of computing one route's length in a given order, measured in the same run. Random
 * stops on the 100 × 100 grid, a new instance per invocation drawn from a fixed-seed pool.
 * Run with {@code bench/planner.sh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RoutePlannerBenchmark {
  @Param({"5", "10", "12", "20", "40"})
  int stops;

  private final RoutePlanner planner = new RoutePlanner(Metric.EUCLIDEAN);
  private final List<List<Location>> instances = new ArrayList<>();
  private final Location start = new Location(0, 0);
  private int next;

  @Setup
  public void draw() {
    Random random = new Random(22);
    for (int i = 0; i < 64; i++) {
      List<Location> instance = new ArrayList<>();
      for (int j = 0; j < stops; j++) instance.add(new Location(random.nextInt(101) - 50, random.nextInt(101) - 50));
      instances.add(instance);
    }
  }

  private List<Location> instance() {
    next = (next + 1) % instances.size();
    return instances.get(next);
  }

  @Benchmark
  public RoutePlanner.Plan plan() {
    return planner.plan(start, instance());
  }

  /** The yardstick: one pass over the stops in the order given. */
  @Benchmark
  public double lengthInGivenOrder() {
    return planner.cost(start, instance());
  }
}
