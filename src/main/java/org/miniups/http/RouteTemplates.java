package org.miniups.http;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Names a request path by the route that serves it, /api/packages/{trackingNumber} for every
 * package, so metrics keep one series per route; any other path is {@link #OTHER}, so a client
 * inventing paths cannot add series.
 */
final class RouteTemplates {
  static final String OTHER = "other";

  private record Template(String name, String[] segments) {}

  private final List<Template> templates;

  /** Templates such as /api/packages/{trackingNumber}: a {placeholder} stands for one segment. */
  RouteTemplates(Collection<String> templates) {
    this.templates = new LinkedHashSet<>(templates).stream().map(t -> new Template(t, t.split("/", -1))).toList();
  }

  /**
   * The template of {@code path} as Pekko renders it (percent-encoded), so an encoded '/' stays
   * inside its segment as it does for the routes. A trailing slash is another path, as there.
   */
  String of(String path) {
    String[] segments = path.split("/", -1);
    for (Template template : templates) {
      if (matches(template.segments(), segments)) return template.name();
    }
    return OTHER;
  }

  private static boolean matches(String[] template, String[] segments) {
    if (template.length != segments.length) return false;
    for (int i = 0; i < template.length; i++) {
      boolean placeholder = template[i].startsWith("{") && template[i].endsWith("}");
      if (placeholder ? segments[i].isEmpty() : !template[i].equals(segments[i])) return false;
    }
    return true;
  }
}
