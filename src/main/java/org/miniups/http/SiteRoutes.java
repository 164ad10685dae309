package org.miniups.http;

import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/** The web site: static files from the jar, index.html at the root. */
final class SiteRoutes {
  private SiteRoutes() {}

  static Route routes() {
    return Directives.get(() -> Directives.concat(
        Directives.pathSingleSlash(() -> Directives.getFromResource("web/index.html")),
        Directives.getFromResourceDirectory("web")));
  }
}
