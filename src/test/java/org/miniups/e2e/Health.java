package org.miniups.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** One answer of UPS's {@code GET /health}. */
record Health(int status, JsonNode body) {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  static Health of(int httpPort) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health")).timeout(Duration.ofSeconds(15)).build(),
            HttpResponse.BodyHandlers.ofString());
    return new Health(response.statusCode(), JSON.readTree(response.body()));
  }

  boolean databaseDown() {
    return status == 503 && !body.path("database").path("reachable").asBoolean(true);
  }
}
