package org.miniups.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.miniups.FreePorts;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.shipment.Shipment;
import org.miniups.sim.amazon.SimAmazonReport;
import org.miniups.sim.world.SimWorldReport;
import org.miniups.truck.Truck;

/**
 * UPS, the simulated World and the simulated Amazon as three processes of the real jar on
 * loopback, UPS on a fresh PostgreSQL database, each simulator keeping its state and a report in
 * its own directory. A scenario starts them, breaks something, and ends with {@link
 * #awaitSettled} and {@link Invariants}.
 */
public final class ThreeProcessRun implements AutoCloseable {
  private static final CBORMapper CBOR = new CBORMapper();
  private static final Pattern UNACKED = Pattern.compile("^miniups_messages_unacked\\{peer=\"(\\w+)\"} ([0-9.]+)", Pattern.MULTILINE);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param speed the World's simspeed (larger is faster)
   * @param resendInterval of all three, e.g. "300ms"
   * @param loadAgainAfterDelivery Amazon sends each delivered shipment's AULoaded once more
   */
  public record Settings(
      int packages, double rate, int flakiness, int speed, int trucks, String resendInterval, boolean loadAgainAfterDelivery) {
    public Settings withPackages(int n) {
      return new Settings(n, rate, flakiness, speed, trucks, resendInterval, loadAgainAfterDelivery);
    }

    public Settings withFlakiness(int percent) {
      return new Settings(packages, rate, percent, speed, trucks, resendInterval, loadAgainAfterDelivery);
    }

    public Settings withResendInterval(String interval) {
      return new Settings(packages, rate, flakiness, speed, trucks, interval, loadAgainAfterDelivery);
    }

    public Settings withRate(double perSecond) {
      return new Settings(packages, perSecond, flakiness, speed, trucks, resendInterval, loadAgainAfterDelivery);
    }

    public Settings withLoadAgainAfterDelivery() {
      return new Settings(packages, rate, flakiness, speed, trucks, resendInterval, true);
    }
  }

  public static Settings defaults() {
    return new Settings(100, 20, 0, 1000, 20, "300ms", false);
  }

  private final String scenario;
  private final Settings settings;
  private final Path dir;
  private final String dbUrl;
  private final int worldUpsPort = FreePorts.next();
  private final int worldAmazonPort = FreePorts.next();
  private final int amazonUpsPort = FreePorts.next();
  private final int httpPort = FreePorts.next();
  private int upsSeesWorldAt = worldUpsPort;
  private int upsSeesAmazonAt = amazonUpsPort;
  private final Map<String, String> upsEnv = new HashMap<>();
  private final List<JarProcess> processes = new ArrayList<>();
  private final List<JarProcess> upsRuns = new ArrayList<>();
  private final Map<JarProcess, Integer> upsHttpPorts = new HashMap<>();
  private JarProcess world;
  private JarProcess amazon;
  private int worldRuns;
  private int amazonRuns;

