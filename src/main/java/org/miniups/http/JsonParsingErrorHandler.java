package org.miniups.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests too broken to reach the routes (a malformed or too long URI, oversized headers) are
 * answered by the server itself, in plain text by default; this makes them JSON errors like every
 * other. Named by {@code pekko.http.server.parsing.error-handler} in application.conf.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    log.warning("Illegal request, responding with status '{}': {}", status, error.summary());
    // No HSTS here: it needs the service's settings, and every routed response carries it anyway.
    return Json.error(status, error.summary()).addHeaders(SecurityHeaders.of(false));
  }
}
