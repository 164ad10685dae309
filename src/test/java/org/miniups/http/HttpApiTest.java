package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.miniups.TestConfigs;
import org.miniups.shipment.Shipment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API over a real socket: every endpoint, its errors as JSON, sessions, ownership, live updates. */
class HttpApiTest {
  private static TrackingFixture fixture;
  private static final AtomicLong nextShipId = new AtomicLong(1000);
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    fixture = new TrackingFixture(TestConfigs.Database.H2, Map.of("mini-ups.http.live-heartbeat", "300ms"));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  /** One user agent: its own cookie jar, like a browser. */
  private static final class Client {
    final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> send(String method, String path, String body, boolean csrfHeader) throws Exception {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(fixture.url(path))).timeout(Duration.ofSeconds(20))
              .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
              .header("Content-Type", "application/json");
      if (csrfHeader) request.header("X-Requested-With", "mini-ups");
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
      return send("GET", path, null, false);
    }

    HttpResponse<String> write(String method, String path, String body) throws Exception {
      return send(method, path, body, true);
    }

    /** Registers and logs in; returns the UPS profile id. */
    long signUp(String username) throws Exception {
      HttpResponse<String> created = write("POST", "/api/users", "{\"username\":\"" + username + "\",\"password\":\"correct horse\"}");
      assertEquals(201, created.statusCode(), created.body());
      assertEquals(200, write("POST", "/api/sessions", "{\"username\":\"" + username + "\",\"password\":\"correct horse\"}").statusCode());
      return json(created).get("id").asLong();
    }
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  /** An error: the status, JSON with a message. */
  private static void assertError(int status, HttpResponse<String> response, String fragment) throws Exception {
    assertFalse(fragment.isBlank(), "every message contains the empty string: name a fragment");
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), response.headers().toString());
    String message = json(response).get("error").asText();
    assertTrue(message.contains(fragment), "error \"" + message + "\" should mention \"" + fragment + "\"");
    assertFalse(response.body().contains("Exception"), "no stack trace or exception names: " + response.body());
  }

  private static String newPackage(Long owner) throws Exception {
    long shipId = nextShipId.incrementAndGet();
    String tn = fixture.createPackage(shipId, owner, 5, 6).trackingNumber();
    assertEquals(200, new Client().get("/api/packages/" + tn).statusCode(), "a number resolves as soon as it is registered");
    return tn;
  }

  @Test
  void anyoneCanTrackAPackageByItsNumber() throws Exception {
    String tn = newPackage(null);
    HttpResponse<String> found = new Client().get("/api/packages/" + tn.toLowerCase());
    assertEquals(200, found.statusCode());
    JsonNode view = json(found);
    assertEquals(tn, view.get("trackingNumber").asText());
    assertEquals("created", view.get("status").asText());
    assertEquals(12, view.get("warehouse").get("y").asInt());
    assertEquals(5, view.get("destination").get("x").asInt());
    assertEquals(10, view.get("position").get("x").asInt(), "resting at the warehouse");
    assertTrue(view.get("truckId").isNull());
    assertTrue(view.get("truckPosition").isNull(), "no truck yet");
    assertEquals("created", view.get("history").get(0).get("status").asText());
    assertTrue(view.get("history").get(0).get("at").asText().endsWith("Z"), "ISO-8601 UTC");
    assertNull(view.get("items"), "items only for the owner");
  }

  @Test
  void unknownMalformedAndHostileTrackingNumbersGetClearErrors() throws Exception {
    Client client = new Client();
    assertError(404, client.get("/api/packages/1Z0000000000000000"), "no package has the tracking number");
    assertError(400, client.get("/api/packages/hello"), "is not a tracking number");
    assertError(400, client.get("/api/packages/1Z'%20OR%201=1--"), "is not a tracking number");
    assertError(404, client.get("/api/nothing/here"), "nothing here: /api/nothing/here");
    assertError(405, client.send("DELETE", "/api/me", null, true), "method not allowed");
  }

  @Test
  void registrationValidatesItsInputAndNeverAnswersWithA500() throws Exception {
    Client client = new Client();
    HttpResponse<String> created = client.write("POST", "/api/users", "{\"username\":\"ada\",\"password\":\"analytical engine\",\"email\":\"ada@example.org\"}");
    assertEquals(201, created.statusCode(), created.body());
    assertTrue(json(created).get("id").asLong() >= 1001, "a numeric UPS profile id");
    assertFalse(created.body().contains("analytical"), "the password never comes back");

    assertError(409, client.write("POST", "/api/users", "{\"username\":\"ADA\",\"password\":\"another password\"}"), "username ada is already taken");
    assertError(400, client.write("POST", "/api/users", "{\"username\":\"bob\",\"password\":\"short\"}"), "password must be 8 to 128 characters");
    assertError(400, client.write("POST", "/api/users", "{\"username\":\"bob\""), "not valid JSON");
    assertError(400, client.write("POST", "/api/users", "[1,2]"), "JSON object");
    assertError(400, client.write("POST", "/api/users", "{\"username\":5,\"password\":\"long enough\"}"), "\"username\" must be a string");
    assertError(400, client.write("POST", "/api/users", "{\"password\":\"long enough\"}"), "\"username\" is required");
    assertError(400, client.write("POST", "/api/users", "{\"username\":\"x'; DROP TABLE ups_user;--\",\"password\":\"long enough\"}"), "username must be 3 to 32 characters");
    assertError(413, client.write("POST", "/api/users", "{\"username\":\"" + "a".repeat(40_000) + "\"}"), "too large");
  }

  @Test
  void sessionsAreHttpOnlyCookiesAndWritesNeedTheCsrfHeader() throws Exception {
    Client client = new Client();
    client.write("POST", "/api/users", "{\"username\":\"grace\",\"password\":\"cobol rocks\"}");
    assertError(401, client.write("POST", "/api/sessions", "{\"username\":\"grace\",\"password\":\"fortran\"}"), "wrong username or password");
    assertError(401, client.get("/api/me"), "log in");

    assertError(403, client.send("POST", "/api/sessions", "{\"username\":\"grace\",\"password\":\"cobol rocks\"}", false), "X-Requested-With");
    HttpResponse<String> login = client.write("POST", "/api/sessions", "{\"username\":\"grace\",\"password\":\"cobol rocks\"}");
    assertEquals(200, login.statusCode());
    String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(cookie.startsWith("session="), cookie);
    assertTrue(cookie.contains("HttpOnly"), cookie);
    assertTrue(cookie.contains("SameSite=Strict"), cookie);
    assertFalse(cookie.contains("Secure"), "plain HTTP unless SESSION_COOKIE_SECURE: " + cookie);
    assertEquals("grace", json(client.get("/api/me")).get("username").asText());

    // A bearer token works without cookies (and without the CSRF header).
    String token = json(login).get("token").asText();
    HttpResponse<String> bearer = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(fixture.url("/api/me"))).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, bearer.statusCode());
    assertError(401, HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(fixture.url("/api/me"))).header("Authorization", "Bearer " + token + "x").build(),
        HttpResponse.BodyHandlers.ofString()), "log in");

    assertEquals(204, client.write("DELETE", "/api/sessions", null).statusCode());
    assertError(401, client.get("/api/me"), "log in");
  }

  private static HttpResponse<String> withBearer(String method, String path, String token) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(fixture.url(path))).header("Authorization", "Bearer " + token)
            .method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A logged-out token is refused, as is every other token of the user (one version per user). */
  @Test
  void logoutEndsTheTokenAndEveryOtherSessionOfTheUser() throws Exception {
    Client laptop = new Client();
    laptop.signUp("hopper");
    Client phone = new Client();
    String phoneToken = json(phone.write("POST", "/api/sessions", "{\"username\":\"hopper\",\"password\":\"correct horse\"}")).get("token").asText();
    assertEquals(200, withBearer("GET", "/api/me", phoneToken).statusCode());

    assertEquals(204, withBearer("DELETE", "/api/sessions", phoneToken).statusCode());
    assertError(401, withBearer("GET", "/api/me", phoneToken), "log in");
    assertError(401, laptop.get("/api/me"), "log in");
    assertEquals(204, withBearer("DELETE", "/api/sessions", phoneToken).statusCode(), "logging out twice is fine");
    assertEquals(200, laptop.write("POST", "/api/sessions", "{\"username\":\"hopper\",\"password\":\"correct horse\"}").statusCode());
    assertEquals("hopper", json(laptop.get("/api/me")).get("username").asText(), "a new login works");
  }

  @Test
  void aNewPasswordFollowsTheSignUpRulesAndEndsEveryOlderSession() throws Exception {
    Client browser = new Client();
    browser.signUp("lovelace");
    String other = json(new Client().write("POST", "/api/sessions", "{\"username\":\"lovelace\",\"password\":\"correct horse\"}")).get("token").asText();
    String path = "/api/me/password";
    assertError(401, new Client().write("POST", path, "{\"current\":\"correct horse\",\"new\":\"battery staple\"}"), "log in");
    assertError(403, browser.send("POST", path, "{\"current\":\"correct horse\",\"new\":\"battery staple\"}", false), "X-Requested-With");
    assertError(400, browser.write("POST", path, "{\"current\":\"correct horse\",\"new\":\"short\"}"), "password must be 8 to 128 characters");
    assertError(400, browser.write("POST", path, "{\"current\":\"correct horse\"}"), "\"new\" is required");
    assertError(403, browser.write("POST", path, "{\"current\":\"wrong horse\",\"new\":\"battery staple\"}"), "the current password is wrong");
    assertEquals(200, withBearer("GET", "/api/me", other).statusCode(), "nothing changed yet");

    HttpResponse<String> changed = browser.write("POST", path, "{\"current\":\"correct horse\",\"new\":\"battery staple\"}");
    assertEquals(200, changed.statusCode(), changed.body());
    assertTrue(changed.headers().firstValue("Set-Cookie").orElse("").startsWith("session="), "a fresh session cookie");
    assertFalse(changed.body().contains("battery"), "the password never comes back");
    assertError(401, withBearer("GET", "/api/me", other), "log in");
    assertEquals(200, withBearer("GET", "/api/me", json(changed).get("token").asText()).statusCode(), "the fresh token works");
    assertEquals("lovelace", json(browser.get("/api/me")).get("username").asText(), "so does the fresh cookie");
    assertError(401, new Client().write("POST", "/api/sessions", "{\"username\":\"lovelace\",\"password\":\"correct horse\"}"), "wrong username or password");
    assertEquals(200, new Client().write("POST", "/api/sessions", "{\"username\":\"lovelace\",\"password\":\"battery staple\"}").statusCode());
  }

  /** A 16 000-character username is refused as such before the limiter counts anything. */
  @Test
  void anOverlongUsernameIsA400NotALimiterEntry() throws Exception {
    Client client = new Client();
    String body = "{\"username\":\"" + "m".repeat(16_000) + "\",\"password\":\"correct horse\"}";
    for (int i = 0; i < 4; i++) assertError(400, client.write("POST", "/api/sessions", body), "username must be at most 32");
  }

  @Test
  void loginIsRateLimited() throws Exception {
    Client client = new Client();
    client.write("POST", "/api/users", "{\"username\":\"mallory-target\",\"password\":\"a good password\"}");
    for (int i = 0; i < 3; i++) {
      assertEquals(401, client.write("POST", "/api/sessions", "{\"username\":\"mallory-target\",\"password\":\"guess " + i + "\"}").statusCode());
    }
    HttpResponse<String> limited = client.write("POST", "/api/sessions", "{\"username\":\"mallory-target\",\"password\":\"a good password\"}");
    assertError(429, limited, "too many");
    assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElse("0")) > 0, "says when: " + limited.headers());
  }

  @Test
  void onlyTheOwnerSeesItemsAndChangesTheDestinationUntilItIsOutForDelivery() throws Exception {
    Client owner = new Client();
    long ownerId = owner.signUp("olivia");
    Client stranger = new Client();
    stranger.signUp("sam");
    long shipId = nextShipId.incrementAndGet();
    String tn = fixture.createPackage(shipId, ownerId, 5, 6).trackingNumber();

    JsonNode mine = json(owner.get("/api/packages/" + tn));
    assertEquals("teapot", mine.get("items").get(0).get("description").asText());
    assertTrue(mine.get("owned").asBoolean());
    assertEquals(ownerId, mine.get("ownerId").asLong());
    assertNull(json(stranger.get("/api/packages/" + tn)).get("items"));
    assertNull(json(stranger.get("/api/packages/" + tn)).get("ownerId"), "the owner only for the owner");

    String path = "/api/packages/" + tn + "/destination";
    assertError(401, new Client().write("PUT", path, "{\"x\":1,\"y\":2}"), "log in");
    assertError(403, stranger.write("PUT", path, "{\"x\":1,\"y\":2}"), "owner");
    assertError(400, owner.write("PUT", path, "{\"x\":\"north\",\"y\":2}"), "\"x\" must be a whole number");
    assertError(400, owner.write("PUT", path, "{\"x\":1e30,\"y\":2}"), "\"x\" must be a whole number");
    assertError(400, owner.write("PUT", path, "{\"x\":99999999999,\"y\":2}"), "\"x\" must be a whole number");
    assertError(400, owner.write("PUT", path, "{\"x\":1}"), "\"y\" is required");

    HttpResponse<String> moved = owner.write("PUT", path, "{\"x\":-7,\"y\":8}");
    assertEquals(200, moved.statusCode(), moved.body());
    assertEquals(-7, json(moved).get("destination").get("x").asInt());

    // The truck collects it and leaves with the new destination; from then on it is frozen.
    fixture.assignTruck(shipId, 5, 6);
    TrackingFixture.await(() -> json(owner.get("/api/packages/" + tn)).get("truckId").asInt() == 1, "truck 1 shown");
    JsonNode coming = json(owner.get("/api/packages/" + tn));
    assertEquals(0, coming.get("truckPosition").get("x").asInt(), "the truck is shown on its way (it starts at 0,0)");
    assertEquals(10, coming.get("position").get("x").asInt(), "the package still waits at the warehouse");
    fixture.truckArrives();
    fixture.loaded(shipId);
    assertEquals(-7, fixture.shipment(shipId).destX(), "the truck left with the owner's destination");
    HttpResponse<String> late = owner.write("PUT", path, "{\"x\":3,\"y\":3}");
    assertError(409, late, "too late: the package is already out for delivery");
    assertFalse(json(owner.get("/api/packages/" + tn)).get("canChangeDestination").asBoolean());
    fixture.delivered(shipId);
    fixture.truckIdle();
  }

  @Test
  void myPackagesListsLinkedAndClaimedPackagesNewestFirst() throws Exception {
    Client user = new Client();
    long userId = user.signUp("liam");
    String first = newPackage(userId);
    String second = newPackage(userId);
    String unlinked = newPackage(null);

    HttpResponse<String> claimed = user.write("POST", "/api/me/packages", claim(unlinked, 5, 6));
    assertEquals(200, claimed.statusCode(), claimed.body());
    TrackingFixture.await(() -> json(user.get("/api/me/packages")).get("total").asInt() == 3, "the claimed package listed");
    JsonNode page = json(user.get("/api/me/packages?page=0&size=2"));
    assertEquals(3, page.get("total").asInt());
    List<String> numbers = new ArrayList<>();
    page.get("items").forEach(item -> numbers.add(item.get("trackingNumber").asText()));
    assertEquals(List.of(unlinked, second), numbers, "newest first, two per page");
    assertEquals(first, json(user.get("/api/me/packages?page=1&size=2")).get("items").get(0).get("trackingNumber").asText());

    Client other = new Client();
    other.signUp("noah");
    assertError(409, other.write("POST", "/api/me/packages", claim(unlinked, 5, 6)), "another account");
    assertError(400, user.get("/api/me/packages?size=1000"), "\"size\"");
    assertError(401, new Client().get("/api/me/packages"), "log in");
  }

  private static String claim(String trackingNumber, int x, int y) {
    return "{\"trackingNumber\":\"" + trackingNumber + "\",\"x\":" + x + ",\"y\":" + y + "}";
  }

  @Test
  void aClaimProvesTheRecipientWithTheDestinationAndGuessesAreThrottledLikePasswords() throws Exception {
    Client guesser = new Client();
    guesser.signUp("mallory");
    long shipId = nextShipId.incrementAndGet();
    String unlinked = fixture.createPackage(shipId, null, 5, 6).trackingNumber();
    assertError(400, guesser.write("POST", "/api/me/packages", "{\"trackingNumber\":\"" + unlinked + "\"}"),
        "a claim needs the package's destination as \"x\" and \"y\"");
    assertError(400, guesser.write("POST", "/api/me/packages", "{\"trackingNumber\":\"" + unlinked + "\",\"x\":5,\"y\":\"6\"}"),
        "\"x\" and \"y\"");
    // Wrong destinations: refused as a wrong current password is, then throttled (the fixture allows 3 failures).
    for (int guess = 0; guess < 3; guess++) {
      assertError(403, guesser.write("POST", "/api/me/packages", claim(unlinked, guess, 0)), Shipment.CLAIM_PROOF_WRONG);
    }
    HttpResponse<String> throttled = guesser.write("POST", "/api/me/packages", claim(unlinked, 5, 6));
    assertError(429, throttled, "too many wrong claims");
    assertTrue(throttled.headers().firstValue("Retry-After").isPresent(), throttled.headers().toString());
    assertNull(fixture.shipment(shipId).ownerId(), "nobody owns it");

    // Its recipient, from another address's account, proves it and owns it.
    Client recipient = new Client();
    long recipientId = recipient.signUp("rita");
    HttpResponse<String> claimed = recipient.write("POST", "/api/me/packages", claim(unlinked, 5, 6));
    // The limit counts by package and address: the same loopback address is throttled until the window passes.
    assertError(429, claimed, "too many wrong claims");
    String another = newPackage(null);
    HttpResponse<String> owned = recipient.write("POST", "/api/me/packages", claim(another, 5, 6));
    assertEquals(200, owned.statusCode(), owned.body());
    assertEquals(recipientId, json(owned).get("ownerId").asLong());
    assertEquals(200, recipient.write("POST", "/api/me/packages", claim(another, 0, 0)).statusCode(), "the owner asking again: the first answer");
  }

  @Test
  void aDeliveredPackageIsNoLongerClaimed() throws Exception {
    Client late = new Client();
    late.signUp("peggy");
    long shipId = nextShipId.incrementAndGet();
    String tn = fixture.createPackage(shipId, null, 5, 6).trackingNumber();
    fixture.assignTruck(shipId, 20, 30);
    fixture.truckArrives();
    fixture.loaded(shipId);
    fixture.delivered(shipId);
    TrackingFixture.await(() -> "delivered".equals(json(late.get("/api/packages/" + tn)).get("status").asText()), "delivered");
    assertError(409, late.write("POST", "/api/me/packages", claim(tn, 5, 6)), "already delivered");
    assertError(409, late.write("POST", "/api/me/packages", claim(tn, 0, 0)), "already delivered");
    fixture.truckIdle();
  }

  @Test
  void operatorsSeeTheFleetHealthAndMetrics() throws Exception {
    Client ops = new Client();
    JsonNode trucks = json(ops.get("/api/trucks"));
    assertEquals(3, trucks.size());
    assertEquals("idle", trucks.get(2).get("status").asText());

    HttpResponse<String> health = ops.get("/health");
    assertEquals(503, health.statusCode(), "no World and no Amazon in this test");
    assertFalse(json(health).get("world").get("connected").asBoolean());
    assertTrue(json(health).get("database").get("reachable").asBoolean());

    newPackage(null);
    HttpResponse<String> metrics = ops.get("/metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("miniups_packages{status=\"created\"}"), metrics.body());
    assertTrue(metrics.body().contains("miniups_link_up{peer=\"world\"} 0.0"), metrics.body());
    assertTrue(metrics.body().contains("miniups_messages_unacked{peer=\"amazon\"}"), metrics.body());
    assertTrue(metrics.body().contains("miniups_journal_write_seconds_count"), metrics.body());
    // The fleet's ledger and the packages delivered, the two sides of the cost per package.
    assertTrue(metrics.body().lines().anyMatch(l -> l.matches("miniups_units_driven \\d+\\.\\d+")), metrics.body());
    assertTrue(metrics.body().lines().anyMatch(l -> l.matches("miniups_packages_delivered \\d+\\.\\d+")), metrics.body());
  }

  @Test
  void eventsPushEveryStepLiveWithHeartbeatsAndEndOnceDelivered() throws Exception {
    long shipId = nextShipId.incrementAndGet();
    String tn = fixture.createPackage(shipId, null, 5, 6).trackingNumber();
    BlockingQueue<String> statuses = new ArrayBlockingQueue<>(100);
    AtomicInteger heartbeats = new AtomicInteger();
    List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<List<String>> ended = new CompletableFuture<>();
    HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(fixture.url("/api/packages/" + tn + "/events"))).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          // Pekko's heartbeat is an event without data, which browsers' EventSource ignores.
          if (line.equals("data:")) heartbeats.incrementAndGet();
          else if (line.startsWith("data:")) {
            String status = JSON.readTree(line.substring(5)).get("status").asText();
            all.add(status);
            statuses.add(status);
          }
        }
        ended.complete(all);
      } catch (Exception closed) {
        ended.completeExceptionally(closed);
      }
    });
    reader.setDaemon(true);
    reader.start();
    awaitStatus(statuses, "created");
    TrackingFixture.await(() -> heartbeats.get() >= 2, "heartbeats while nothing happens");
    fixture.assignTruck(shipId, 5, 6);
    awaitStatus(statuses, "truck en route to warehouse");
    fixture.truckArrives();
    awaitStatus(statuses, "truck waiting for package");
    fixture.loaded(shipId);
    awaitStatus(statuses, "out for delivery");
    fixture.delivered(shipId);
    awaitStatus(statuses, "delivered");
    List<String> seen = ended.get(10, TimeUnit.SECONDS);
    assertEquals("delivered", seen.get(seen.size() - 1), "the stream ends right after the delivered view: " + seen);
    fixture.truckIdle();
  }

  /** Events arrive in order; truck moves may add events with the same status between steps. */
  private static void awaitStatus(BlockingQueue<String> statuses, String expected) throws InterruptedException {
    List<String> seen = new ArrayList<>();
    for (String next = statuses.poll(10, TimeUnit.SECONDS); ; next = statuses.poll(10, TimeUnit.SECONDS)) {
      assertNotNull(next, "\"" + expected + "\" pushed; saw " + seen);
      if (next.equals(expected)) return;
      seen.add(next);
    }
  }

  /** Over a real socket: the browser's own If-None-Match gets a 304; a file that is not there, the JSON 404. */
  @Test
  void siteFilesRevalidateByETagAndMissingFilesAreJson404s() throws Exception {
    Client client = new Client();
    for (String path : List.of("/", "/api/openapi.yaml")) {
      HttpResponse<String> first = client.get(path);
      assertEquals(200, first.statusCode(), path);
      assertEquals("no-cache", first.headers().firstValue("Cache-Control").orElse(null), path);
      String etag = first.headers().firstValue("ETag").orElseThrow();
      HttpResponse<String> again = client.http.send(
          HttpRequest.newBuilder(URI.create(fixture.url(path))).header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(304, again.statusCode(), path);
      assertTrue(again.body().isEmpty(), path + ": a 304 has no body");
    }
    assertError(404, client.get("/nothing.js"), "nothing here: /nothing.js");
    assertError(404, client.get("/api/nothing.yaml"), "nothing here: /api/nothing.yaml");
  }

  /** The OpenAPI document and the server agree: every documented operation is served. */
  @Test
  void theOpenApiDocumentDescribesTheRealRoutes() throws Exception {
    Client client = new Client();
    client.signUp("openapi-reader");
    String tn = newPackage(null);
    HttpResponse<String> document = client.get("/api/openapi.yaml");
    assertEquals(200, document.statusCode());
    JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(document.body());
    assertTrue(spec.get("openapi").asText().startsWith("3."));

    Set<String> documented = new TreeSet<>();
    spec.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
      if (Set.of("get", "put", "post", "delete").contains(method)) documented.add(method.toUpperCase() + " " + path.getKey());
    }));
    Set<String> served = Set.of(
        "GET /api/packages/{trackingNumber}", "GET /api/packages/{trackingNumber}/events",
        "PUT /api/packages/{trackingNumber}/destination", "POST /api/users", "POST /api/sessions",
        "DELETE /api/sessions", "GET /api/me", "GET /api/me/packages", "POST /api/me/packages", "POST /api/me/password", "GET /api/trucks",
        "GET /health", "GET /metrics", "GET /api/openapi.yaml");
    assertEquals(new TreeSet<>(served), documented);

    for (String operation : documented) {
      String method = operation.substring(0, operation.indexOf(' '));
      String path = operation.substring(operation.indexOf(' ') + 1).replace("{trackingNumber}", tn);
      if (path.endsWith("/events")) continue; // a stream that never ends; tested above
      HttpResponse<String> response = client.write(method, path, method.equals("GET") ? null : "{}");
      boolean noRoute = response.statusCode() == 405 || response.body().contains("nothing here"); // not "no such package"
      assertFalse(noRoute, operation + " is served: " + response.statusCode() + " " + response.body());
      assertTrue(response.statusCode() < 500 || path.equals("/health"), operation + ": " + response.body());
    }
  }
}