  public ThreeProcessRun(String scenario, Settings settings) {
    this.scenario = scenario;
    this.settings = settings;
    this.dbUrl = Database.POSTGRES.freshUrl();
    try {
      this.dir = Files.createDirectories(Path.of("target", "resilience", scenario));
      for (String sub : List.of("world-state", "amazon-state")) deleteRecursively(dir.resolve(sub));
      Files.deleteIfExists(worldReportFile());
      Files.deleteIfExists(amazonReportFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String scenario() {
    return scenario;
  }

  public Settings settings() {
    return settings;
  }

  public String dbUrl() {
    return dbUrl;
  }

  public int worldUpsPort() {
    return worldUpsPort;
  }

  public int amazonUpsPort() {
    return amazonUpsPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** UPS connects to these ports instead (a proxy in front of the simulators). */
  public void routeUpsThrough(int worldPort, int amazonPort) {
    upsSeesWorldAt = worldPort;
    upsSeesAmazonAt = amazonPort;
  }

  /** Adds or overrides an environment variable of UPS, from its next start on. */
  public void upsEnv(String name, String value) {
    upsEnv.put(name, value);
  }

  public ThreeProcessRun startAll() {
    startWorld();
    startAmazon();
    startUps();
    return this;
  }

  public JarProcess startWorld() {
    world =
        track(
            JarProcess.start(
                scenario + "-world-" + ++worldRuns, Map.of(),
                "world",
                "--ups-port", String.valueOf(worldUpsPort),
                "--amazon-port", String.valueOf(worldAmazonPort),
                "--flakiness", String.valueOf(settings.flakiness()),
                "--speed", String.valueOf(settings.speed()),
                "--resend-interval", settings.resendInterval(),
                "--state-dir", dir.resolve("world-state").toAbsolutePath().toString(),
                "--report", worldReportFile().toAbsolutePath().toString()));
    world.awaitLine(l -> l.startsWith("Simulated World"), Duration.ofSeconds(60));
    return world;
  }

  public JarProcess startAmazon() {
    List<String> args =
        new ArrayList<>(
            List.of(
                "amazon",
                "--world-host", "127.0.0.1",
                "--world-port", String.valueOf(worldAmazonPort),
                "--ups-port", String.valueOf(amazonUpsPort),
                "--packages", String.valueOf(settings.packages()),
                "--rate", String.valueOf(settings.rate()),
                "--resend-interval", settings.resendInterval(),
                "--state-dir", dir.resolve("amazon-state").toAbsolutePath().toString(),
                "--report", amazonReportFile().toAbsolutePath().toString()));
    if (settings.loadAgainAfterDelivery()) args.add("--load-again-after-delivery");
    amazon = track(JarProcess.start(scenario + "-amazon-" + ++amazonRuns, Map.of(), args.toArray(String[]::new)));
    amazon.awaitLine(l -> l.startsWith("Simulated Amazon"), Duration.ofSeconds(60));
    return amazon;
  }

  /** Starts UPS and waits until it serves HTTP. */
  public JarProcess startUps() {
    JarProcess ups = startUps(Map.of());
    awaitServing(ups);
    return ups;
  }

  /**
   * Starts a UPS process with these variables over the usual ones: a node of a cluster gets its
   * own CLUSTER_PORT, HTTP_PORT and the CLUSTER_SEED_NODES. Returns at once (see {@link
   * #awaitServing}), so that nodes can start together.
   */
  public JarProcess startUps(Map<String, String> nodeEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("DB_URL", dbUrl);
    env.put("DB_USER", System.getProperty("test.pg.user", "postgres"));
    env.put("WORLD_HOST", "127.0.0.1");
    env.put("WORLD_PORT", String.valueOf(upsSeesWorldAt));
    env.put("AMAZON_HOST", "127.0.0.1");
    env.put("AMAZON_PORT", String.valueOf(upsSeesAmazonAt));
    env.put("UPS_TRUCKS", String.valueOf(settings.trucks()));
    env.put("RESEND_INTERVAL", settings.resendInterval());
    env.put("RECONNECT_MIN_BACKOFF", "100ms");
    env.put("RECONNECT_MAX_BACKOFF", "1s");
    env.put("CLUSTER_PORT", String.valueOf(FreePorts.next()));
    env.put("HTTP_PORT", String.valueOf(httpPort));
    env.putAll(upsEnv);
    env.putAll(nodeEnv);
    JarProcess ups = track(JarProcess.start(scenario + "-ups-" + (upsRuns.size() + 1), env, "serve"));
    upsRuns.add(ups);
    upsHttpPorts.put(ups, Integer.parseInt(env.get("HTTP_PORT")));
    return ups;
  }

  /** Waits until a UPS process serves HTTP (or says it could not start). */
  public static void awaitServing(JarProcess ups) {
    ups.awaitLine(l -> l.startsWith("Tracking site and API at") || l.startsWith("mini-UPS could not"), Duration.ofSeconds(90));
  }

  private JarProcess track(JarProcess process) {
    processes.add(process);
    return process;
  }

  public JarProcess ups() {
    return upsRuns.get(upsRuns.size() - 1);
  }

  public List<JarProcess> upsRuns() {
    return List.copyOf(upsRuns);
  }

  public JarProcess world() {
    return world;
  }

  public JarProcess amazon() {
    return amazon;
  }

  /** SIGKILL, then wait for the process to be gone. */
  public static void kill(JarProcess process) {
    process.kill();
    process.awaitExit(Duration.ofSeconds(30));
  }

  private Path worldReportFile() {
    return dir.resolve("world-report.json");
  }

  private Path amazonReportFile() {
    return dir.resolve("amazon-report.json");
  }

  /** Amazon's latest report; empty until it wrote one. */
  public Optional<SimAmazonReport> amazonReport() {
    try {
      return Optional.of(SimAmazonReport.read(amazonReportFile()));
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) return Optional.empty();
      throw e;
    }
  }

  /** The World's latest report on Amazon's world; empty until both wrote one. */
  public Optional<SimWorldReport.WorldEntry> worldReport() {
    Optional<SimAmazonReport> amazonSide = amazonReport();
    if (amazonSide.isEmpty() || !Files.exists(worldReportFile())) return Optional.empty();
    return Optional.ofNullable(SimWorldReport.read(worldReportFile()).worlds().get(amazonSide.get().worldId()));
  }

  public long delivered() {
    return amazonReport().map(r -> r.shipments().values().stream().filter(s -> s.delivered() > 0).count()).orElse(0L);
  }

  /** Waits until Amazon heard of at least this many deliveries. */
  public void awaitDelivered(long count, Duration patience) {
    await(count + " deliveries in " + scenario).atMost(patience).pollInterval(Duration.ofMillis(200)).until(() -> delivered() >= count);
  }

  /**
   * Waits until every package is delivered and every item on every link acked (the UPS outboxes
   * included, from its /metrics); returns the breaches of the invariants then (none is the pass).
   */
  public List<String> awaitSettled(Duration patience) {
    // The reports are rewritten at most every 250 ms each: a settled snapshot counts once the
    // next one, 600 ms later, is the same (neither report was still behind the other).
    Snapshot[] previous = {null};
    Snapshot settled;
    try {
      settled =
          await("every package of " + scenario + " delivered and every item acked")
              .atMost(patience)
              .pollInterval(Duration.ofMillis(600))
              .until(this::snapshot, now -> {
                boolean stable = now.settled() && now.equals(previous[0]);
                previous[0] = now;
                return stable;
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(journalOfLostDeliveries(previous[0]) + "\n" + e.getMessage(), e);
    }
    return Invariants.breaches(settings.packages(), settled.amazon(), settled.world());
  }

  /**
   * The journal rows of each package the World dropped and Amazon never heard delivered, and of the
   * truck that dropped it: which incarnation (writer) wrote what, so such a failure can be read
   * after the test's database is gone.
   */
  private String journalOfLostDeliveries(Snapshot last) {
    if (last == null || last.amazon() == null || last.world() == null) return "no reports to compare";
    List<String> ids = new ArrayList<>();
    last.world().deliveredAt().forEach((shipId, drop) -> {
      SimAmazonReport.Shipment shipment = last.amazon().shipments().get(shipId);
      if (shipment != null && shipment.delivered() == 0) {
        ids.add(Truck.ENTITY_KEY.name() + "|" + drop.truckId());
        ids.add(Shipment.ENTITY_KEY.name() + "|" + shipId);
      }
    });
    if (ids.isEmpty()) return "every package the World dropped was reported delivered to Amazon";
    StringBuilder rows = new StringBuilder("journal of the packages dropped but not reported delivered, and of their trucks:");
    String query = "SELECT persistence_id, sequence_number, writer, event_payload, write_timestamp FROM event_journal"
        + " WHERE persistence_id = ANY(?) ORDER BY persistence_id, sequence_number";
    try (Connection connection = DriverManager.getConnection(dbUrl, TestConfigs.pgUser(), "");
        PreparedStatement select = connection.prepareStatement(query)) {
      select.setArray(1, connection.createArrayOf("text", ids.toArray()));
      try (ResultSet row = select.executeQuery()) {
        while (row.next()) {
          rows.append("\n  ").append(row.getString(1)).append(" #").append(row.getLong(2)).append(" by ")
              .append(row.getString(3)).append(": ").append(typeName(row.getBytes(4))).append(" at ").append(row.getLong(5));
        }
      }
    } catch (SQLException e) {
      rows.append(" not readable (").append(e.getMessage()).append(')');
    }
    return rows.toString();
  }

  /** An event's type name, as its CBOR payload gives it. */
  private static String typeName(byte[] payload) {
    try {
      return CBOR.readTree(payload).path("type").asText("?");
    } catch (IOException e) {
      return "unreadable";
    }
  }



  /** Both reports and the UPS outboxes, read one after the other. */
  private record Snapshot(SimAmazonReport amazon, SimWorldReport.WorldEntry world, Optional<Long> upsUnacked) {
    boolean settled() {
      return amazon != null && world != null && amazon.allDelivered()
          && amazon.unackedToUps() == 0 && amazon.unackedToWorld() == 0
          && world.upsUnacked() == 0 && world.amazonUnacked() == 0
          && upsUnacked.map(n -> n == 0).orElse(false);
    }
  }

  private Snapshot snapshot() {
    return new Snapshot(amazonReport().orElse(null), worldReport().orElse(null), upsUnacked());
  }

  /**
   * Items the UPS outboxes hold unacked, from the /metrics of the latest UPS process that answers
   * (in a cluster each node asks the outboxes wherever they run); empty while none answers.
   */
  public Optional<Long> upsUnacked() {
    for (JarProcess ups : reversed(upsRuns)) {
      if (!ups.isAlive()) continue;
      Optional<Long> unacked = upsUnacked(upsHttpPorts.get(ups));
      if (unacked.isPresent()) return unacked;
    }
    return Optional.empty();
  }

  private static Optional<Long> upsUnacked(int port) {
    return metric(port, UNACKED);
  }

  /** The sum of a UPS metric over both peers, from /metrics on {@code port}; empty unless both are there. */
  public static Optional<Long> metric(int port, Pattern perPeer) {
    try {
      HttpResponse<String> metrics =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (metrics.statusCode() != 200) return Optional.empty();
      Matcher m = perPeer.matcher(metrics.body());
      long total = 0;
      int peers = 0;
      while (m.find()) {
        total += (long) Double.parseDouble(m.group(2));
        peers++;
      }
      return peers == 2 ? Optional.of(total) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Members with status Up in the cluster as the node serving HTTP on {@code port} sees it (0: no answer). */
  public static long upMembers(int port) {
    try {
      long up = 0;
      for (var member : Health.of(port).body().path("cluster").path("members")) {
        if (member.path("status").asText().equals("Up")) up++;
      }
      return up;
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** The highest resident set size of the process so far, in MiB (Linux's VmHWM). */
  public static long peakRssMib(JarProcess process) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** SIGTERM to each process, UPS first (it leaves its peers), then the simulators. */
  @Override
  public void close() {
    for (JarProcess process : reversed(processes)) {
      if (process.isAlive()) process.terminate();
      try {
        process.awaitExit(Duration.ofSeconds(15));
      } catch (AssertionError stillRunning) {
        process.close();
      }
    }
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> copy = new ArrayList<>(list);
    java.util.Collections.reverse(copy);
    return copy;
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) return;
    try (var paths = Files.walk(path)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
