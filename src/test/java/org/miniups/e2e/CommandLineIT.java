package org.miniups.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.FreePorts;

/**
 * The jar as operators meet it: a bad option, a taken port or a database that is not there is one
 * line that says what to do and a non-zero exit; SIGTERM stops a running demo within 10 s without
 * an ERROR line or a stack trace, ending its live-update streams; {@code --exit-when-done} ends
 * with its summary.
 */
class CommandLineIT {
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration CLEAN_STOP = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final List<JarProcess> processes = new ArrayList<>();

  @AfterEach
  void stopAll() {
    processes.forEach(JarProcess::close);
  }

  private JarProcess run(String name, Map<String, String> env, String... args) {
    JarProcess process = JarProcess.start(name, env, args);
    processes.add(process);
    return process;
  }

  /** The process printed exactly one line, it says {@code expected}, and it exited with {@code status}. */
  private static void assertOneLine(JarProcess process, int status, String expected) {
    assertEquals(status, process.awaitExit(START), "exit status of " + process.name());
    List<String> lines = process.lines().stream().filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d+ (INFO|WARN) .*")).toList();
    assertEquals(1, lines.size(), "one line besides the log, got " + lines);
    assertTrue(lines.get(0).contains(expected), "'" + lines.get(0) + "' should say " + expected);
    assertEquals(List.of(), process.errorLines(), "no ERROR line and no stack trace");
  }

  @Test
  void aBadOptionValueIsOneLineAndExitStatusTwo() {
    assertOneLine(run("demo-rate-0", Map.of(), "demo", "--rate", "0"), 2, "invalid option: rate must be a positive number");
    assertOneLine(run("demo-rate-abc", Map.of(), "demo", "--rate", "abc"), 2, "Invalid value for option '--rate'");
    assertOneLine(run("serve-bogus", Map.of(), "serve", "--bogus"), 2, "Unknown option: '--bogus' (see 'mini-ups serve --help')");
    assertOneLine(run("demo-timeout", Map.of(), "demo", "--timeout", "soon"), 2, "not a duration: soon (try 5s or 500ms)");
  }

