package org.miniups.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.miniups.user.SessionTokens.Session;
import org.junit.jupiter.api.Test;

class SessionTokensTest {
  private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  private static final byte[] SECRET = "a test secret of enough bytes".getBytes(StandardCharsets.UTF_8);
  private static final Duration HOUR = Duration.ofHours(1);

  private static SessionTokens at(Clock clock) {
    return new SessionTokens(SECRET, HOUR, clock);
  }

  private final SessionTokens tokens = at(Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void anIssuedTokenVerifiesToItsUser() {
    String token = tokens.issue(1001, 3);
    assertEquals(Optional.of(new Session(1001, 3)), tokens.verify(token));
    assertTrue(token.startsWith("1001.3." + NOW.plus(HOUR).getEpochSecond() + "."), token);
    assertTrue(token.matches("[0-9]+\\.[0-9]+\\.[0-9]+\\.[A-Za-z0-9_-]{43}"), token);
  }

  @Test
  void aTamperedTokenIsRefused() {
    String token = tokens.issue(1001, 3);
    String[] parts = token.split("\\.");
    assertEquals(Optional.empty(), tokens.verify("1002." + parts[1] + "." + parts[2] + "." + parts[3]), "other user");
    assertEquals(Optional.empty(), tokens.verify(parts[0] + ".4." + parts[2] + "." + parts[3]), "a later session version");
    assertEquals(Optional.empty(), tokens.verify(parts[0] + "." + parts[1] + "." + (Long.parseLong(parts[2]) + 3600) + "." + parts[3]), "later expiry");
    char last = parts[3].charAt(parts[3].length() - 1);
    String flipped = parts[3].substring(0, parts[3].length() - 1) + (last == 'A' ? 'B' : 'A');
    assertEquals(Optional.empty(), tokens.verify(parts[0] + "." + parts[1] + "." + parts[2] + "." + flipped), "signature");
  }

  @Test
  void aTokenExpiresAfterItsLifetime() {
    String token = tokens.issue(7, 0);
    assertEquals(Optional.of(new Session(7, 0)), at(Clock.offset(Clock.fixed(NOW, ZoneOffset.UTC), HOUR.minusSeconds(1))).verify(token));
    assertEquals(Optional.empty(), at(Clock.offset(Clock.fixed(NOW, ZoneOffset.UTC), HOUR)).verify(token));
    assertEquals(Optional.empty(), at(Clock.offset(Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofDays(30))).verify(token));
  }

  @Test
  void malformedStringsAreRefused() {
    String good = tokens.issue(1001, 0);
    for (String bad :
        new String[] {
          null, "", ".", "..", "...", "1001", "1001.5", "1001..x", ".5.x", "a.b.c", good + ".", "." + good,
          good.replace('.', ':'), good + "x".repeat(200), "1001.5.x.y.z", "-1.-1.-1.AAAA", "1001.0.5"
        }) {
      assertEquals(Optional.empty(), tokens.verify(bad), String.valueOf(bad));
    }
  }

  @Test
  void aTokenFromAnotherSecretIsRefused() {
    SessionTokens other = new SessionTokens("another secret, also long".getBytes(StandardCharsets.UTF_8), HOUR, Clock.fixed(NOW, ZoneOffset.UTC));
    assertEquals(Optional.empty(), other.verify(tokens.issue(1001, 0)));
    assertEquals(Optional.empty(), tokens.verify(other.issue(1001, 0)));
  }

  @Test
  void anEmptyConfiguredSecretMeansARandomOne() {
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    SessionTokens a = SessionTokens.fromConfig("", HOUR, clock);
    SessionTokens b = SessionTokens.fromConfig("", HOUR, clock);
    assertEquals(Optional.of(new Session(5, 0)), a.verify(a.issue(5, 0)));
    assertEquals(Optional.empty(), b.verify(a.issue(5, 0)));
    SessionTokens configured = SessionTokens.fromConfig("a test secret of enough bytes", HOUR, clock);
    assertEquals(Optional.of(new Session(5, 0)), tokens.verify(configured.issue(5, 0)));
    assertNotEquals(a.issue(5, 0), b.issue(5, 0));
  }

  @Test
  void aShortSecretIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new SessionTokens(new byte[8], HOUR, Clock.systemUTC()));
  }
}
