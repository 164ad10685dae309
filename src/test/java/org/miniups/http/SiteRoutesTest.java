package org.miniups.http;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.EntityTagRange;
import org.apache.pekko.http.javadsl.model.headers.IfNoneMatch;
import org.apache.pekko.http.javadsl.testkit.JUnitRouteTest;
import org.apache.pekko.http.javadsl.testkit.TestRoute;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.junit.Test;

/** The web site's files from memory: bytes as in the jar, content types, ETags and 304s. */
public class SiteRoutesTest extends JUnitRouteTest {
  private static final Map<String, String> CONTENT_TYPES = Map.of(
      "index.html", "text/html; charset=UTF-8",
      "app.js", "application/javascript; charset=UTF-8",
      "styles.css", "text/css; charset=UTF-8",
      "favicon.svg", "image/svg+xml",
      "api/openapi.yaml", "application/yaml; charset=UTF-8");

  private final TestRoute site = testRoute(new SiteRoutes(StaticFiles.load("web")).routes());

  @Test
  public void everyFileIsServedWithItsBytesContentTypeETagAndNoCache() throws Exception {
    for (Map.Entry<String, String> file : CONTENT_TYPES.entrySet()) {
      TestRouteResult served = site.run(HttpRequest.GET("/" + file.getKey())).assertStatusCode(200);
      assertArrayEquals(file.getKey(), resource("web/" + file.getKey()), served.entityBytes().toArray());
      assertEquals(file.getKey(), file.getValue(), served.contentTypeString());
      assertFalse(file.getKey() + " has a strong ETag", served.header(ETag.class).etag().weak());
      assertEquals(file.getKey(), "no-cache", served.header(CacheControl.class).value());
    }
  }

  @Test
  public void theRootIsIndexHtml() throws Exception {
    TestRouteResult root = site.run(HttpRequest.GET("/")).assertStatusCode(200);
    assertArrayEquals(resource("web/index.html"), root.entityBytes().toArray());
    assertEquals(etag("/index.html"), root.header(ETag.class).value());
  }

  @Test
  public void aMatchingIfNoneMatchIsA304WithoutABody() {
    ETag etag = site.run(HttpRequest.GET("/app.js")).header(ETag.class);
    TestRouteResult unchanged = site.run(HttpRequest.GET("/app.js").addHeader(IfNoneMatch.create(EntityTagRange.create(etag.etag()))))
        .assertStatusCode(304);
    assertEquals(0, unchanged.entityBytes().length());
    assertEquals(etag.value(), unchanged.header(ETag.class).value());
    assertEquals("no-cache", unchanged.header(CacheControl.class).value());

    EntityTag another = site.run(HttpRequest.GET("/styles.css")).header(ETag.class).etag();
    site.run(HttpRequest.GET("/app.js").addHeader(IfNoneMatch.create(EntityTagRange.create(another)))).assertStatusCode(200);
  }

  @Test
  public void eTagsFollowTheBytes() {
    assertNotEquals(etag("/app.js"), etag("/styles.css"));
    String reloaded = testRoute(new SiteRoutes(StaticFiles.load("web")).routes()).run(HttpRequest.GET("/app.js"))
        .header(ETag.class).value();
    assertEquals("the same bytes, the same ETag after a restart", etag("/app.js"), reloaded);
  }

  @Test
  public void otherPathsAndMethodsAreLeftToTheCaller() {
    assertTrue(site.runWithRejections(HttpRequest.GET("/missing.js")).rejections().isEmpty());
    assertTrue(site.runWithRejections(HttpRequest.GET("/web/index.html")).rejections().isEmpty());
    assertTrue(site.runWithRejections(HttpRequest.GET("/..%2Fweb%2Findex.html")).rejections().isEmpty());
    site.run(HttpRequest.POST("/app.js")).assertStatusCode(405);
  }

  private String etag(String path) {
    return site.run(HttpRequest.GET(path)).header(ETag.class).value();
  }

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = SiteRoutesTest.class.getClassLoader().getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }
}
