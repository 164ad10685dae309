package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /metrics as Prometheus reads it: parsed by the official Python client, not by string matching. */
class MetricsTest {
  /** Debian's python3-prometheus-client (.ci/run installs it); Python's JSON allows the NaN Prometheus may send. */
  private static final String PARSER = """
      import json, sys
      from prometheus_client.parser import text_string_to_metric_families
      families = [{"name": f.name, "type": f.type,
                   "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                  for f in text_string_to_metric_families(sys.stdin.read())]
      json.dump(families, sys.stdout)
      """;
  private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Sample(String name, Map<String, String> labels, double value) {}

  record Family(String name, String type, List<Sample> samples) {}

  private static TrackingFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = new TrackingFixture();
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void requestsAreTimedByMethodRouteTemplateAndStatus() throws Exception {
    String tn = fixture.createPackage(4242, null, 5, 6).trackingNumber();
    TrackingFixture.await(() -> get("/api/packages/" + tn).statusCode() == 200, "package " + tn + " indexed");
    assertEquals(404, get("/api/packages/1Z0000000000000000").statusCode());
    assertEquals(400, get("/api/packages/hello").statusCode());
    assertEquals(404, get("/no/such/" + tn).statusCode());
    assertEquals(200, get("/app.js").statusCode());

    Map<String, Family> families = scrape();
    Family requests = families.get("http_server_requests_seconds");
    assertNotNull(requests, "the request timer is exported; families: " + families.keySet());
    assertEquals("histogram", requests.type());
    assertEquals("gauge", families.get("http_server_requests_seconds_max").type());

    Map<String, String> tracked = Map.of("method", "GET", "uri", "/api/packages/{trackingNumber}", "status", "200");
    assertTrue(value(requests, "http_server_requests_seconds_count", tracked) >= 1, "the tracking request is counted");
    assertEquals(value(requests, "http_server_requests_seconds_count", tracked),
        requests.samples().stream()
            .filter(s -> s.name().equals("http_server_requests_seconds_bucket") && s.labels().get("le").equals("+Inf")
                && s.labels().entrySet().containsAll(tracked.entrySet()))
            .findFirst().orElseThrow().value(),
        "the histogram's last bucket holds every request");
    assertTrue(requests.samples().stream().filter(s -> s.name().endsWith("_bucket") && s.labels().entrySet().containsAll(tracked.entrySet())).count() > 10,
        "histogram buckets for quantiles");
    assertTrue(value(requests, "http_server_requests_seconds_count", Map.of("uri", "/api/packages/{trackingNumber}", "status", "404")) >= 1);
    assertTrue(value(requests, "http_server_requests_seconds_count", Map.of("uri", "/api/packages/{trackingNumber}", "status", "400")) >= 1);
    assertTrue(value(requests, "http_server_requests_seconds_count", Map.of("uri", RouteTemplates.OTHER, "status", "404")) >= 1);
    assertTrue(value(requests, "http_server_requests_seconds_count", Map.of("uri", "/app.js", "status", "200")) >= 1);
    for (Sample sample : requests.samples()) {
      assertFalse(sample.labels().get("uri").contains(tn), "no tracking number in a label: " + sample);
    }
  }

  @Test
  void theJvmAndTheProcessReportThemselves() throws Exception {
    Map<String, Family> families = scrape();
    for (String family : List.of(
        "jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_gc_live_data_size_bytes", "jvm_gc_memory_allocated_bytes",
        "jvm_threads_live_threads", "jvm_threads_states_threads", "system_cpu_count", "process_cpu_usage",
        "jvm_classes_loaded_classes", "process_uptime_seconds", "process_start_time_seconds", "process_files_open_files")) {
      assertTrue(families.containsKey(family) && !families.get(family).samples().isEmpty(), family + " in " + families.keySet());
    }
    assertTrue(value(families.get("jvm_memory_used_bytes"), "jvm_memory_used_bytes", Map.of("area", "heap")) > 0, "heap in use");
    assertTrue(value(families.get("jvm_threads_live_threads"), "jvm_threads_live_threads", Map.of()) > 1, "threads");
    assertTrue(value(families.get("process_files_open_files"), "process_files_open_files", Map.of()) > 0, "open files");
    assertEquals(Runtime.getRuntime().availableProcessors(), value(families.get("system_cpu_count"), "system_cpu_count", Map.of()));
  }

  /** Every slice of the package index reports its lag; the live-update stream count is there. */
  @Test
  void theReadSideReportsItsLagPerSliceAndTheOpenStreams() throws Exception {
    TrackingFixture.await(() -> {
      Family lag = scrape().get("ups_projection_lag_events");
      return lag != null && lag.samples().stream().map(s -> s.labels().get("slice")).collect(java.util.stream.Collectors.toSet())
          .equals(java.util.Set.of("0", "1", "2", "3"));
    }, "a lag figure for each of the 4 slices");
    Map<String, Family> families = scrape();
    assertEquals("gauge", families.get("ups_projection_lag_seconds").type());
    assertEquals(0.0, value(families.get("ups_live_update_streams"), "ups_live_update_streams", Map.of()));
  }

  private static double value(Family family, String sampleName, Map<String, String> labels) {
    return family.samples().stream()
        .filter(s -> s.name().equals(sampleName) && s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value).sum();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(fixture.url(path))).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** GET /metrics, read by prometheus_client's parser: families by name. */
  static Map<String, Family> scrape() throws Exception {
    HttpResponse<String> metrics = get("/metrics");
    assertEquals(200, metrics.statusCode());
    Process parser = new ProcessBuilder("/usr/bin/python3", "-c", PARSER).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (OutputStream in = parser.getOutputStream()) {
      in.write(metrics.body().getBytes(StandardCharsets.UTF_8));
    }
    String parsed = new String(parser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(parser.waitFor(30, TimeUnit.SECONDS), "the parser finished");
    assertEquals(0, parser.exitValue(), "prometheus_client parsed /metrics (is python3-prometheus-client installed?)");
    List<Family> families = JSON.readValue(parsed, new TypeReference<List<Family>>() {});
    return families.stream().collect(Collectors.toMap(Family::name, Function.identity()));
  }
}
