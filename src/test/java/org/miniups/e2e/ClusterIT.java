package org.miniups.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.FreePorts;

/**
 * mini-UPS as a Pekko Cluster of three {@code serve} processes on loopback, on one PostgreSQL
 * journal, beside the simulated World and Amazon as processes of their own. The node that holds
 * the singletons (the links, their outboxes and inboxes, the SequenceAllocator) is lost mid-run,
 * and the run still ends with the resilience suite's invariants. {@code .ci/run} runs the quick
 * sizes; {@code bench/cluster.sh} the full one (1 000 packages), whose figures land in {@code
 * target/resilience/cluster-*.json} and one summary line.
 */
class ClusterIT {
  static final boolean FULL = Boolean.getBoolean("cluster.full");
  private static final Duration PATIENCE = Duration.ofMinutes(FULL ? 15 : 5);
  private static final Duration NODE_START = Duration.ofSeconds(90);
  private static final Pattern SENT = Pattern.compile("^miniups_messages_sent\\{peer=\"(\\w+)\"} ([0-9.]+)", Pattern.MULTILINE);
  private static final Pattern RESENT = Pattern.compile("^miniups_messages_resent\\{peer=\"(\\w+)\"} ([0-9.]+)", Pattern.MULTILINE);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One node's fixed ports: a restarted node comes back at the same address. */
  record Node(int clusterPort, int httpPort) {
    String address() {
      return "pekko://mini-ups@127.0.0.1:" + clusterPort;
    }
  }

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final List<Node> nodes = List.of(node(), node(), node());
  private final Map<Node, JarProcess> running = new LinkedHashMap<>();
  private ThreeProcessRun run;

  private static Node node() {
    return new Node(FreePorts.next(), FreePorts.next());
  }

  @AfterEach
  void stopAll() throws Exception {
    for (AutoCloseable resource : resources) resource.close();
  }

  private void startRun(String scenario, int packages) {
    // Resends after 1 s rather than the suite's 300 ms: three JVMs of UPS share 2 cores with the
    // simulators here, acks often take longer than 300 ms, and every early resend is more work.
    run = new ThreeProcessRun(scenario, ThreeProcessRun.defaults().withPackages(packages).withRate(25).withResendInterval("1s"));
    resources.add(0, run);
    run.startWorld();
    run.startAmazon();
    // All three at once, as an orchestrator starts them: they form the cluster among themselves.
    nodes.forEach(this::start);
    running.values().forEach(ThreeProcessRun::awaitServing);
    await("three members up, seen from every node")
        .atMost(NODE_START)
        .until(() -> nodes.stream().allMatch(n -> ThreeProcessRun.upMembers(n.httpPort()) == 3));
    assertEquals(List.of(), Invariants.unexpectedErrors(run.upsRuns(), List.of()), "ERROR lines while the cluster formed");
  }

  private JarProcess start(Node node) {
    String seeds = nodes.stream().map(Node::address).collect(Collectors.joining(","));
    JarProcess process =
        run.startUps(Map.of(
            "CLUSTER_PORT", String.valueOf(node.clusterPort()),
            "HTTP_PORT", String.valueOf(node.httpPort()),
            "CLUSTER_SEED_NODES", seeds));
    running.put(node, process);
    return process;
  }

