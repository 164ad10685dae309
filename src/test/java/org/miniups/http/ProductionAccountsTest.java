package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;

/**
 * Accounts as deployed: bcrypt at its production cost (10) on its default pool and queue, and the
 * session cookie marked Secure (SESSION_COOKIE_SECURE=true), over real HTTP on loopback.
 */
class ProductionAccountsTest {
  private static final int CLIENTS = 48;
  private static final int LOGINS = 600;
  private static TrackingFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = new TrackingFixture(
        TestConfigs.Database.H2,
        Map.of("mini-ups.accounts.bcrypt-cost", 10, "mini-ups.accounts.session-cookie-secure", true));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  private static HttpRequest login(String username, String password) {
    return HttpRequest.newBuilder(URI.create(fixture.url("/api/sessions"))).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("X-Requested-With", "mini-ups")
        .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}"))
        .build();
  }

  /**
   * Anonymous logins for names nobody has (each still costs a bcrypt check, against a decoy) from
   * 48 clients at once: bcrypt's bounded pool answers what it cannot take with a 503 and
   * Retry-After, and the node stays responsive. The bound on /health is generous (1 s) on purpose.
   */
  @Test
  void healthAnswersWithinASecondWhile48ClientsFire600LoginsForUnknownNames() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    AtomicInteger busyWithoutRetryAfter = new AtomicInteger();
    ConcurrentLinkedQueue<Long> healthMillis = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> healthFailures = new ConcurrentLinkedQueue<>();
    HttpRequest health = HttpRequest.newBuilder(URI.create(fixture.url("/health"))).timeout(Duration.ofSeconds(10)).build();

    http.send(health, HttpResponse.BodyHandlers.ofString()); // warm: the first answer of a fresh node is not the point
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();
    try {
      poller.scheduleWithFixedDelay(() -> {
        long started = System.nanoTime();
        try {
          http.send(health, HttpResponse.BodyHandlers.ofString());
          healthMillis.add((System.nanoTime() - started) / 1_000_000);
        } catch (Exception e) {
          healthFailures.add(e);
        }
      }, 0, 50, TimeUnit.MILLISECONDS);
      List<CompletableFuture<Void>> logins = new ArrayList<>();
      for (int i = 0; i < LOGINS; i++) {
        String name = "nobody-" + i;
        logins.add(CompletableFuture.runAsync(() -> {
          try {
            HttpResponse<String> answer = http.send(login(name, "not a password " + name), HttpResponse.BodyHandlers.ofString());
            statuses.computeIfAbsent(answer.statusCode(), s -> new AtomicInteger()).incrementAndGet();
            if (answer.statusCode() == 503 && answer.headers().firstValue("Retry-After").isEmpty()) busyWithoutRetryAfter.incrementAndGet();
          } catch (Exception e) {
            statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
          }
        }, clients));
      }
      CompletableFuture.allOf(logins.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    } finally {
      poller.shutdown(); // no new poll; the one under way is measured too
      poller.awaitTermination(15, TimeUnit.SECONDS);
      clients.shutdownNow();
    }

    String seen = "login answers " + statuses + ", /health in ms " + healthMillis;
    assertEquals(List.of(), List.copyOf(healthFailures), seen);
    assertTrue(healthMillis.size() >= 3, "/health polled while the logins ran: " + seen);
    assertTrue(healthMillis.stream().allMatch(ms -> ms < 1000), "every /health under 1 s: " + seen);
    assertEquals(LOGINS, statuses.values().stream().mapToInt(AtomicInteger::get).sum(), seen);
    assertTrue(Set.of(401, 429, 503).containsAll(statuses.keySet()), "only 401, 429 and 503: " + seen);
    assertTrue(statuses.containsKey(401), "unknown names still get their bcrypt check: " + seen);
    assertTrue(statuses.containsKey(503), "the bcrypt queue is bounded: " + seen);
    assertEquals(0, busyWithoutRetryAfter.get(), "every 503 says when to come back");
  }

  @Test
  void theSessionCookieIsSecureWhenConfigured() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> created = http.send(
        HttpRequest.newBuilder(URI.create(fixture.url("/api/users"))).header("Content-Type", "application/json")
            .header("X-Requested-With", "mini-ups")
            .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"tls-user\",\"password\":\"correct horse\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, created.statusCode(), created.body());
    HttpResponse<String> in = http.send(login("tls-user", "correct horse"), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, in.statusCode(), in.body());
    String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(cookie.startsWith("session=") && cookie.contains("; Secure"), cookie);
  }
}
