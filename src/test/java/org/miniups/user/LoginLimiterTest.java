package org.miniups.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LoginLimiterTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
  private final LoginLimiter limiter = new LoginLimiter(3, Duration.ofMinutes(5), 100, clock);

  @Test
  void blocksAfterTooManyFailuresUntilTheOldestAgesOut() {
    for (int i = 0; i < 3; i++) {
      assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", "10.0.0.1"));
      limiter.failed("bob", "10.0.0.1");
      clock.advance(Duration.ofSeconds(10));
    }
    // Failures at 0 s, 10 s, 20 s; now 30 s: the first ages out at 300 s.
    assertEquals(OptionalLong.of(270), limiter.retryAfterSeconds("bob", "10.0.0.1"));
    clock.advance(Duration.ofSeconds(269));
    assertEquals(OptionalLong.of(1), limiter.retryAfterSeconds("bob", "10.0.0.1"));
    clock.advance(Duration.ofMillis(500));
    assertEquals(OptionalLong.of(1), limiter.retryAfterSeconds("bob", "10.0.0.1"), "rounded up");
    clock.advance(Duration.ofMillis(500));
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", "10.0.0.1"));
    limiter.failed("bob", "10.0.0.1");
    assertEquals(OptionalLong.of(10), limiter.retryAfterSeconds("bob", "10.0.0.1"), "sliding window");
  }

  @Test
  void countsPerUsernameAndAddress() {
    for (int i = 0; i < 3; i++) limiter.failed("bob", "10.0.0.1");
    assertEquals(true, limiter.retryAfterSeconds("bob", "10.0.0.1").isPresent());
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", "10.0.0.2"));
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("alice", "10.0.0.1"));
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", null));
  }

  @Test
  void successForgetsTheFailures() {
    limiter.failed("bob", "10.0.0.1");
    limiter.failed("bob", "10.0.0.1");
    limiter.succeeded("bob", "10.0.0.1");
    limiter.failed("bob", "10.0.0.1");
    limiter.failed("bob", "10.0.0.1");
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", "10.0.0.1"));
    limiter.failed("bob", "10.0.0.1");
    assertEquals(OptionalLong.of(300), limiter.retryAfterSeconds("bob", "10.0.0.1"));
  }

  @Test
  void oldFailuresDoNotAddUp() {
    for (int i = 0; i < 10; i++) {
      limiter.failed("bob", "10.0.0.1");
      clock.advance(Duration.ofMinutes(3));
    }
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", "10.0.0.1"));
  }

  @Test
  void keepsAtMostItsSizeOfKeysSoAFloodOfNamesCostsBoundedMemory() {
    for (int i = 0; i < 10_000; i++) limiter.failed("name-" + i, "10.0.0.1");
    assertTrue(limiter.keys() <= 100, "keys: " + limiter.keys());
  }

  @Test
  void forgetsAKeyOnceItsLastFailureLeftTheWindow() {
    limiter.failed("bob", "10.0.0.1");
    clock.advance(Duration.ofMinutes(4));
    limiter.failed("alice", "10.0.0.1");
    clock.advance(Duration.ofMinutes(2));
    assertEquals(1, limiter.keys(), "bob's failure aged out, alice's has not");
  }
}
