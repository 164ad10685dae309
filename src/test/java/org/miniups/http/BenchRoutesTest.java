package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.shipment.TrackingNumbers;

/** GET /api/bench/constant: a fixed tracking answer when the bench routes are on, the usual 404 when off. */
class BenchRoutesTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void onItAnswersAFixedTrackingAnswerOfTheUsualSize() throws Exception {
    try (TrackingFixture fixture = new TrackingFixture(TestConfigs.Database.H2, Map.of("mini-ups.http.bench-routes", "on"))) {
      HttpResponse<String> first = get(fixture, "GET", "/api/bench/constant");
      assertEquals(200, first.statusCode(), first.body());
      assertEquals("application/json", first.headers().firstValue("Content-Type").orElse(null));
      assertTrue(first.body().length() > 800 && first.body().length() < 1500, "about 1 KB: " + first.body().length());
      JsonNode answer = JSON.readTree(first.body());
      assertTrue(TrackingNumbers.looksValid(answer.get("trackingNumber").asText()), first.body());
      assertTrue(answer.get("history").size() > 1, "a tracking answer's shape: " + first.body());
      assertEquals(first.body(), get(fixture, "GET", "/api/bench/constant").body(), "the same bytes every time");
      assertEquals(405, get(fixture, "POST", "/api/bench/constant").statusCode());
      assertEquals(404, get(fixture, "GET", "/api/bench/other").statusCode());
    }
  }

  @Test
  void offByDefaultItIsTheUsualJson404() throws Exception {
    try (TrackingFixture fixture = new TrackingFixture()) {
      HttpResponse<String> response = get(fixture, "GET", "/api/bench/constant");
      assertEquals(404, response.statusCode());
      assertEquals("nothing here: /api/bench/constant", JSON.readTree(response.body()).get("error").asText());
    }
  }

  /** conf/ reads BENCH_ROUTES: a test cannot set its own JVM's environment, so the variable is given as the root key it would be. */
  @Test
  void theEnvironmentVariableBenchRoutesTurnsThemOn() {
    Config conf = ConfigFactory.parseFile(new File("conf/mini-ups.conf"));
    ConfigResolveOptions withoutEnvironment = ConfigResolveOptions.noSystem();
    assertFalse(conf.resolve(withoutEnvironment).getBoolean("mini-ups.http.bench-routes"));
    Config withVariable = ConfigFactory.parseMap(Map.of("BENCH_ROUTES", "on")).withFallback(conf);
    assertTrue(withVariable.resolve(withoutEnvironment).getBoolean("mini-ups.http.bench-routes"));
  }

  private static HttpResponse<String> get(TrackingFixture fixture, String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(fixture.url(path))).timeout(Duration.ofSeconds(20))
        .method(method, HttpRequest.BodyPublishers.noBody()).header("X-Requested-With", "mini-ups").build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
