package org.miniups.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Routes for benchmarks only, under /api when {@code mini-ups.http.bench-routes} is on: GET
 * /api/bench/constant answers a fixed tracking answer of the usual size (about 1 KB) from memory,
 * asking no actor and serializing nothing, so a load test can tell the HTTP stack's cost from the
 * rest. Off (the default), they do not exist: the usual JSON 404.
 */
final class BenchRoutes {
  static final String CONSTANT_TEMPLATE = "/api/bench/constant";

  private BenchRoutes() {}

  static Route fromConfig(Config config) {
    if (!config.getBoolean("mini-ups.http.bench-routes")) return Directives.reject();
    HttpResponse constant =
        HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, resource("bench/tracking-answer.json")));
    return Directives.pathPrefix("bench", () -> Directives.path("constant", () -> Directives.get(() -> Directives.complete(constant))));
  }

  private static byte[] resource(String name) {
    try (InputStream in = BenchRoutes.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
