package org.miniups.http;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web site, from memory: index.html at the root, every file of web/ by its path. Any other
 * path is rejected, so the caller's JSON 404 answers it.
 */
final class SiteRoutes extends AllDirectives {
  /**
   * Every file is revalidated on each use and answered with a 304 while its ETag still matches.
   * index.html must be, so a release shows at once; app.js and styles.css keep their names across
   * releases, so any max-age would let a browser pair a new index.html with the last release's
   * script. A 304 costs a round trip but no body.
   */
  private static final CacheControl REVALIDATE = CacheControl.create(CacheDirectives.NO_CACHE);

  private final StaticFiles files;
  private final Map<String, Route> byPath = new HashMap<>();
  private final Route index;

  SiteRoutes(StaticFiles files) {
    this.files = files;
    for (String path : files.paths()) byPath.put("/" + path, file(path));
    this.index = file("index.html");
  }

  /** Every path served: the root and each file's. */
  Set<String> paths() {
    Set<String> paths = new TreeSet<>(byPath.keySet());
    paths.add("/");
    return paths;
  }

  Route routes() {
    return concat(
        pathSingleSlash(() -> index),
        extractUnmatchedPath(path -> byPath.getOrDefault(path, reject())));
  }

  /** GET of one file, with its ETag, and a 304 for a request that names that ETag. */
  Route file(String path) {
    StaticFiles.StaticFile file = files.get(path).orElseThrow(() -> new IllegalStateException("web/" + path + " is missing"));
    HttpResponse response = HttpResponse.create().withEntity(file.entity());
    return get(() -> respondWithHeader(REVALIDATE, () -> conditional(file.etag(), () -> complete(response))));
  }
}
