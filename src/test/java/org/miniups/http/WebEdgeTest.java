package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;

/**
 * The web edge over real sockets: the security headers on every kind of answer, and the caps on
 * live streams per client address and in all (several client addresses: 127.0.0.x, all loopback).
 */
class WebEdgeTest {
  private static final int PER_CLIENT = 3;
  private static final int TOTAL = 5;
  private static TrackingFixture plain;
  private static TrackingFixture https;
  private static String trackingNumber;

  @BeforeAll
  static void start() throws Exception {
    plain = new TrackingFixture(TestConfigs.Database.H2, Map.of(
        "mini-ups.http.live-streams-per-client", PER_CLIENT, "mini-ups.http.live-streams-total", TOTAL,
        // A closed stream is noticed at its next write: heartbeats make that soon.
        "mini-ups.http.live-heartbeat", "300ms"));
    https = new TrackingFixture(TestConfigs.Database.H2, Map.of("mini-ups.accounts.session-cookie-secure", true));
    trackingNumber = plain.createPackage(501, null, 5, 6).trackingNumber();
  }

  @AfterAll
  static void stop() {
    plain.close();
    https.close();
  }

  /** A response's status line and headers (names in lower case), its body if it is not a stream. */
  private record Answer(int status, Map<String, String> headers, String body) {}

  /** An open request on its own connection from {@code clientAddress}; read its head with {@link #head}. */
  private static Socket request(TrackingFixture fixture, String clientAddress, String request) throws Exception {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(clientAddress, 0));
    socket.connect(new InetSocketAddress("127.0.0.1", fixture.port), 5_000);
    socket.setSoTimeout(20_000);
    OutputStream out = socket.getOutputStream();
    out.write(request.getBytes(StandardCharsets.UTF_8));
    out.flush();
    return socket;
  }

  private static Socket get(TrackingFixture fixture, String clientAddress, String path) throws Exception {
    return request(fixture, clientAddress, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }

  /** Reads the status line and headers; for a sized body (not a stream) the body too. */
  private static Answer head(Socket socket) throws Exception {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) break;
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    assertTrue(lines[0].startsWith("HTTP/1.1 "), "a status line: " + lines[0]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
    }
    String body = headers.containsKey("content-length")
        ? new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8)
        : "";
    return new Answer(Integer.parseInt(lines[0].substring(9, 12)), headers, body);
  }

  /** A live stream from {@code clientAddress}, once the server has a slot (earlier tests' streams end asynchronously). */
  private static Socket openStream(String clientAddress) {
    Socket[] opened = new Socket[1];
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
      Socket stream = get(plain, clientAddress, events());
      Answer answer = head(stream);
      if (answer.status() != 200) {
        stream.close();
        return false;
      }
      assertEquals("text/event-stream", answer.headers().get("content-type"));
      opened[0] = stream;
      return true;
    });
    return opened[0];
  }

  private static Answer once(TrackingFixture fixture, String request) throws Exception {
    try (Socket socket = request(fixture, "127.0.0.1", request)) {
      return head(socket);
    }
  }

  private static String events() {
    return "/api/packages/" + trackingNumber + "/events";
  }

  private static void assertSecurityHeaders(Answer answer, boolean hsts, String what) {
    assertEquals(SecurityHeaders.CONTENT_SECURITY_POLICY, answer.headers().get("content-security-policy"), what);
    assertEquals("nosniff", answer.headers().get("x-content-type-options"), what);
    assertEquals("no-referrer", answer.headers().get("referrer-policy"), what);
    assertEquals(hsts ? "max-age=31536000" : null, answer.headers().get("strict-transport-security"), what);
  }

  @Test
  void everyKindOfAnswerCarriesTheSecurityHeadersAndHstsOnlyOverHttps() throws Exception {
    String host = " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    Map<String, Integer> requests = new LinkedHashMap<>();
    requests.put("GET /" + host, 200); // the site's page
    requests.put("GET /app.js" + host, 200);
    requests.put("GET /api/packages/" + trackingNumber + host, 200);
    requests.put("GET /health" + host, 503); // degraded: no peers here
    requests.put("GET /api/nothing/here" + host, 404); // a rejection
    requests.put("GET /api/packages/hello" + host, 400); // an ApiError
    requests.put("DELETE /api/me" + host, 405);
    requests.put("POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 403); // no CSRF header
    requests.put("GET /%zz" + host, 400); // answered by the parser, before any route
    for (Map.Entry<String, Integer> request : requests.entrySet()) {
      String what = request.getKey().substring(0, request.getKey().indexOf(" HTTP/"));
      Answer answer = once(plain, request.getKey());
      assertEquals(request.getValue(), answer.status(), what + ": " + answer.body());
      assertSecurityHeaders(answer, false, what);
      if (!what.startsWith("GET /%")) {
        Answer secure = once(https, request.getKey().replace(trackingNumber, "1Z0000000000000000"));
        assertSecurityHeaders(secure, true, "with secure cookies: " + what);
      }
    }
  }

  @Test
  void oneAddressOpensAtMostItsShareOfLiveStreamsAndAClosedOneFreesItsSlot() throws Exception {
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < PER_CLIENT; i++) open.add(openStream("127.0.0.1"));
      try (Socket refused = get(plain, "127.0.0.1", events())) {
        Answer answer = head(refused);
        assertEquals(429, answer.status());
        assertEquals(String.valueOf(LiveStreamSlots.RETRY_AFTER_SECONDS), answer.headers().get("retry-after"));
        assertEquals(
            "at most " + PER_CLIENT + " live streams per client are open at a time; close one first",
            new ObjectMapper().readTree(answer.body()).get("error").asText());
        assertSecurityHeaders(answer, false, "a refused stream");
      }
      // Another address has its own share…
      open.add(openStream("127.0.0.2"));
      // …and once a stream of the first one ends, it may open one again.
      open.remove(0).close();
      open.add(openStream("127.0.0.1"));
    } finally {
      for (Socket socket : open) socket.close();
    }
  }

  @Test
  void allAddressesTogetherOpenAtMostTheTotalThenA503() throws Exception {
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < TOTAL; i++) open.add(openStream("127.0.1." + (i + 1)));
      try (Socket refused = get(plain, "127.0.2.1", events())) {
        Answer answer = head(refused);
        assertEquals(503, answer.status(), answer.body());
        assertEquals(String.valueOf(LiveStreamSlots.RETRY_AFTER_SECONDS), answer.headers().get("retry-after"));
      }
      Answer ordinary = once(plain, "GET /api/packages/" + trackingNumber + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assertEquals(200, ordinary.status(), "ordinary requests are still served");
    } finally {
      for (Socket socket : open) socket.close();
    }
  }
}
