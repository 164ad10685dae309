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
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.shipment.Shipment;
import org.miniups.user.SessionTokens;

/**
 * Resilience scenario 7, hostile HTTP: a real server on PostgreSQL (what production stores text
 * in) gets wrong methods, broken and hostile JSON, injection strings in every field, path and
 * query, absurd coordinates, forged and expired session tokens, and one user prying at another's
 * packages. Every answer must be a 2xx or a 4xx; every error JSON {"error": "..."}; no answer
 * carries a stack trace, a class name or another user's data; accepted strings come back verbatim.
 */
class HostileHttpTest {
  private static final String SECRET = "hostile-test-secret-0123456789";
  private static final String PASSWORD = "correct horse";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicLong nextShipId = new AtomicLong(7000);
  private static final AtomicInteger nextUser = new AtomicInteger();

  /** Strings an attacker types into every field. */
  static final List<String> HOSTILE = List.of(
      "' OR 1=1 --",
      "\"; DROP TABLE users; --",
      "\"; DROP TABLE ups_user; --",
      "<script>alert(1)</script>",
      "\"><img src=x onerror=alert(1)>",
      "emoji \uD83D\uDCE6\uD83D\uDE00 in the astral plane",
      "nul\u0000byte",
      "lone\uD800high-surrogate", // no spaces, so that it makes a well-formed email too
      "lone\uDC00low-surrogate",
      "\u202Eright-to-left override",
      "1Z-" + "\uD83D\uDE00".repeat(30), // echoed cut at 40 characters: in the middle of an emoji
      "..%2F..%2Fetc%2Fpasswd",
      "%00%ff",
      "",
      " ",
      "x".repeat(5000));

  /** Stack trace lines, exception and class names: none may reach a client. */
  private static final List<Pattern> LEAKS = List.of(
      Pattern.compile("\tat "),
      Pattern.compile("Exception"),
      Pattern.compile("\\b(?:org|java|javax|scala|com|sun|jdk)\\.[a-z]+\\.[A-Za-z]"),
      Pattern.compile("\\b[A-Z][a-z]+[A-Z][A-Za-z]*\\.[a-z][A-Za-z]*\\(\\)")); // Class.method()

