package org.miniups.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * One run of the pipeline benchmark, alone in its JVM (started by {@link PipelineBenchmark}, so
 * nothing of one run — threads, sockets, caches, a slow shutdown — reaches the next): a fresh
 * simulated World and Amazon, our UPS on a fresh database or the baseline, every pickup at once,
 * measured until Amazon has heard "delivered" for each. Writes one {@link RunResult} as JSON.
 *
 * <p>Arguments: {@code ours|baseline postgres|h2 <packages> <repetition> <result.json> <timeout seconds>}.
 */
public final class PipelineRun {
  static final int TRUCKS = 200;
  static final int MAX_SHIPMENTS_PER_TRIP = 10; // mini-ups.dispatch.max-shipments-per-trip's default
  static final int WAREHOUSES = 5;
  static final Duration AMAZON_RESEND = Duration.ofSeconds(3); // as a real Amazon would
  static final Duration UPS_RESEND = Duration.ofSeconds(5); // mini-ups.link.resend-interval's default
  static final int WORLD_SPEED = Integer.MAX_VALUE; // travel, packing and loading take no time
  private static final Duration SETTLE = Duration.ofSeconds(1);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration STALL = Duration.ofSeconds(120);

  private PipelineRun() {}

  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    String ups = args[0];
    String database = args[1];
    int packages = Integer.parseInt(args[2]);
    int repetition = Integer.parseInt(args[3]);
    Path out = Path.of(args[4]);
    Duration timeout = Duration.ofSeconds(Long.parseLong(args[5]));
    RunResult result;
    try {
      result = run(ups, BenchDatabase.Kind.valueOf(database.toUpperCase()), packages, repetition, timeout, start);
    } catch (Exception e) {
      e.printStackTrace();
      result = RunResult.failed(ups, database, packages, repetition, "crashed: " + e, secondsSince(start));
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
    // Whatever a UPS left running (non-daemon threads of a stuck shutdown) ends with this JVM.
    System.exit(0);
  }

  private static RunResult run(
      String ups, BenchDatabase.Kind kind, int packages, int repetition, Duration timeout, long start)
      throws Exception {
    String database = kind.name().toLowerCase();
    try (SimWorldServer world = SimWorldServer.start(worldSettings());
        SimAmazonServer amazon = SimAmazonServer.start(amazonSettings(world, packages))) {
      BenchDatabase db = ups.equals("ours") ? BenchDatabase.create(kind) : null;
      UnderTest underTest = ups.equals("ours") ? ours(db, world, amazon) : baseline(world, amazon);
      Optional<String> failure;
      SimAmazonStats stats;
      SimWorldStats worldStats;
      try (underTest) {
        failure = awaitAllDelivered(amazon, underTest, System.nanoTime() + timeout.toNanos());
        TimeUnit.MILLISECONDS.sleep(SETTLE.toMillis()); // a late repeat would show in the counts
        stats = amazon.stats();
        worldStats = world.stats(amazon.worldId());
      }
      if (failure.isEmpty()) {
        List<String> problems = DeliveryCheck.problems(stats, worldStats, packages);
        if (!problems.isEmpty()) failure = Optional.of("delivery check: " + String.join("; ", problems));
      }
      double journalRows = 0;
      double tagRows = 0;
      if (db != null) {
        journalRows = db.rows("event_journal");
        tagRows = db.rows("event_tag");
        db.drop();
      }
      if (!stats.allDelivered()) return RunResult.failed(ups, database, packages, repetition, failure.get(), secondsSince(start));
      return measured(ups, database, packages, repetition, failure.orElse(null), stats, worldStats, journalRows, tagRows,
          start);
    }
  }

  /** The figures of a run that delivered everything; with a failure they are kept only for diagnosis. */
  private static RunResult measured(
      String ups, String database, int packages, int repetition, String failure, SimAmazonStats stats,
      SimWorldStats world, double journalRows, double tagRows, long start) {
    double packagesPerSecond = stats.packagesPerSecond().orElseThrow();
    long[] latencyMillis = stats.latencyMillisPercentiles(50, 99);
    return new RunResult(
        ups, database, packages, repetition, failure,
        packages / packagesPerSecond,
        packagesPerSecond,
        (double) latencyMillis[0],
        (double) latencyMillis[1],
        stats.resentToUps(),
        stats.slowestAckMillis(),
        world.processed("UGoPickup") / (double) packages,
        journalRows / packages,
        tagRows / packages,
        secondsSince(start));
  }

