package org.miniups.http;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the routes and unbinds them first on shutdown, so requests in flight can finish. */
public final class HttpServer {
  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String host, int port, Route routes) {
    return Http.get(system)
        .newServerAt(host, port)
        .bind(routes)
        .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system));
  }
}