  /** Bodies as text, failing the request when a body is not valid UTF-8 (half an emoji, say). */
  private static final HttpResponse.BodyHandler<String> STRICT_UTF8 = info -> HttpResponse.BodySubscribers.mapping(
      HttpResponse.BodySubscribers.ofByteArray(), bytes -> {
        try {
          return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
          throw new AssertionError("the body is not valid UTF-8: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
      });

  private static TrackingFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = new TrackingFixture(TestConfigs.Database.POSTGRES, Map.of("mini-ups.accounts.session-secret", SECRET));
  }

  @AfterAll
  static void stop() {
    if (fixture != null) fixture.close();
  }

  // ---------------------------------------------------------------- clients and checks

  /** One user agent with its own cookie jar; every response it gets is checked for leaks. */
  private static final class Client {
    final CookieManager cookies = new CookieManager();
    final HttpClient http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
    final Map<String, String> headers = new LinkedHashMap<>();
    long id;
    String username;
    String email;

    HttpResponse<String> send(String method, String path, String body) throws Exception {
      return send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> send(String method, String path, byte[] body) throws Exception {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(fixture.url(path))).timeout(Duration.ofSeconds(20))
              .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
              .header("Content-Type", "application/json")
              .header("X-Requested-With", "mini-ups");
      headers.forEach(request::header);
      HttpResponse<String> response = http.send(request.build(), STRICT_UTF8);
      assertSafe(method + " " + path, response);
      return response;
    }

    HttpResponse<String> get(String path) throws Exception {
      return send("GET", path, (byte[]) null);
    }

    /** Registers (with an email) and logs in. */
    Client signUp(String name) throws Exception {
      username = name + "-" + nextUser.incrementAndGet();
      email = username + "@example.org";
      HttpResponse<String> created = send("POST", "/api/users", body("username", username, "password", PASSWORD, "email", email));
      assertEquals(201, created.statusCode(), created.body());
      id = json(created).get("id").asLong();
      assertEquals(200, send("POST", "/api/sessions", body("username", username, "password", PASSWORD)).statusCode());
      return this;
    }
  }

  /** 2xx or 4xx only; an error is JSON with an "error" string; nothing leaks from the server's insides. */
  private static void assertSafe(String request, HttpResponse<String> response) throws Exception {
    int status = response.statusCode();
    String what = abbreviate(request) + " -> " + status + " " + abbreviate(response.body());
    assertTrue(status >= 200 && status < 500, "never a 5xx: " + what);
    for (Pattern leak : LEAKS) assertFalse(leak.matcher(response.body()).find(), "no " + leak + " in " + what);
    if (status >= 400) {
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), "a JSON error: " + what);
      JsonNode error = json(response).get("error");
      assertTrue(error != null && error.isTextual() && !error.asText().isBlank(), "an \"error\" message: " + what);
      assertTrue(StandardCharsets.UTF_8.newEncoder().canEncode(error.asText()), "no half emoji (unpaired surrogate) in " + what);
    }
  }

  private static void assertError(int status, HttpResponse<String> response) {
    assertEquals(status, response.statusCode(), response.body());
  }

  private static void assertClientError(HttpResponse<String> response) {
    assertTrue(response.statusCode() >= 400 && response.statusCode() < 500, response.statusCode() + " " + abbreviate(response.body()));
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  private static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "…";
  }

  /** A JSON object of string fields, written with every non-ASCII character escaped (so lone surrogates survive). */
  static String body(String... keysAndValues) {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (i > 0) out.append(',');
      out.append(quote(keysAndValues[i])).append(':').append(quote(keysAndValues[i + 1]));
    }
    return out.append('}').toString();
  }

  static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Text Java can encode as UTF-8 and PostgreSQL can store: what an accepted string must be. */
  private static boolean storable(String text) {
    return text.indexOf('\u0000') < 0 && StandardCharsets.UTF_8.newEncoder().canEncode(text);
  }

  private static String newPackage(Long owner, List<Shipment.Item> items) throws Exception {
    String tn = fixture.createPackage(nextShipId.incrementAndGet(), owner, 5, 6, items).trackingNumber();
    Client anyone = new Client();
    TrackingFixture.await(() -> anyone.get("/api/packages/" + tn).statusCode() == 200, "package " + tn + " indexed");
    return tn;
  }

  // ---------------------------------------------------------------- methods

  /** Every documented path (from the OpenAPI document) and the site, with every method it does not serve. */
  @Test
  void wrongMethodsAreJson405sOr404s() throws Exception {
    Client client = new Client().signUp("methods");
    String tn = newPackage(client.id, List.of(new Shipment.Item(1, "kettle", 1)));
    JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(client.get("/api/openapi.yaml").body());
    Map<String, Set<String>> served = new LinkedHashMap<>();
    spec.get("paths").fields().forEachRemaining(path -> {
      Set<String> methods = new TreeSet<>();
      path.getValue().fieldNames().forEachRemaining(method -> methods.add(method.toUpperCase()));
      served.put(path.getKey().replace("{trackingNumber}", tn), methods);
    });
    assertTrue(served.size() >= 11, "the document lists the API: " + served.keySet());
    served.put("/", Set.of("GET"));
    served.put("/app.js", Set.of("GET"));

    for (Map.Entry<String, Set<String>> path : served.entrySet()) {
      for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
        if (path.getValue().contains(method)) continue;
        HttpResponse<String> response = client.send(method, path.getKey(), "{}");
        assertTrue(response.statusCode() == 405 || response.statusCode() == 404,
            method + " " + path.getKey() + ": " + response.statusCode() + " " + response.body());
        if (response.statusCode() == 405) { // says which methods are served there, and only those
          Set<String> allowed = new TreeSet<>(List.of(response.headers().firstValue("Allow").orElse("").split(",\\s*")));
          assertEquals(path.getValue(), allowed, "Allow of " + method + " " + path.getKey());
        }
      }
      if (path.getKey().endsWith("/events")) continue; // HEAD of an endless stream
      // HEAD (never with a body, so no JSON to check): 405 like any other method not served, or 404.
      HttpResponse<String> head = client.http.send(
          HttpRequest.newBuilder(URI.create(fixture.url(path.getKey()))).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(head.statusCode() == 405 || head.statusCode() == 404, "HEAD " + path.getKey() + ": " + head.statusCode());
    }
  }

  // ---------------------------------------------------------------- bodies

  @Test
  void brokenJsonBodiesAreClear400sOr413s() throws Exception {
    Client client = new Client().signUp("bodies");
    String tn = newPackage(client.id, List.of(new Shipment.Item(1, "kettle", 1)));
    List<String> writes = List.of("POST /api/users", "POST /api/sessions", "PUT /api/packages/" + tn + "/destination", "POST /api/me/packages");
    List<String> broken = List.of(
        "", "{", "}", "{\"username\":}", "{\"username\" \"x\"}", "nul", "null", "[]", "[1,2]", "42", "\"text\"",
        "{'username':'x'}", "{\"x\":NaN,\"y\":1}", "{\"x\":Infinity,\"y\":1}", "{\"x\":01,\"y\":1}",
        "{\"username\":\"\\uZZZZ\"}", "{\"username\":\"unterminated", "\uFEFF{\"x\":1,\"y\":1}",
        "{\"x\":" + "9".repeat(5000) + ",\"y\":1}",
        "{\"a\":" + "[".repeat(6000) + "]".repeat(6000) + "}",
        "{\"a\":" + "{\"a\":".repeat(2500) + "1" + "}".repeat(2500) + "}",
        "{\"username\":\"" + "a".repeat(17_000) + "\"}");
    for (String write : writes) {
      String method = write.substring(0, write.indexOf(' '));
      String path = write.substring(write.indexOf(' ') + 1);
      for (String body : broken) assertClientError(client.send(method, path, body));
      // Four times the limit, not a megabyte: the server answers 413 and closes without reading the
      // rest, and a body still being written then resets the connection, which can eat the answer
      // (one loaded run saw "header parser received no bytes"); 64 KB fits in loopback's buffers.
      assertError(413, client.send(method, path, "{\"username\":\"" + "a".repeat(64_000) + "\"}"));
      // Not UTF-8 at all, and a charset nobody knows.
      assertClientError(client.send(method, path, new byte[] {'{', '"', 'x', '"', ':', (byte) 0xff, (byte) 0xfe, '}'}));
      HttpResponse<String> unknownCharset = client.http.send(
          HttpRequest.newBuilder(URI.create(fixture.url(path))).method(method, HttpRequest.BodyPublishers.ofString("{\"x\":1,\"y\":1}"))
              .header("Content-Type", "application/json; charset=x-no-such-charset").header("X-Requested-With", "mini-ups").build(),
          HttpResponse.BodyHandlers.ofString());
      assertSafe(write + " in an unknown charset", unknownCharset); // read as UTF-8 or refused, both fine
    }
  }

  @Test
  void wrongJsonTypesInEveryFieldAre400s() throws Exception {
    Client client = new Client().signUp("types");
    String tn = newPackage(client.id, List.of(new Shipment.Item(1, "kettle", 1)));
    List<String> wrong = List.of("5", "-1.5", "true", "null", "[]", "[\"x\"]", "{}", "{\"$ne\":null}");
    List<String> notCoordinates = List.of("\"5\"", "-1.5", "true", "null", "[]", "[5]", "{}", "{\"$ne\":null}");
    for (String value : notCoordinates) {
      assertError(400, client.send("PUT", "/api/packages/" + tn + "/destination", "{\"x\":" + value + ",\"y\":1}"));
      assertError(400, client.send("PUT", "/api/packages/" + tn + "/destination", "{\"x\":1,\"y\":" + value + "}"));
    }
    for (String value : wrong) {
      assertError(400, client.send("POST", "/api/users", "{\"username\":" + value + ",\"password\":\"long enough\"}"));
      assertError(400, client.send("POST", "/api/users", "{\"username\":\"typed-user\",\"password\":" + value + "}"));
      if (!value.equals("null")) {
        assertError(400, client.send("POST", "/api/users", "{\"username\":\"typed-user\",\"password\":\"long enough\",\"email\":" + value + "}"));
      }
      assertError(400, client.send("POST", "/api/sessions", "{\"username\":" + value + ",\"password\":\"long enough\"}"));
      assertError(400, client.send("POST", "/api/sessions", "{\"username\":\"typed-user\",\"password\":" + value + "}"));
      assertError(400, client.send("POST", "/api/me/packages", "{\"trackingNumber\":" + value + "}"));
    }
  }

  @Test
  void absurdCoordinatesAreRefusedAndTheDocumentedRangeAccepted() throws Exception {
    Client owner = new Client().signUp("coordinates");
    String tn = newPackage(owner.id, List.of(new Shipment.Item(1, "kettle", 1)));
    String path = "/api/packages/" + tn + "/destination";
    List<String> absurd = List.of(
        "-2147483648", "2147483648", "-2147483649", "2147483647", "9223372036854775808", "-9223372036854775809",
        "1e309", "-1e309", "1e400", "1e-400", "\"NaN\"", "\"Infinity\"", "\"1\"", "1.5", "1e2", "1000001", "-1000001",
        "1" + "0".repeat(900));
    for (String value : absurd) {
      assertError(400, owner.send("PUT", path, "{\"x\":" + value + ",\"y\":0}"));
      assertError(400, owner.send("PUT", path, "{\"x\":0,\"y\":" + value + "}"));
    }
    for (int[] point : new int[][] {{-1_000_000, 1_000_000}, {1_000_000, -1_000_000}, {0, 0}, {-0, 3}}) {
      HttpResponse<String> moved = owner.send("PUT", path, "{\"x\":" + point[0] + ",\"y\":" + point[1] + "}");
      assertEquals(200, moved.statusCode(), moved.body());
      assertEquals(point[0], json(moved).get("destination").get("x").asInt());
      assertEquals(point[1], json(moved).get("destination").get("y").asInt());
    }
  }

  @Test
  void pagesOutOfRangeAre400sAndTheLastPageIsEmpty() throws Exception {
    Client client = new Client().signUp("pager");
    for (String query : List.of("page=-1", "size=0", "size=101", "size=-2147483648", "page=21474837", "page=2147483648",
        "page=1e3", "page=0x10", "page=%201", "page=1.0", "size=", "page=")) {
      assertError(400, client.get("/api/me/packages?" + query));
    }
    JsonNode last = json(client.get("/api/me/packages?page=21474836&size=100")); // the largest page: no int overflow
    assertEquals(0, last.get("items").size());
    assertEquals(21474836, last.get("page").asInt());
  }

  // ---------------------------------------------------------------- hostile strings

  @Test
  void hostileStringsInAccountFieldsAreRefusedOrStoredVerbatim() throws Exception {
    Client client = new Client();
    for (String hostile : HOSTILE) {
      // username: the rules allow letters, digits, '_', '.' and '-' only
      assertClientError(client.send("POST", "/api/users", body("username", hostile, "password", PASSWORD)));
      assertClientError(client.send("POST", "/api/sessions", body("username", hostile, "password", PASSWORD)));

      // password: anything 8 to 128 characters long, given back only as a working login
      String name = "pw-" + nextUser.incrementAndGet();
      HttpResponse<String> withPassword = client.send("POST", "/api/users", body("username", name, "password", hostile));
      // (a wrong first character: bcrypt reads only a password's first 72 bytes)
      assertClientError(client.send("POST", "/api/sessions", body("username", name, "password", "!" + hostile)));
      if (withPassword.statusCode() == 201) {
        assertTrue(storable(hostile), "only storable text is accepted: " + quote(hostile));
        assertFalse(withPassword.body().contains(hostile), "the password never comes back");
        assertEquals(200, client.send("POST", "/api/sessions", body("username", name, "password", hostile)).statusCode(), quote(hostile));
      } else {
        assertError(400, withPassword);
      }

      // email: as the person typed it (trimmed), or a 400
      for (String email : List.of(hostile, hostile + "@example.org", "a@" + hostile + ".org")) {
        String user = "mail-" + nextUser.incrementAndGet();
        HttpResponse<String> created = client.send("POST", "/api/users", body("username", user, "password", PASSWORD, "email", email));
        if (created.statusCode() == 201) {
          assertTrue(storable(email), "only storable text is accepted: " + quote(email));
          String expected = email.isBlank() ? null : email.trim(); // blank means none
          assertEquals(expected, json(created).get("email").textValue());
          Client owner = new Client();
          assertEquals(200, owner.send("POST", "/api/sessions", body("username", user, "password", PASSWORD)).statusCode());
          assertEquals(expected, json(owner.get("/api/me")).get("email").textValue(), "stored verbatim: " + quote(email));
        } else {
          assertError(400, created);
        }
      }
    }
    // The tables survived: a new account works, and so does an old one.
    Client survivor = new Client().signUp("survivor");
    assertEquals(survivor.username, json(survivor.get("/api/me")).get("username").asText());
    assertEquals(200, survivor.get("/api/me/packages").statusCode());
    assertEquals(409, client.send("POST", "/api/users", body("username", survivor.username, "password", PASSWORD)).statusCode());
  }

  @Test
  void hostileStringsInPackageFieldsPathsAndQueriesAreClientErrors() throws Exception {
    Client client = new Client().signUp("paths");
    for (String hostile : HOSTILE) {
      HttpResponse<String> claim = client.send("POST", "/api/me/packages", body("trackingNumber", hostile));
      assertClientError(claim);
      if (storable(hostile) && hostile.length() < 40 && !hostile.isBlank()) {
        assertTrue(json(claim).get("error").asText().contains(hostile.trim()), "echoed verbatim: " + claim.body());
      }
      String segment = encode(hostile);
      if (segment.isEmpty()) continue;
      for (String path : List.of("/api/packages/" + segment, "/api/packages/" + segment + "/events", "/" + segment, "/api/" + segment)) {
        HttpResponse<String> response = client.get(path);
        assertClientError(response);
      }
      assertClientError(client.send("PUT", "/api/packages/" + segment + "/destination", "{\"x\":1,\"y\":1}"));
      assertClientError(client.get("/api/me/packages?page=" + segment));
      assertClientError(client.get("/api/me/packages?size=" + segment + "&page=0"));
      HttpResponse<String> unknownParameter = client.get("/api/me/packages?" + segment + "=1");
      if (segment.length() < 1000) assertEquals(200, unknownParameter.statusCode(), "unknown parameters are ignored");
    }
    // Traversal out of the web directory.
    for (String path : List.of("/..%2F..%2Fetc%2Fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/web/../../etc/passwd", "/api/..%2Fweb%2Findex.html")) {
      HttpResponse<String> response = client.get(path);
      assertFalse(response.body().contains("root:"), path);
      assertClientError(response);
    }
  }

  /**
   * Requests java.net.http refuses to send (broken percent-encoding, raw non-ASCII, control
   * characters, no Host, huge headers, broken framing): JSON errors from the server itself. A 5xx
   * only where HTTP says so: 501 for a method nobody knows, 505 for an unknown HTTP version.
   */
  @Test
  void malformedRequestsAreJsonErrors() throws Exception {
    String host = "Host: 127.0.0.1\r\nConnection: close\r\n";
    Map<String, Integer> requests = new LinkedHashMap<>();
    for (String target : List.of(
        "/api/me/packages?page=%zz", "/api/packages/%ZZ", "/api/packages/%ED%A0%80", "/%ED%A0%80", "/api/packages/%00",
        "/api/me/packages?page=%ED%A0%80", "/api/packages/1Z\u00e9", "/<script>alert(1)</script>", "/" + "a".repeat(3000))) {
      requests.put("GET " + target + " HTTP/1.1\r\n" + host + "\r\n", 400);
    }
    requests.put("GET /api/trucks HTTP/1.1\r\nConnection: close\r\n\r\n", 400); // no Host
    requests.put("GET /api/trucks HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(20_000) + "\r\n\r\n", 400);
    requests.put("GET /api/trucks HTTP/1.1\r\n" + host + "X-Nul: a\u0000b\r\n\r\n", 400);
    requests.put("POST /api/users HTTP/1.1\r\n" + host + "X-Requested-With: mini-ups\r\nContent-Length: -5\r\n\r\n{}", 400);
    requests.put("POST /api/users HTTP/1.1\r\n" + host + "X-Requested-With: mini-ups\r\nContent-Length: 99999999999999999999\r\n\r\n{}", 400);
    requests.put("POST /api/users HTTP/1.1\r\n" + host + "X-Requested-With: mini-ups\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400);
    requests.put("POST /api/users HTTP/1.1\r\n" + host + "X-Requested-With: mini-ups\r\nContent-Length: 20000000\r\n\r\n{}", 413);
    requests.put("BREW /api/trucks HTTP/1.1\r\n" + host + "\r\n", 501);
    requests.put("GET /api/trucks HTTP/9.9\r\n" + host + "\r\n", 505);
    for (Map.Entry<String, Integer> request : requests.entrySet()) {
      String response = raw(request.getKey());
      String what = abbreviate(request.getKey()) + " -> " + abbreviate(response);
      assertTrue(response.startsWith("HTTP/1.1 "), what);
      int status = Integer.parseInt(response.substring(9, 12));
      int expected = request.getValue();
      assertTrue(expected == 400 ? status >= 400 && status < 500 : status == expected, what);
      String head = response.substring(0, response.indexOf("\r\n\r\n")).toLowerCase();
      assertTrue(head.contains("content-type: application/json"), what);
      String body = response.substring(response.indexOf("\r\n\r\n") + 4);
      assertTrue(JSON.readTree(body).get("error").isTextual(), what);
      for (Pattern leak : LEAKS) assertFalse(leak.matcher(body).find(), what);
    }
  }

  private static String raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", fixture.port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  // ---------------------------------------------------------------- sessions

  @Test
  void forgedTamperedExpiredAndWrongSchemeTokensAre401s() throws Exception {
    Client alice = new Client().signUp("alice");
    Client bob = new Client().signUp("bob");
    String token = json(alice.send("POST", "/api/sessions", body("username", alice.username, "password", PASSWORD))).get("token").asText();
    assertEquals(alice.username, json(withToken("Authorization", "Bearer " + token).get("/api/me")).get("username").asText(), "the real token works");
    assertEquals(alice.username, json(withToken("Cookie", "session=" + token).get("/api/me")).get("username").asText(), "as a cookie too");

    String[] parts = token.split("\\.");
    String signature = parts[3];
    char flipped = signature.charAt(5) == 'A' ? 'B' : 'A';
    SessionTokens sameSecret = new SessionTokens(SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofDays(7),
        Clock.fixed(Instant.now().minus(Duration.ofDays(8)), ZoneOffset.UTC));
    SessionTokens otherSecret = new SessionTokens("another secret, not the server's".getBytes(StandardCharsets.UTF_8),
        Duration.ofDays(7), Clock.systemUTC());
    String versionAndExpiry = parts[1] + "." + parts[2];
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("signature byte flipped", parts[0] + "." + versionAndExpiry + "." + signature.substring(0, 5) + flipped + signature.substring(6));
    bad.put("payload: another user", bob.id + "." + versionAndExpiry + "." + signature);
    bad.put("payload: another session version", parts[0] + "." + (Long.parseLong(parts[1]) + 1) + "." + parts[2] + "." + signature);
    bad.put("payload: later expiry", parts[0] + "." + parts[1] + "." + (Long.parseLong(parts[2]) + 1) + "." + signature);
    bad.put("expired", sameSecret.issue(alice.id, 0));
    bad.put("forged with another secret", otherSecret.issue(alice.id, 0));
    bad.put("no signature", parts[0] + "." + versionAndExpiry + ".");
    bad.put("no dots", token.replace(".", ""));
    bad.put("extra part", token + ".x");
    bad.put("huge", token + "A".repeat(4000));
    bad.put("hostile", "' OR 1=1 --");
    bad.put("negative id", "-1." + versionAndExpiry + "." + signature);
    for (Map.Entry<String, String> forged : bad.entrySet()) {
      assertError(401, withToken("Authorization", "Bearer " + forged.getValue()).get("/api/me"));
      assertError(401, withToken("Cookie", "session=" + forged.getValue().replace(' ', '_')).get("/api/me"));
      assertError(401, withToken("Authorization", "Bearer " + forged.getValue()).get("/api/me/packages"));
      assertError(401, withToken("Authorization", "Bearer " + forged.getValue()).send("POST", "/api/me/packages", body("trackingNumber", "1Z0000000000000000")));
    }
    for (String scheme : List.of("Basic " + token, "Token " + token, token, "Bearer", "Bearer ", "Bearertoken" + token, "Digest username=\"x\"")) {
      assertError(401, withToken("Authorization", scheme).get("/api/me"));
    }
    // A bad bearer token is not rescued by a good cookie: the header wins, and it is no good.
    Client both = withToken("Authorization", "Bearer " + bad.get("expired"));
    both.cookies.getCookieStore().add(URI.create(fixture.url("/")), cookie(token));
    assertError(401, both.get("/api/me"));
  }

  /** The auth scheme is case-insensitive (RFC 9110), for logging in and for the CSRF exemption alike. */
  @Test
  void bearerClientsWriteWithoutTheCsrfHeaderInAnyLetterCase() throws Exception {
    Client owner = new Client().signUp("api-client");
    String token = json(owner.send("POST", "/api/sessions", body("username", owner.username, "password", PASSWORD))).get("token").asText();
    String tn = newPackage(owner.id, List.of(new Shipment.Item(1, "kettle", 1)));
    for (String scheme : List.of("Bearer", "bearer", "BEARER")) {
      HttpResponse<String> moved = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(fixture.url("/api/packages/" + tn + "/destination")))
              .PUT(HttpRequest.BodyPublishers.ofString("{\"x\":2,\"y\":3}")).header("Authorization", scheme + " " + token).build(),
          HttpResponse.BodyHandlers.ofString());
      assertSafe(scheme, moved);
      assertEquals(200, moved.statusCode(), scheme + ": " + moved.body());
    }
    // Without a token, the cookie's writes still need the header.
    Client cookieOnly = new Client().signUp("cookie-client");
    HttpResponse<String> unmarked = cookieOnly.http.send(
        HttpRequest.newBuilder(URI.create(fixture.url("/api/me/packages"))).POST(HttpRequest.BodyPublishers.ofString(body("trackingNumber", tn))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(403, unmarked);
  }

  private static Client withToken(String header, String value) {
    Client client = new Client();
    client.headers.put(header, value);
    return client;
  }

  private static HttpCookie cookie(String token) {
    HttpCookie cookie = new HttpCookie("session", token);
    cookie.setPath("/");
    cookie.setVersion(0);
    return cookie;
  }

  /** A guesser cannot pose as many clients: the limit counts the connection's address, not a header anyone can send. */
  @Test
  void forwardingHeadersDoNotLiftTheLoginLimit() throws Exception {
    Client target = new Client().signUp("lockout");
    List<String> headers = List.of("X-Forwarded-For", "X-Real-IP", "Forwarded");
    for (int attempt = 0; attempt < 3; attempt++) {
      Client guesser = withToken(headers.get(attempt), (attempt == 2 ? "for=" : "") + "10.0.0." + attempt);
      assertError(401, guesser.send("POST", "/api/sessions", body("username", target.username, "password", "guess " + attempt)));
    }
    assertError(429, withToken("X-Forwarded-For", "10.9.9.9").send("POST", "/api/sessions", body("username", target.username, "password", PASSWORD)));
  }

  // ---------------------------------------------------------------- another user's packages

  @Test
  void aUserNeverSeesAnotherUsersItemsOwnerOrProfile() throws Exception {
    Client alice = new Client().signUp("owner");
    Client bob = new Client().signUp("snoop");
    String secretItem = "alice's secret item";
    String tn = newPackage(alice.id, List.of(new Shipment.Item(99, secretItem, 2)));
    String bobsOwn = newPackage(bob.id, List.of(new Shipment.Item(1, "bob's item", 1)));

    // The owner sees everything (so the checks below can fail).
    JsonNode mine = json(alice.get("/api/packages/" + tn));
    assertEquals(secretItem, mine.get("items").get(0).get("description").asText());
    assertEquals(alice.id, mine.get("ownerId").asLong());

    for (Client stranger : List.of(bob, new Client(), withToken("Authorization", "Bearer garbage"))) {
      assertNothingOf(alice, secretItem, json(stranger.get("/api/packages/" + tn)));
      assertNothingOf(alice, secretItem, json(stranger.get("/api/packages/" + tn.toLowerCase())));
    }
    TrackingFixture.await(() -> json(bob.get("/api/me/packages")).get("total").asInt() == 1, "bob's package listed");
    JsonNode bobsList = json(bob.get("/api/me/packages?size=100"));
    assertEquals(1, bobsList.get("items").size());
    assertEquals(bobsOwn, bobsList.get("items").get(0).get("trackingNumber").asText());
    assertNothingOf(alice, secretItem, bobsList);
    assertEquals(bob.username, json(bob.get("/api/me")).get("username").asText());
    assertNothingOf(alice, secretItem, json(bob.get("/api/me")));

    HttpResponse<String> claim = bob.send("POST", "/api/me/packages", "{\"trackingNumber\":\"" + tn + "\",\"x\":5,\"y\":6}");
    assertError(409, claim);
    assertNothingOf(alice, secretItem, json(claim));
    HttpResponse<String> move = bob.send("PUT", "/api/packages/" + tn + "/destination", "{\"x\":66,\"y\":66}");
    assertError(403, move);
    assertNothingOf(alice, secretItem, json(move));
    assertEquals(5, json(alice.get("/api/packages/" + tn)).get("destination").get("x").asInt(), "the stranger moved nothing");
    assertEquals(alice.id, json(alice.get("/api/packages/" + tn)).get("ownerId").asLong(), "and claimed nothing");

    // Live updates to a stranger carry the change, never the owner's details.
    BlockingQueue<JsonNode> events = subscribe(bob, tn);
    assertNothingOf(alice, secretItem, next(events));
    assertEquals(200, alice.send("PUT", "/api/packages/" + tn + "/destination", "{\"x\":-3,\"y\":4}").statusCode());
    JsonNode update = next(events);
    while (update.get("destination").get("x").asInt() != -3) update = next(events);
    assertNothingOf(alice, secretItem, update);
    BlockingQueue<JsonNode> ownersEvents = subscribe(alice, tn);
    assertEquals(secretItem, next(ownersEvents).get("items").get(0).get("description").asText(), "the owner's stream has the items");
  }

  /**
   * Neither the owner's item, username, email nor profile id is any value of {@code view}; and a
   * package view has no owner-only fields.
   */
  private static void assertNothingOf(Client owner, String secretItem, JsonNode view) {
    List<String> values = new ArrayList<>();
    collect(view, values);
    for (String secret : List.of(secretItem, owner.username, owner.email, String.valueOf(owner.id))) {
      assertFalse(values.contains(secret), "a stranger gets \"" + secret + "\" in " + view);
    }
    if (view.has("trackingNumber")) {
      for (String ownerOnly : List.of("items", "owned", "ownerId")) assertNull(view.get(ownerOnly), ownerOnly + " in " + view);
    }
  }

  /** Every scalar in {@code node}, as text. */
  private static void collect(JsonNode node, List<String> values) {
    if (node.isContainerNode()) {
      node.elements().forEachRemaining(child -> collect(child, values));
    } else {
      values.add(node.asText());
    }
  }

  private static BlockingQueue<JsonNode> subscribe(Client client, String tn) throws Exception {
    BlockingQueue<JsonNode> events = new ArrayBlockingQueue<>(1000);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.url("/api/packages/" + tn + "/events")));
    client.headers.forEach(request::header);
    HttpResponse<InputStream> stream = client.http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, stream.statusCode());
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          if (line.startsWith("data:")) events.add(JSON.readTree(line.substring(5)));
        }
      } catch (Exception closed) {
        // the test is over
      }
    });
    reader.setDaemon(true);
    reader.start();
    return events;
  }

  private static JsonNode next(BlockingQueue<JsonNode> events) throws InterruptedException {
    JsonNode event = events.poll(10, TimeUnit.SECONDS);
    assertNotNull(event, "an event within 10 s");
    return event;
  }

  @Test
  void stringsFromAmazonComeBackVerbatim() throws Exception {
    Client owner = new Client().signUp("verbatim");
    List<Shipment.Item> items = new ArrayList<>();
    for (int i = 0; i < HOSTILE.size(); i++) {
      if (storable(HOSTILE.get(i))) items.add(new Shipment.Item(i, HOSTILE.get(i), 1));
    }
    String tn = newPackage(owner.id, items);
    JsonNode view = json(owner.get("/api/packages/" + tn));
    for (int i = 0; i < items.size(); i++) {
      assertEquals(items.get(i).description(), view.get("items").get(i).get("description").asText());
    }
    assertNull(json(new Client().get("/api/packages/" + tn)).get("items"));
  }
}