  @Test
  void theSingletonsNodeKilledTwiceLosesNothing() throws Exception {
    int packages = FULL ? 1000 : 150;
    long started = System.nanoTime();
    startRun("cluster-sigkill", packages);
    List<Double> failovers = new ArrayList<>();
    List<Long> resentAtFailover = new ArrayList<>();
    for (int kill = 1; kill <= 2; kill++) {
      run.awaitDelivered((long) kill * packages / 3, PATIENCE);
      Node holder = singletonsNode();
      long lost = System.nanoTime();
      ThreeProcessRun.kill(running.get(holder));
      Node successor = awaitLinksUpElsewhere(holder);
      failovers.add(seconds(lost));
      resentAtFailover.add(ThreeProcessRun.metric(successor.httpPort(), RESENT).orElse(-1L));
      assertNotEquals(holder, successor);
      // The orchestrator replaces the lost node; it joins again at the same address.
      ThreeProcessRun.awaitServing(start(holder));
    }
    List<String> breaches = run.awaitSettled(PATIENCE);
    double seconds = seconds(started);
    assertEquals(List.of(), breaches, "invariants");
    assertEveryNodeTracksEveryPackage(packages);
    assertEquals(List.of(), Invariants.unexpectedErrors(run.upsRuns(), List.of()), "ERROR lines in the UPS logs");
    Map<String, Object> figures = figures(packages);
    figures.put("nodes", 3);
    figures.put("sigkillsOfTheSingletonsNode", 2);
    figures.put("linksUpAgainAfterSeconds", failovers);
    figures.put("resentByTheNewSingletonsAsTheLinksCameUp", resentAtFailover);
    figures.put("worldDuplicates", run.worldReport().orElseThrow().duplicates());
    figures.put("seconds", seconds);
    record("cluster-sigkill", figures);
    System.out.printf(
        "cluster: %d/%d packages delivered exactly once, 3 nodes, the singletons' node SIGKILLed twice, links up again"
            + " after %s s, %d causal-order violations, %d unacked, %.1f s in all%n",
        packages - (long) figures.get("lost") - (long) figures.get("duplicated"), packages, failovers,
        (long) figures.get("causalOrderViolations"), run.upsUnacked().orElse(-1L), seconds);
  }

  @Test
  void theSingletonsNodeStoppedGracefullyHandsTheLinksOverAndAnotherNodeStopsWithoutTouchingThem() throws Exception {
    int packages = FULL ? 1000 : 150;
    long started = System.nanoTime();
    startRun("cluster-sigterm", packages);
    run.awaitDelivered(packages / 3, PATIENCE);
    Node holder = singletonsNode();
    long worldDuplicatesBefore = run.worldReport().orElseThrow().duplicates();
    long stopping = System.nanoTime();
    JarProcess leaving = running.get(holder);
    leaving.terminate();
    int status = leaving.awaitExit(Duration.ofSeconds(30));
    double stopSeconds = seconds(stopping);
    Node successor = awaitLinksUpElsewhere(holder);
    double handover = seconds(stopping);
    long resentAsTheLinksCameUp = ThreeProcessRun.metric(successor.httpPort(), RESENT).orElse(-1L);
    // A node without the singletons stops too: it hands its shards over and leaves the links be.
    Node bystander = live().stream().filter(n -> !n.equals(successor)).findFirst().orElseThrow();
    JarProcess bystanding = running.get(bystander);
    bystanding.terminate();
    int bystanderStatus = bystanding.awaitExit(Duration.ofSeconds(30));
    List<String> breaches = run.awaitSettled(PATIENCE);
    assertEquals(List.of(), breaches, "invariants");
    assertTrue(status == 0 || status == 143, "exit status 0 or 143 (SIGTERM), was " + status);
    assertTrue(bystanderStatus == 0 || bystanderStatus == 143, "exit status 0 or 143 (SIGTERM), was " + bystanderStatus);
    assertEquals(
        List.of("Connected to Amazon", "Connected to the World"),
        running.get(successor).lines().stream()
            .filter(l -> l.contains("LinkConnection - Connected to"))
            .map(l -> l.substring(l.indexOf("Connected to"), l.indexOf(" at ")))
            .sorted()
            .toList(),
        "the new singletons' node connected once to each peer, and stayed connected when another node stopped");
    assertEquals(List.of(), Invariants.unexpectedErrors(run.upsRuns(), List.of()), "ERROR lines in the UPS logs");
    long resentAfterHandover = ThreeProcessRun.metric(successor.httpPort(), RESENT).orElseThrow();
    long sentAfterHandover = ThreeProcessRun.metric(successor.httpPort(), SENT).orElseThrow();
    // Reported, not asserted: under load some acks take longer than the resend interval anyway.
    long worldDuplicates = run.worldReport().orElseThrow().duplicates() - worldDuplicatesBefore;
    Map<String, Object> figures = figures(packages);
    figures.put("nodes", 3);
    figures.put("stopSeconds", stopSeconds);
    figures.put("linksUpAgainAfterSeconds", handover);
    figures.put("resentByTheNewSingletonsAsTheLinksCameUp", resentAsTheLinksCameUp);
    figures.put("sentByTheNewSingletons", sentAfterHandover);
    figures.put("resentByTheNewSingletons", resentAfterHandover);
    figures.put("worldDuplicatesSinceTheStop", worldDuplicates);
    figures.put("seconds", seconds(started));
    record("cluster-sigterm", figures);
    System.out.printf(
        "cluster graceful: %d packages, the singletons' node stopped in %.1f s, links up again after %.1f s,"
            + " the new singletons re-sent %d items as the links came up, %d in all (of %d sent), the World saw %d"
            + " repeats%n",
        packages, stopSeconds, handover, resentAsTheLinksCameUp, resentAfterHandover, sentAfterHandover, worldDuplicates);
  }

