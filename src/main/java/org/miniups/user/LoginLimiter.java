package org.miniups.user;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Login rate limit, in memory: at most {@code maxFailures} failed logins per (username, client
 * address) in any sliding {@code window}; a success forgets the failures. Per node and lost on
 * restart, which is enough to make guessing passwords slow. At most {@code maxKeys} keys are kept
 * (the least used go first), so a flood of new names costs bounded memory; a key whose last
 * failure left the window is dropped. Thread-safe.
 */
public final class LoginLimiter {
  private final int maxFailures;
  private final Duration window;
  private final Clock clock;
  /** The newest failure times per key (at most maxFailures), oldest first. */
  private final Cache<String, Deque<Instant>> failures;

  public LoginLimiter(int maxFailures, Duration window, long maxKeys, Clock clock) {
    if (maxFailures < 1) throw new IllegalArgumentException("maxFailures must be at least 1");
    if (window.isNegative() || window.isZero()) throw new IllegalArgumentException("window must be positive");
    if (maxKeys < 1) throw new IllegalArgumentException("maxKeys must be at least 1");
    this.maxFailures = maxFailures;
    this.window = window;
    this.clock = clock;
    this.failures =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterWrite(window) // every failure writes: the last one aged out means all did
            .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
            .executor(Runnable::run) // evict on the caller's thread: memory stays bounded at once
            .build();
  }

  /** Seconds (at least 1) until another attempt is allowed; empty when one is allowed now. */
  public synchronized OptionalLong retryAfterSeconds(String username, String clientAddress) {
    Instant now = clock.instant();
    Deque<Instant> times = failures.getIfPresent(key(username, clientAddress));
    if (times == null) return OptionalLong.empty();
    Instant horizon = now.minus(window);
    while (!times.isEmpty() && !times.peekFirst().isAfter(horizon)) times.removeFirst();
    if (times.size() < maxFailures) return OptionalLong.empty();
    Instant freeAt = times.peekFirst().plus(window); // when the oldest failure ages out
    long millis = Duration.between(now, freeAt).toMillis();
    return OptionalLong.of(Math.max(1, (millis + 999) / 1000));
  }

  public synchronized void failed(String username, String clientAddress) {
    Instant now = clock.instant();
    failures.asMap().compute(key(username, clientAddress), (key, times) -> {
      Deque<Instant> updated = times == null ? new ArrayDeque<>() : times;
      updated.addLast(now);
      if (updated.size() > maxFailures) updated.removeFirst(); // only the newest maxFailures decide
      return updated;
    });
  }

  public synchronized void succeeded(String username, String clientAddress) {
    failures.invalidate(key(username, clientAddress));
  }

  /** Keys held now (after evicting what is due). */
  synchronized long keys() {
    failures.cleanUp();
    return failures.estimatedSize();
  }

  private static String key(String username, String clientAddress) {
    return (username == null ? "" : username) + "\n" + (clientAddress == null ? "" : clientAddress);
  }
}
