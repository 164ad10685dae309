package org.miniups.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The resilience suite: UPS, the simulated World and the simulated Amazon as separate processes of
 * the real jar, on PostgreSQL, each scenario breaking something on purpose and ending with the
 * same invariants (see {@link Invariants}) and no ERROR line in the UPS logs that the scenario did
 * not cause. {@code .ci/run} runs the quick sizes; {@code mvn -P resilience verify} (or {@code
 * bench/resilience.sh}) the full ones, and writes each scenario's figures to {@code
 * target/resilience/<scenario>.json} for RESILIENCE.md.
 */
class ResilienceIT {
  static final boolean FULL = Boolean.getBoolean("resilience.full");
  private static final Duration PATIENCE = Duration.ofMinutes(FULL ? 15 : 5);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (AutoCloseable resource : resources) resource.close();
  }

  private ThreeProcessRun run(String scenario, ThreeProcessRun.Settings settings) {
    ThreeProcessRun run = new ThreeProcessRun(scenario, settings);
    resources.add(0, run);
    return run;
  }

  static List<Integer> flakiness() {
    return FULL ? List.of(0, 30, 60, 90) : List.of(90);
  }

  @ParameterizedTest(name = "flakiness {0}%")
  @MethodSource("flakiness")
  void everyPackageArrivesExactlyOnceAtAnyWorldFlakiness(int flakiness) throws Exception {
    int packages = FULL ? 300 : 60;
    ThreeProcessRun run = run("flakiness-" + flakiness, ThreeProcessRun.defaults().withPackages(packages).withFlakiness(flakiness));
    long started = System.nanoTime();
    run.startAll();
    assertSettledCleanly(run, List.of());
    record(run, Map.of("flakinessPercent", flakiness, "seconds", seconds(started), "peakRssMib", ThreeProcessRun.peakRssMib(run.ups())));
  }

  @Test
  void upsKilledAtRandomMomentsLosesNothing() throws Exception {
    int packages = FULL ? 500 : 150;
    int kills = FULL ? 5 : 2;
    ThreeProcessRun run = run("ups-sigkill", ThreeProcessRun.defaults().withPackages(packages).withRate(25));
    long started = System.nanoTime();
    run.startAll();
    Random random = new Random(42);
    for (int kill = 1; kill <= kills; kill++) {
      // Between two kills UPS makes some progress; where exactly it is killed is left to chance.
      long progress = (long) kill * packages / (kills + 2) + random.nextInt(Math.max(1, packages / (kills * 4)));
      run.awaitDelivered(progress, PATIENCE);
      ThreeProcessRun.kill(run.ups());
      run.startUps();
    }
    assertSettledCleanly(run, List.of());
    record(run, Map.of("sigkills", kills, "seconds", seconds(started)));
  }

  /**
   * Amazon sends each delivered shipment's AULoaded once more (a valid request that changes
   * nothing, PROTOCOL.md), and UPS is SIGKILLed right after deliveries, while such loads are in its
   * inbox unfinished: after the restart each is handled again, long after its truck forgot the
   * shipment. The referee counts any UAErr to a valid request as a breach.
   */
  @Test
  void upsKilledRightAfterDeliveriesWhileLoadsAreHandledAgain() throws Exception {
    int packages = FULL ? 300 : 100;
    int kills = FULL ? 5 : 2;
    ThreeProcessRun run =
        run("ups-sigkill-after-delivery", ThreeProcessRun.defaults().withPackages(packages).withRate(25).withLoadAgainAfterDelivery());
    long started = System.nanoTime();
    run.startAll();
    for (int kill = 1; kill <= kills; kill++) {
      run.awaitDelivered((long) kill * packages / (kills + 2), PATIENCE);
      ThreeProcessRun.kill(run.ups());
      run.startUps();
    }
    assertSettledCleanly(run, List.of());
    record(run, Map.of("sigkills", kills, "loadsSentAgain", packages, "seconds", seconds(started)));
  }

  @Test
  void theWorldAndAmazonKilledAndResumedFromTheirSavedState() throws Exception {
    int packages = FULL ? 300 : 120;
    ThreeProcessRun run = run("simulators-sigkill", ThreeProcessRun.defaults().withPackages(packages).withRate(15));
    long started = System.nanoTime();
    run.startAll();
    run.awaitDelivered(packages / 4, PATIENCE);
    ThreeProcessRun.kill(run.world());
    run.startWorld();
    run.awaitDelivered(packages / 2, PATIENCE);
    ThreeProcessRun.kill(run.amazon());
    run.startAmazon();
    assertSettledCleanly(run, List.of());
    record(run, Map.of("sigkills", 2, "seconds", seconds(started)));
  }

  @Test
  void linksCutMidFrameInBothDirectionsOnBothLinks() throws Exception {
    int packages = FULL ? 300 : 100;
    ThreeProcessRun run = run("link-cuts", ThreeProcessRun.defaults().withPackages(packages).withRate(15));
    CuttingProxy toWorld = CuttingProxy.to(run.worldUpsPort(), 1);
    CuttingProxy toAmazon = CuttingProxy.to(run.amazonUpsPort(), 2);
    resources.add(toWorld);
    resources.add(toAmazon);
    run.routeUpsThrough(toWorld.port(), toAmazon.port());
    long started = System.nanoTime();
    run.startWorld();
    run.startAmazon();
    // A frame on these links is tens of bytes, a batch a few hundred: most cuts land inside one.
    // The cuts go on to the end, through the last acks.
    toWorld.cutAfterBetween(100, 1_500);
    toAmazon.cutAfterBetween(50, 1_500);
    run.startUps();
    assertSettledCleanly(run, List.of());
    assertTrue(toWorld.cuts() >= 3 && toAmazon.cuts() >= 3, "links were cut: World " + toWorld.cuts() + ", Amazon " + toAmazon.cuts());
    record(run, Map.of("worldLinkCuts", toWorld.cuts(), "amazonLinkCuts", toAmazon.cuts(), "seconds", seconds(started)));
  }

  @Test
  void postgresRestartedMidRun() throws Exception {
    int packages = FULL ? 300 : 100;
    ThreeProcessRun run = run("postgres-restart", ThreeProcessRun.defaults().withPackages(packages).withRate(15));
    long started = System.nanoTime();
    run.startAll();
    run.awaitDelivered(packages / 3, PATIENCE);
    Postgres.restart();
    assertSettledCleanly(run, Postgres.AWAY_ERRORS);
    record(run, Map.of("postgresRestarts", 1, "seconds", seconds(started)));
  }

  @Test
  void postgresUnreachableForAWhile() throws Exception {
    int packages = FULL ? 300 : 100;
    Duration away = Duration.ofSeconds(FULL ? 30 : 12);
    ThreeProcessRun run = run("postgres-unreachable", ThreeProcessRun.defaults().withPackages(packages).withRate(15));
    CuttingProxy toPostgres = CuttingProxy.to(Postgres.PORT, 3);
    resources.add(toPostgres);
    run.upsEnv("DB_URL", run.dbUrl().replace(":" + Postgres.PORT + "/", ":" + toPostgres.port() + "/"));
    long started = System.nanoTime();
    run.startAll();
    run.awaitDelivered(packages / 3, PATIENCE);
    int linesBefore = run.ups().lines().size();
    toPostgres.startBlackout();
    long blackoutStarted = System.nanoTime();
    Health health = await("/health says the database is down").atMost(away).until(() -> Health.of(run.httpPort()), Health::databaseDown);
    assertEquals(503, health.status());
    await("the blackout has lasted " + away).atMost(away.plusSeconds(5)).until(() -> System.nanoTime() - blackoutStarted >= away.toNanos());
    List<String> whileAway = run.ups().lines().subList(linesBefore, run.ups().lines().size());
    toPostgres.endBlackout();
    assertTrue(
        whileAway.stream().filter(l -> l.contains("database")).count() <= 3,
        "a few clear lines while the database is away, not one per attempt: " + whileAway);
    assertSettledCleanly(run, Postgres.AWAY_ERRORS);
    record(run, Map.of("databaseAwaySeconds", away.toSeconds(), "seconds", seconds(started)));
  }

  @Test
  void trackingUnderLoadWhilePackagesFlow() throws Exception {
    int packages = FULL ? 2000 : 300;
    int clients = FULL ? 50 : 10;
    int streams = FULL ? 200 : 40;
    Duration hammering = Duration.ofSeconds(FULL ? 120 : 20);
    ThreeProcessRun run = run("load", ThreeProcessRun.defaults().withPackages(packages).withRate(FULL ? 50 : 30));
    run.upsEnv("LIVE_STREAMS_PER_CLIENT", String.valueOf(streams)); // every stream comes from this one address
    long started = System.nanoTime();
    run.startAll();
    List<String> numbers =
        await("tracking numbers of " + streams + " packages")
            .atMost(PATIENCE)
            .until(() -> trackingNumbers(run.dbUrl()), known -> known.size() >= streams)
            .subList(0, streams);

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<List<String>> statusesSeen = new ArrayList<>();
    ExecutorService readers = Executors.newCachedThreadPool();
    for (String number : numbers) {
      List<String> statuses = new CopyOnWriteArrayList<>();
      statusesSeen.add(statuses);
      HttpResponse<Stream<String>> stream =
          http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.httpPort() + "/api/packages/" + number + "/events")).build(),
              HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, stream.statusCode(), "live updates of " + number);
      readers.submit(() -> stream.body().filter(l -> l.startsWith("data:")).forEach(l -> statuses.add(statusOf(l))));
    }

    Map<Integer, Long> answers = new ConcurrentHashMap<>();
    ExecutorService hammers = Executors.newFixedThreadPool(clients);
    long until = System.nanoTime() + hammering.toNanos();
    for (int client = 0; client < clients; client++) {
      Random random = new Random(client);
      hammers.submit(() -> {
        while (System.nanoTime() < until) {
          String number = numbers.get(random.nextInt(numbers.size()));
          int status;
          try {
            status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.httpPort() + "/api/packages/" + number)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
          } catch (Exception e) {
            status = -1; // no answer at all
          }
          answers.merge(status, 1L, Long::sum);
        }
        return null;
      });
    }
    hammers.shutdown();
    assertTrue(hammers.awaitTermination(hammering.toSeconds() + 60, TimeUnit.SECONDS));
    long peakRss = ThreeProcessRun.peakRssMib(run.ups());

    assertSettledCleanly(run, List.of());
    assertEquals(Set.of(200), answers.keySet(), "every tracking request answered 200: " + answers);
    await("every live stream saw its package delivered")
        .atMost(Duration.ofSeconds(30))
        .until(() -> statusesSeen.stream().allMatch(seen -> seen.contains("delivered")));
    readers.shutdownNow();
    record(run, Map.of(
        "trackingRequests", answers.values().stream().mapToLong(Long::longValue).sum(),
        "clients", clients, "liveStreams", streams, "hammeringSeconds", hammering.toSeconds(),
        "peakRssMib", Math.max(peakRss, ThreeProcessRun.peakRssMib(run.ups())), "seconds", seconds(started)));
  }

  private static List<String> trackingNumbers(String dbUrl) throws Exception {
    try (var connection = java.sql.DriverManager.getConnection(dbUrl, System.getProperty("test.pg.user", "postgres"), "");
        var rows = connection.createStatement().executeQuery("SELECT tracking_number FROM package_index ORDER BY ship_id")) {
      List<String> numbers = new ArrayList<>();
      while (rows.next()) numbers.add(rows.getString(1));
      return numbers;
    } catch (java.sql.SQLException tableNotThereYet) {
      return List.of();
    }
  }

  private static String statusOf(String dataLine) {
    try {
      return JSON.readTree(dataLine.substring("data:".length())).path("status").asText();
    } catch (Exception e) {
      return "unreadable: " + dataLine;
    }
  }

  /** Everything delivered exactly once, nothing unacked, and no failure in the UPS logs but those expected. */
  private static void assertSettledCleanly(ThreeProcessRun run, List<String> expectedErrors) {
    assertEquals(List.of(), run.awaitSettled(PATIENCE), "invariants");
    assertEquals(List.of(), Invariants.unexpectedErrors(run.upsRuns(), expectedErrors), "ERROR lines in the UPS logs");
  }

  private static double seconds(long startedNanos) {
    return Math.round((System.nanoTime() - startedNanos) / 1e8) / 10.0;
  }

  /** The scenario's figures, for RESILIENCE.md. */
  private static void record(ThreeProcessRun run, Map<String, Object> extra) throws Exception {
    var amazon = run.amazonReport().orElseThrow();
    var world = run.worldReport().orElseThrow();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("packages", run.settings().packages());
    figures.putAll(Invariants.figures(run.settings().packages(), amazon, world));
    figures.putAll(extra);
    figures.put("full", FULL);
    Path file = Path.of("target", "resilience", run.scenario() + ".json");
    Files.writeString(file, JSON.writeValueAsString(figures));
  }
}
