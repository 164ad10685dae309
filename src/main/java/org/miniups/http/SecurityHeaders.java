package org.miniups.http;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Headers on every response: the site runs only its own scripts and styles (an injected inline
 * script does not run), is never framed (no clickjacking), and sends no referrer (tracking numbers
 * are in its URLs). HSTS only once the session cookie is HTTPS-only: then the site is served over
 * HTTPS, and a browser that saw it once never tries plain HTTP again.
 */
final class SecurityHeaders {
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
  static final String STRICT_TRANSPORT_SECURITY = "max-age=31536000";

  private SecurityHeaders() {}

  static List<HttpHeader> of(boolean https) {
    List<HttpHeader> headers = new ArrayList<>(List.of(
        RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        RawHeader.create("X-Content-Type-Options", "nosniff"),
        RawHeader.create("Referrer-Policy", "no-referrer")));
    if (https) headers.add(RawHeader.create("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY));
    return List.copyOf(headers);
  }
}