  @Test
  void aTakenHttpPortIsOneLineNamingThePortAndTheVariable() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      JarProcess serve =
          run("serve-taken-port", Map.of("HTTP_PORT", String.valueOf(taken.getLocalPort()), "CLUSTER_PORT", "0"), "serve");
      assertOneLine(
          serve, 1,
          "could not serve HTTP on port " + taken.getLocalPort() + ": ");
      assertTrue(serve.lines().stream().anyMatch(l -> l.contains("set HTTP_PORT to a free port")), "says what to do");
    }
  }

  @Test
  void aTakenClusterPortOrABadSeedNodeListIsOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      assertOneLine(
          run("serve-taken-cluster-port", Map.of("CLUSTER_PORT", String.valueOf(taken.getLocalPort()), "HTTP_PORT", "0"), "serve"),
          1, "could not open the cluster port 127.0.0.1:" + taken.getLocalPort());
    }
    assertOneLine(
        run("serve-bad-seed-nodes", Map.of("CLUSTER_SEED_NODES", "pekko://mini-ups@127.0.0.1:25520,127.0.0.1:25521"), "serve"),
        2, "CLUSTER_SEED_NODES: '127.0.0.1:25521' is not a seed node address such as pekko://mini-ups@10.0.0.1:25520");
  }

  /** Before it touches the database: anyone who knows the secret can sign a session for any account. */
  @Test
  void serveRefusesAMissingShortOrPublishedSessionSecretInOneLine() {
    assertOneLine(run("serve-no-secret", Map.of("SESSION_SECRET", ""), "serve"), 1, "mini-UPS could not start: SESSION_SECRET is not set");
    assertOneLine(
        run("serve-short-secret", Map.of("SESSION_SECRET", "x".repeat(31)), "serve"), 1,
        "mini-UPS could not start: SESSION_SECRET must be at least 32 bytes");
    assertOneLine(
        run("serve-published-secret", Map.of("SESSION_SECRET", "change-this-cluster-secret"), "serve"), 1,
        "mini-UPS could not start: SESSION_SECRET is a value published in the mini-UPS repository");
  }

  @Test
  void aDatabaseThatIsNotThereOrAWrongUrlIsOneLine() {
    int nobody = FreePorts.next();
    assertOneLine(
        run("serve-no-database", Map.of("DB_URL", "jdbc:postgresql://127.0.0.1:" + nobody + "/ups", "CLUSTER_PORT", "0"), "serve"),
        1, "Could not prepare the database at jdbc:postgresql://127.0.0.1:" + nobody + "/ups: Connection refused (is the database running? check DB_URL");
    assertOneLine(
        run("serve-wrong-url", Map.of("DB_URL", "jdbc:nonsense:ups", "CLUSTER_PORT", "0"), "serve"),
        1, "Could not prepare the database at jdbc:nonsense:ups");
  }

  @Test
  void sigtermStopsTheDemoWithinTenSecondsCleanlyEndingLiveStreamsOnTheConfiguredPort() throws Exception {
    int port = FreePorts.next();
    JarProcess demo = run("demo-sigterm", Map.of("HTTP_PORT", String.valueOf(port)), "demo", "--packages", "400", "--rate", "20", "--speed", "300");
    demo.awaitLine(l -> l.equals("Tracking site and API at http://localhost:" + port + "/"), START);

    String token = login(port);
    String trackingNumber =
        await("a package for the demo account")
            .atMost(START)
            .until(() -> firstPackage(port, token), n -> !n.isEmpty());
    CompletableFuture<HttpResponse<Stream<String>>> stream =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/packages/" + trackingNumber + "/events")).build(),
            HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> events = stream.get(30, TimeUnit.SECONDS);
    assertEquals(200, events.statusCode());
    List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    // Ends rather than hangs; how its last bytes meet the connection's close is pekko-http's.
    CompletableFuture<Void> streamEnded =
        CompletableFuture.runAsync(() -> events.body().forEach(received::add)).exceptionally(closed -> null);
    await("the package's first live update").atMost(START).until(() -> received.stream().anyMatch(l -> l.startsWith("data:")));

    long stopping = System.nanoTime();
    demo.terminate();
    int status = demo.awaitExit(CLEAN_STOP);
    assertTrue(status == 0 || status == 143, "exit status 0 or 143 (SIGTERM), was " + status);
    assertTrue(Duration.ofNanos(System.nanoTime() - stopping).compareTo(CLEAN_STOP) < 0);
    streamEnded.get(5, TimeUnit.SECONDS);
    assertEquals(List.of(), demo.errorLines(), "no ERROR line and no stack trace on the way down");
    assertTrue(
        demo.lines().stream().anyMatch(l -> l.contains("disconnect requested")),
        () -> "UPS said goodbye to the World; the demo printed:\n" + String.join("\n", demo.lines()));
  }

  @Test
  void sigtermStopsServeWithinTenSecondsCleanlyWhileItsPeersAreAway() {
    int world = FreePorts.next();
    int amazon = FreePorts.next();
    JarProcess serve =
        run("serve-sigterm",
            Map.of("WORLD_HOST", "127.0.0.1", "WORLD_PORT", String.valueOf(world), "WORLD_ID", "1",
                "AMAZON_HOST", "127.0.0.1", "AMAZON_PORT", String.valueOf(amazon),
                "HTTP_PORT", "0", "CLUSTER_PORT", "0"),
            "serve");
    serve.awaitLine(l -> l.contains("Amazon at 127.0.0.1:" + amazon + " is not reachable"), START);
    serve.terminate();
    int status = serve.awaitExit(CLEAN_STOP);
    assertTrue(status == 0 || status == 143, "exit status 0 or 143 (SIGTERM), was " + status);
    assertEquals(List.of(), serve.errorLines(), "no ERROR line and no stack trace on the way down");
  }

  @Test
  void exitWhenDoneEndsWithItsSummaryAsTheLastLine() {
    JarProcess demo =
        run("demo-exit-when-done", Map.of("HTTP_PORT", "0"),
            "demo", "--packages", "20", "--rate", "20", "--speed", "2000", "--exit-when-done");
    assertEquals(0, demo.awaitExit(START), "every package delivered exactly once");
    List<String> lines = demo.lines();
    assertTrue(lines.get(lines.size() - 1).matches("delivered 20/20 in \\d+\\.\\ds"), "last line: " + lines.get(lines.size() - 1));
    assertEquals(List.of(), demo.errorLines());
  }

  private static String login(int port) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/sessions"))
                .header("Content-Type", "application/json")
                .header("X-Requested-With", "mini-ups")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"demo\",\"password\":\"demo-password\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body()).path("token").asText();
  }

  private static String firstPackage(int port, String token) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/me/packages"))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode packages = JSON.readTree(response.body()).path("items");
    return packages.isArray() && packages.size() > 0 ? packages.get(0).path("trackingNumber").asText() : "";
  }
}
