package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Request paths named by their route, so metrics have one series per route and a few for the rest. */
class RouteTemplatesTest {
  private final RouteTemplates templates = new RouteTemplates(List.of(
      "/", "/app.js", "/api/packages/{trackingNumber}", "/api/packages/{trackingNumber}/events", "/api/me/packages"));

  @Test
  void aPlaceholderStandsForOneSegment() {
    assertEquals("/api/packages/{trackingNumber}", templates.of("/api/packages/1ZABCDEF0123456789"));
    assertEquals("/api/packages/{trackingNumber}/events", templates.of("/api/packages/1ZABCDEF0123456789/events"));
    assertEquals("/api/packages/{trackingNumber}", templates.of("/api/packages/a%2Fevents"), "an encoded slash stays in its segment");
    assertEquals("/api/me/packages", templates.of("/api/me/packages"));
    assertEquals("/", templates.of("/"));
    assertEquals("/app.js", templates.of("/app.js"));
  }

  @Test
  void everythingElseIsOther() {
    for (String path : List.of("", "/api/packages/", "/api/packages//events", "/api/packages/x/events/", "/app.js/",
        "/api/me/packages/1", "/apps.js", "/api/packages/x/y", "/%00")) {
      assertEquals(RouteTemplates.OTHER, templates.of(path), path);
    }
  }

  /**
   * Every route the OpenAPI document lists has its own template, and no template names a path that
   * is not served (the bench route is served only in benchmarks, so it is not documented).
   */
  @Test
  void theTemplatesAreTheDocumentedPathsAndTheSiteFiles() throws Exception {
    Set<String> documented = new TreeSet<>();
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("web/api/openapi.yaml")) {
      new ObjectMapper(new YAMLFactory()).readTree(in).get("paths").fieldNames().forEachRemaining(documented::add);
    }
    Set<String> siteFiles = new SiteRoutes(StaticFiles.load("web")).paths();
    Set<String> templates = new TreeSet<>(ApiRoutes.ROUTE_TEMPLATES);
    templates.addAll(siteFiles);
    Set<String> served = new TreeSet<>(documented);
    served.addAll(siteFiles);
    served.add(BenchRoutes.CONSTANT_TEMPLATE);
    assertEquals(served, templates);

    RouteTemplates named = new RouteTemplates(List.copyOf(templates));
    Stream.concat(documented.stream(), siteFiles.stream()).forEach(path ->
        assertEquals(path, named.of(path.replace("{trackingNumber}", "1ZABCDEF0123456789")), path));
  }
}
