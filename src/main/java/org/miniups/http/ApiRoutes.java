package org.miniups.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every route of the server, wrapped so that every error is JSON with a human message: bad
 * input is a 4xx, a slow actor a 503, and a bug a 500 without a stack trace (that goes to the log).
 */
public final class ApiRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  /** The paths served besides the site's files, as metrics name them; RouteTemplatesTest holds them to the OpenAPI document. */
  static final List<String> ROUTE_TEMPLATES = List.of(
      "/api/packages/{trackingNumber}", "/api/packages/{trackingNumber}/events",
      "/api/packages/{trackingNumber}/destination", "/api/users", "/api/sessions", "/api/me", "/api/me/packages", "/api/me/password",
      "/api/trucks", "/health", "/metrics", BenchRoutes.CONSTANT_TEMPLATE);

  private final PackageRoutes packages;
  private final AccountRoutes accounts;
  private final OpsRoutes ops;
  private final SiteRoutes site;
  private final Route openApiDocument;
  private final Route bench;
  private final HttpMetrics metrics;
  private final List<HttpHeader> securityHeaders;

  public ApiRoutes(Backend backend, PrometheusMeterRegistry registry) {
    this.packages = new PackageRoutes(backend);
    this.accounts = new AccountRoutes(backend);
    this.ops = new OpsRoutes(backend, new OpsRoutes.Metrics(backend, registry));
    this.site = new SiteRoutes(StaticFiles.load("web"));
    this.openApiDocument = site.file("api/openapi.yaml");
    this.bench = BenchRoutes.fromConfig(backend.system().settings().config());
    this.securityHeaders = SecurityHeaders.of(backend.system().settings().config().getBoolean("mini-ups.accounts.session-cookie-secure"));
    this.metrics = new HttpMetrics(registry, new RouteTemplates(Stream.concat(ROUTE_TEMPLATES.stream(), site.paths().stream()).toList()));
  }

  public Route routes() {
    RejectionHandler rejections = rejections();
    // Outside the handlers, so that errors and rejections carry the headers too.
    return metrics.measured(() -> respondWithHeaders(securityHeaders, () -> withRequestTimeoutResponse(this::timedOut,
        () -> handleExceptions(exceptions(), () -> handleRejections(rejections, () -> concat(
        // Answered here, so the site's files never add their GET to an API path's 405.
        pathPrefix("api", () -> handleRejections(rejections, () -> concat(
            path("openapi.yaml", () -> openApiDocument),
            packages.routes(),
            accounts.routes(),
            ops.apiRoutes(),
            bench))),
        ops.rootRoutes(),
        site.routes()))))));
  }

  /** A request that takes longer than pekko's request-timeout: answered by the server, so the headers are added here. */
  private HttpResponse timedOut(HttpRequest request) {
    return Json.error(StatusCodes.SERVICE_UNAVAILABLE, "the service is busy; try again").addHeaders(securityHeaders);
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(ApiError.class, e -> complete(Json.error(e.status(), e.getMessage())))
        .match(EntityStreamSizeException.class, e -> complete(Json.error(StatusCodes.PAYLOAD_TOO_LARGE, "the body is too large")))
        .match(TimeoutException.class, e -> complete(Json.error(StatusCodes.SERVICE_UNAVAILABLE, "the service is busy; try again")))
        .matchAny(e -> {
          Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof ApiError api) return complete(Json.error(api.status(), api.getMessage()));
          if (cause instanceof TimeoutException) return complete(Json.error(StatusCodes.SERVICE_UNAVAILABLE, "the service is busy; try again"));
          log.error("Request failed", cause);
          return complete(Json.error(StatusCodes.INTERNAL_SERVER_ERROR, "something went wrong on our side; it has been logged"));
        })
        .build();
  }

  /** Pekko's default answers, re-worded as JSON; an oversized body is a 413. */
  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> r.getCause() instanceof EntityStreamSizeException
            ? complete(Json.error(StatusCodes.PAYLOAD_TOO_LARGE, "the body is too large (at most " + ApiDirectives.MAX_BODY_BYTES + " bytes)"))
            : complete(Json.error(StatusCodes.BAD_REQUEST, "the body could not be read: " + r.message())))
        .handleNotFound(extractUri(uri -> complete(Json.error(StatusCodes.NOT_FOUND, "nothing here: " + uri.path()))))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(response -> {
          if (response.entity().getContentType().mediaType().toString().equals("application/json")) return response;
          String text = response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
              ? strict.getData().utf8String() : response.status().reason();
          // Keeps the headers (a 405's Allow lists the methods that are served).
          return Json.error(response.status(), text.isBlank() ? response.status().reason() : text).withHeaders(response.getHeaders());
        });
  }
}