  /**
   * Every node answers the tracking API for packages whose shipments live on any node, the same
   * way: each of a sample of tracking numbers is delivered, seen from every node.
   */
  private void assertEveryNodeTracksEveryPackage(int packages) throws Exception {
    List<String> sample = new ArrayList<>();
    try (var db = java.sql.DriverManager.getConnection(run.dbUrl(), System.getProperty("test.pg.user", "postgres"), "");
        var rows = db.createStatement().executeQuery("SELECT tracking_number FROM tracking_number ORDER BY ship_id")) {
      for (int row = 0; rows.next(); row++) if (row % Math.max(1, packages / 20) == 0) sample.add(rows.getString(1));
    }
    assertTrue(sample.size() >= 10, "a sample of tracking numbers: " + sample);
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    for (Node node : live()) {
      for (String number : sample) {
        var response =
            http.send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + node.httpPort() + "/api/packages/" + number))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), number + " from " + node.address() + ": " + response.body());
        assertEquals("delivered", new ObjectMapper().readTree(response.body()).path("status").asText(), number + " from " + node.address());
      }
    }
  }

  /** Where every live node says the singletons run (they agree once the cluster has settled). */
  private Node singletonsNode() {
    return await("every live node names the same singletons' node")
        .atMost(PATIENCE)
        .until(
            () -> {
              List<String> seen = new ArrayList<>();
              for (Node node : live()) seen.add(health(node).map(h -> h.path("cluster").path("singletons").asText()).orElse(""));
              return seen.stream().distinct().count() == 1 ? nodeAt(seen.get(0)) : Optional.<Node>empty();
            },
            Optional::isPresent)
        .orElseThrow();
  }

  /** Waits until a live node reports both links up, run by a node other than {@code lost}; returns that node. */
  private Node awaitLinksUpElsewhere(Node lost) {
    return await("the links up again on another node than " + lost.address())
        .atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              for (Node node : live()) {
                Optional<JsonNode> health = health(node);
                if (health.isEmpty()) continue;
                JsonNode h = health.get();
                Optional<Node> at = nodeAt(h.path("cluster").path("singletons").asText());
                if (h.path("world").path("connected").asBoolean() && h.path("amazon").path("connected").asBoolean()
                    && at.isPresent() && !at.get().equals(lost)) {
                  return at;
                }
              }
              return Optional.<Node>empty();
            },
            Optional::isPresent)
        .orElseThrow();
  }

  private List<Node> live() {
    return nodes.stream().filter(n -> running.get(n) != null && running.get(n).isAlive()).toList();
  }

  private Optional<Node> nodeAt(String address) {
    return nodes.stream().filter(n -> n.address().equals(address)).findFirst();
  }

  private static Optional<JsonNode> health(Node node) {
    try {
      return Optional.of(Health.of(node.httpPort()).body());
    } catch (Exception notAnswering) {
      return Optional.empty();
    }
  }

  private Map<String, Object> figures(int packages) {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("packages", packages);
    figures.putAll(Invariants.figures(packages, run.amazonReport().orElseThrow(), run.worldReport().orElseThrow()));
    return figures;
  }

  private static void record(String scenario, Map<String, Object> figures) throws Exception {
    figures.put("full", FULL);
    Files.writeString(Path.of("target", "resilience", scenario + ".json"), JSON.writeValueAsString(figures));
  }

  private static double seconds(long startedNanos) {
    return Math.round((System.nanoTime() - startedNanos) / 1e8) / 10.0;
  }
}
