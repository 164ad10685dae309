package org.miniups.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.miniups.AppConfig;
import org.miniups.TestConfigs;
import org.miniups.node.UpsService;
import org.miniups.sim.amazon.SimAmazonServer;
import org.miniups.sim.amazon.SimAmazonSettings;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;
import org.miniups.sim.world.SimWorldStats;

/**
 * Route cost (BENCHMARKS.md, "Route cost"): units the World's trucks drove per package delivered,
 * by the World's own ledger, with pickup-to-delivery latency and delivery rate; our UPS (on H2)
 * against a baseline that sends one truck per package ({@link MinimalUps} with trips of one), in
 * the same run, on the same seeded scenario: 5 warehouses, destinations all over the 100 × 100
 * grid, 20 trucks, the World at its default speed (100) and without flakiness.
 *
 * <p>Arguments: {@code [rate:packages ...]}, default {@code 1:120 10:300 50:300}. Writes {@code
 * target/bench/route-cost.json} and prints a Markdown table.
 */
public final class RouteCostBenchmark {
  static final int TRUCKS = 20;
  static final int WAREHOUSES = 5;
  static final int GRID_HALF_SIZE = 50;
  static final long SEED = 22;
  private static final Duration TIMEOUT = Duration.ofMinutes(15);

  /** One UPS on one scenario: per package delivered, units driven (straight, and on the grid's streets). */
  public record Row(
      String ups, double rate, int packages, long delivered, long trips, double unitsPerPackage, double gridUnitsPerPackage,
      long p50Millis, long p99Millis, double packagesPerSecond, List<String> problems) {}

  private RouteCostBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> scenarios = args.length > 0 ? List.of(args) : List.of("1:120", "10:300", "50:300");
    List<Row> rows = new ArrayList<>();
    for (String scenario : scenarios) {
      double rate = Double.parseDouble(scenario.split(":")[0]);
      int packages = Integer.parseInt(scenario.split(":")[1]);
      for (String ups : List.of("baseline", "ours")) {
        Row row = run(ups, rate, packages);
        rows.add(row);
        System.out.println(row);
      }
    }
    Path out = Path.of("target", "bench", "route-cost.json");
    Files.createDirectories(out.getParent());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), rows);
    System.out.println(table(rows));
    System.exit(0);
  }

  static Row run(String ups, double rate, int packages) throws Exception {
    SimWorldSettings worldSettings =
        SimWorldSettings.defaults().withHost("127.0.0.1").withPorts(0, 0).withFlakinessPercent(0).withSimSpeed(100);
    try (SimWorldServer world = SimWorldServer.start(worldSettings);
        SimAmazonServer amazon =
            SimAmazonServer.start(
                SimAmazonSettings.defaults()
                    .withHost("127.0.0.1")
                    .withWorld("127.0.0.1", world.amazonPort())
                    .withUpsPort(0)
                    .withWarehouses(WAREHOUSES)
                    .withGrid(GRID_HALF_SIZE)
                    .withPackages(packages)
                    .withRate(rate)
                    .withRandomSeed(SEED)
                    .withResendInterval(Duration.ofSeconds(3)))) {
      BenchDatabase db = ups.equals("ours") ? BenchDatabase.create(BenchDatabase.Kind.H2) : null;
      AutoCloseable underTest = ups.equals("ours") ? ours(db, world, amazon) : oneTruckPerPackage(world, amazon);
      SimAmazonStats stats;
      SimWorldStats ledger;
      try (underTest) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!amazon.stats().allDelivered() && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(200);
        stats = amazon.stats();
        ledger = world.stats(amazon.worldId());
      } finally {
        if (db != null) db.drop();
      }
      long delivered = ledger.deliveries().size();
      long[] latency = stats.latencyMillisPercentiles(50, 99);
      return new Row(
          ups, rate, packages, delivered, ledger.processed("UGoPickup"), ledger.unitsDriven() / Math.max(1, delivered),
          ledger.gridUnitsDriven() / Math.max(1, delivered), latency.length > 0 ? latency[0] : -1,
          latency.length > 0 ? latency[1] : -1, stats.packagesPerSecond().orElse(0), DeliveryCheck.problems(stats, ledger, packages));
    }
  }

  private static AutoCloseable ours(BenchDatabase db, SimWorldServer world, SimAmazonServer amazon) {
    Map<String, Object> overrides = TestConfigs.node(db.url(), world.upsPort(), TRUCKS);
    overrides.put("mini-ups.db.user", "sa");
    overrides.put("mini-ups.amazon.host", "127.0.0.1");
    overrides.put("mini-ups.amazon.port", amazon.upsPort());
    // Production timers and the dispatcher's defaults, not the tests' short ones.
    overrides.put("mini-ups.link.resend-interval", "5s");
    overrides.put("mini-ups.fleet.query-interval", "2s");
    overrides.remove("mini-ups.dispatch.consolidation-wait");
    UpsService service = UpsService.start(AppConfig.load(overrides));
    service.connectToPeers();
    return service::close;
  }

  private static AutoCloseable oneTruckPerPackage(SimWorldServer world, SimAmazonServer amazon) throws Exception {
    MinimalUps ups =
        MinimalUps.start(
            new MinimalUps.Settings("127.0.0.1", amazon.upsPort(), "127.0.0.1", world.upsPort(), TRUCKS, 1, Duration.ofSeconds(5)));
    return ups::close;
  }

  static String table(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    out.append("| pickups/s | packages | UPS | trips | units / package (grid) | p50 / p99 latency, s | packages/s |\n");
    out.append("|---:|---:|---|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      out.append(String.format(
          "| %.0f | %d | %s | %d | %.1f (%.1f) | %.1f / %.1f | %.2f |%s%n", r.rate(), r.packages(),
          r.ups().equals("ours") ? "mini-UPS" : "one truck per package", r.trips(), r.unitsPerPackage(), r.gridUnitsPerPackage(),
          r.p50Millis() / 1000.0, r.p99Millis() / 1000.0, r.packagesPerSecond(),
          r.problems().isEmpty() ? "" : " problems: " + r.problems()));
    }
    return out.toString();
  }
}
