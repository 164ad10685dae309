package org.miniups.user;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.OptionalLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stateless signed session tokens: {@code "<userId>.<expiresEpochSeconds>.<base64url HMAC-SHA256>"}.
 * Nothing is stored, so any node holding the same secret can check a token, and a token cannot be
 * revoked before it expires (keep the lifetime short enough for that).
 */
public final class SessionTokens {
  private static final Logger log = LoggerFactory.getLogger(SessionTokens.class);
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  /** Far longer than any token we issue; spares hashing garbage. */
  private static final int MAX_TOKEN_LENGTH = 128;

  private final SecretKeySpec key;
  private final Duration lifetime;
  private final Clock clock;

  public SessionTokens(byte[] secret, Duration lifetime, Clock clock) {
    if (secret == null || secret.length < 16) throw new IllegalArgumentException("the session secret needs at least 16 bytes");
    if (lifetime.isNegative() || lifetime.isZero()) throw new IllegalArgumentException("the session lifetime must be positive");
    this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /**
   * Tokens signed with {@code secretOrEmpty} (UTF-8), or with a random secret when it is empty:
   * then every node signs differently and sessions end on restart, which is fine for a demo only.
   */
  public static SessionTokens fromConfig(String secretOrEmpty, Duration lifetime, Clock clock) {
    if (secretOrEmpty == null || secretOrEmpty.isBlank()) {
      log.warn("No session secret configured: using a random one, so sessions end on restart (set SESSION_SECRET)");
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      return new SessionTokens(secret, lifetime, clock);
    }
    return new SessionTokens(secretOrEmpty.getBytes(StandardCharsets.UTF_8), lifetime, clock);
  }

  public String issue(long userId) {
    String payload = userId + "." + clock.instant().plus(lifetime).getEpochSecond();
    return payload + "." + sign(payload);
  }

  /** The user id, or empty for a malformed, tampered or expired token. */
  public OptionalLong verify(String token) {
    if (token == null || token.length() > MAX_TOKEN_LENGTH) return OptionalLong.empty();
    int first = token.indexOf('.');
    int last = token.lastIndexOf('.');
    if (first <= 0 || last == first || token.indexOf('.', first + 1) != last) return OptionalLong.empty();
    String payload = token.substring(0, last);
    // Compare the encoded form: a base64 decoder would accept several spellings of one signature.
    byte[] expected = sign(payload).getBytes(StandardCharsets.US_ASCII);
    byte[] given = token.substring(last + 1).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) return OptionalLong.empty();
    try {
      long userId = Long.parseLong(token.substring(0, first));
      long expires = Long.parseLong(token.substring(first + 1, last));
      if (clock.instant().getEpochSecond() >= expires) return OptionalLong.empty();
      return OptionalLong.of(userId);
    } catch (NumberFormatException e) {
      return OptionalLong.empty(); // signed, but not by us (another secret's token format)
    }
  }

  private String sign(String payload) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM); // Mac is not thread-safe; one per call is cheap enough
      mac.init(key);
      return BASE64URL.encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
