package org.miniups.http;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Times every request as Micrometer's {@code http.server.requests}, by method, route template
 * ({@code uri}, Micrometer's name for it) and status. Its histogram buckets let Prometheus compute
 * latency quantiles over all nodes. The time ends when the response starts: for a live-update
 * stream, when its events can begin to flow.
 */
final class HttpMetrics extends AllDirectives {
  private final Meter.MeterProvider<Timer> requests;
  private final RouteTemplates templates;

  HttpMetrics(MeterRegistry registry, RouteTemplates templates) {
    this.requests = Timer.builder("http.server.requests")
        .description("HTTP requests answered, by method, route template and status")
        .publishPercentileHistogram()
        .withRegistry(registry);
    this.templates = templates;
  }

  /** {@code inner} must answer every request (errors and rejections included), so each is counted with the status sent. */
  Route measured(Supplier<Route> inner) {
    return extractRequest(request -> {
      long started = System.nanoTime();
      return mapResponse(response -> {
        requests.withTags(
                "method", request.method().name(),
                "uri", templates.of(request.getUri().path()),
                "status", Integer.toString(response.status().intValue()))
            .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        return response;
      }, inner);
    });
  }
}