  /** A UPS being measured: its failure, if it can tell one, and how to stop it. */
  private interface UnderTest extends AutoCloseable {
    Optional<String> failure();

    @Override
    void close();
  }

  private static UnderTest ours(BenchDatabase db, SimWorldServer world, SimAmazonServer amazon) {
    Map<String, Object> overrides = TestConfigs.node(db.url(), world.upsPort(), TRUCKS);
    overrides.put("mini-ups.db.user", BenchDatabase.PG_USER);
    overrides.put("mini-ups.amazon.host", "127.0.0.1");
    overrides.put("mini-ups.amazon.port", amazon.upsPort());
    // Production timers, not the tests' short ones.
    overrides.put("mini-ups.link.resend-interval", UPS_RESEND.toMillis() + "ms");
    overrides.put("mini-ups.fleet.query-interval", "2s");
    overrides.put("mini-ups.dispatch.max-shipments-per-trip", MAX_SHIPMENTS_PER_TRIP);
    UpsService service = UpsService.start(AppConfig.load(overrides));
    service.connectToPeers();
    return new UnderTest() {
      public Optional<String> failure() {
        return Optional.empty();
      }

      public void close() {
        service.close();
      }
    };
  }

  private static UnderTest baseline(SimWorldServer world, SimAmazonServer amazon) throws Exception {
    MinimalUps ups = MinimalUps.start(new MinimalUps.Settings(
        "127.0.0.1", amazon.upsPort(), "127.0.0.1", world.upsPort(), TRUCKS, MAX_SHIPMENTS_PER_TRIP, UPS_RESEND));
    return new UnderTest() {
      public Optional<String> failure() {
        return ups.stats().failure();
      }

      public void close() {
        ups.close();
      }
    };
  }

  private static SimWorldSettings worldSettings() {
    return SimWorldSettings.defaults()
        .withHost("127.0.0.1")
        .withPorts(0, 0)
        .withFlakinessPercent(0)
        .withSimSpeed(WORLD_SPEED);
  }

  private static SimAmazonSettings amazonSettings(SimWorldServer world, int packages) {
    return SimAmazonSettings.defaults()
        .withHost("127.0.0.1")
        .withWorld("127.0.0.1", world.amazonPort())
        .withUpsPort(0)
        .withWarehouses(WAREHOUSES)
        .withPackages(packages)
        .withAllPickupsAtOnce()
        .withResendInterval(AMAZON_RESEND);
  }

  /**
   * Empty once every package is delivered; else why not: a broken baseline, a stall (nothing
   * delivered for {@link #STALL}, far beyond every resend interval), or the timeout.
   */
  private static Optional<String> awaitAllDelivered(SimAmazonServer amazon, UnderTest ups, long deadlineNanos)
      throws InterruptedException {
    int delivered = -1;
    long lastProgress = System.nanoTime();
    while (true) {
      SimAmazonStats stats = amazon.stats();
      if (TRACE) trace(stats);
      if (stats.allDelivered()) return Optional.empty();
      Optional<String> failure = ups.failure();
      if (failure.isPresent()) return failure;
      long now = System.nanoTime();
      if (stats.delivered().size() > delivered) {
        delivered = stats.delivered().size();
        lastProgress = now;
      }
      String progress = delivered + " of " + stats.target() + " delivered";
      if (now - lastProgress > STALL.toNanos()) {
        return Optional.of("stalled: " + progress + ", none for " + STALL.toSeconds() + " s");
      }
      if (now > deadlineNanos) return Optional.of("timed out: " + progress);
      TimeUnit.MILLISECONDS.sleep(POLL.toMillis());
    }
  }

  /** With BENCH_TRACE set, each poll logs how far the shipments got: where a run spends its time. */
  private static final boolean TRACE = System.getenv("BENCH_TRACE") != null;

  private static void trace(SimAmazonStats stats) {
    System.out.printf(
        "%s progress: accepted %d, arrived %d, loaded %d, out for delivery %d, delivered %d%n",
        java.time.LocalTime.now(), stats.accepted().size(), stats.arrived().size(), stats.loaded().size(), stats.outForDelivery().size(),
        stats.delivered().size());
  }

  private static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
