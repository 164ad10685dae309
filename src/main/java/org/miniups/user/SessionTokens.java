package org.miniups.user;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed session tokens: {@code "<userId>.<sessionVersion>.<expiresEpochSeconds>.<base64url HMAC-SHA256>"}.
 * Any node holding the same secret can check the signature; whether the session has ended is the
 * user's {@code session_version} in the database (see {@link UserRepository#findSession}).
 */
public final class SessionTokens {
  private static final Logger log = LoggerFactory.getLogger(SessionTokens.class);
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  /** Far longer than any token we issue; spares hashing garbage. */
  private static final int MAX_TOKEN_LENGTH = 128;

  /** Who a token is for, and the session version it was issued at. */
  public record Session(long userId, long version) {}

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

  public String issue(long userId, long sessionVersion) {
    String payload = userId + "." + sessionVersion + "." + clock.instant().plus(lifetime).getEpochSecond();
    return payload + "." + sign(payload);
  }

  /** The session, or empty for a malformed, tampered or expired token. */
  public Optional<Session> verify(String token) {
    if (token == null || token.length() > MAX_TOKEN_LENGTH) return Optional.empty();
    String[] parts = token.split("\\.", -1);
    if (parts.length != 4) return Optional.empty();
    int last = token.lastIndexOf('.');
    String payload = token.substring(0, last);
    // Compare the encoded form: a base64 decoder would accept several spellings of one signature.
    byte[] expected = sign(payload).getBytes(StandardCharsets.US_ASCII);
    byte[] given = token.substring(last + 1).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) return Optional.empty();
    try {
      long userId = Long.parseLong(parts[0]);
      long version = Long.parseLong(parts[1]);
      long expires = Long.parseLong(parts[2]);
      if (clock.instant().getEpochSecond() >= expires) return Optional.empty();
      return Optional.of(new Session(userId, version));
    } catch (NumberFormatException e) {
      return Optional.empty(); // signed, but not by us (another secret's token format)
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
