package org.miniups.user;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Login rate limit, in memory: at most {@code maxFailures} failed logins per (username, client
 * address) in any sliding {@code window}; a success forgets the failures. Per node and lost on
 * restart, which is enough to make guessing passwords slow. Thread-safe.
 */
public final class LoginLimiter {
  private final int maxFailures;
  private final Duration window;
  private final Clock clock;
  /** The newest failure times per key (at most maxFailures), oldest first; keys whose failures have all aged out are swept. */
  private final Map<String, Deque<Instant>> failures = new HashMap<>();
  private Instant nextSweep;

  public LoginLimiter(int maxFailures, Duration window, Clock clock) {
    if (maxFailures < 1) throw new IllegalArgumentException("maxFailures must be at least 1");
    if (window.isNegative() || window.isZero()) throw new IllegalArgumentException("window must be positive");
    this.maxFailures = maxFailures;
    this.window = window;
    this.clock = clock;
    this.nextSweep = clock.instant().plus(window);
  }

  /** Seconds (at least 1) until another attempt is allowed; empty when one is allowed now. */
  public synchronized OptionalLong retryAfterSeconds(String username, String clientAddress) {
    Instant now = clock.instant();
    Deque<Instant> times = recent(key(username, clientAddress), now);
    if (times == null || times.size() < maxFailures) return OptionalLong.empty();
    Instant freeAt = times.peekFirst().plus(window); // when the oldest failure ages out
    long millis = Duration.between(now, freeAt).toMillis();
    return OptionalLong.of(Math.max(1, (millis + 999) / 1000));
  }

  public synchronized void failed(String username, String clientAddress) {
    Instant now = clock.instant();
    sweepIfDue(now);
    Deque<Instant> times = failures.computeIfAbsent(key(username, clientAddress), k -> new ArrayDeque<>());
    times.addLast(now);
    if (times.size() > maxFailures) times.removeFirst(); // only the newest maxFailures decide
  }

  public synchronized void succeeded(String username, String clientAddress) {
    failures.remove(key(username, clientAddress));
  }

  /** The failures of {@code key} still inside the window, or null when there are none. */
  private Deque<Instant> recent(String key, Instant now) {
    Deque<Instant> times = failures.get(key);
    if (times == null) return null;
    Instant horizon = now.minus(window);
    while (!times.isEmpty() && !times.peekFirst().isAfter(horizon)) times.removeFirst();
    if (times.isEmpty()) {
      failures.remove(key);
      return null;
    }
    return times;
  }

  /** Once per window, forget keys nobody has failed on lately, so memory follows recent failures only. */
  private void sweepIfDue(Instant now) {
    if (now.isBefore(nextSweep)) return;
    nextSweep = now.plus(window);
    for (String key : failures.keySet().toArray(String[]::new)) recent(key, now);
  }

  private static String key(String username, String clientAddress) {
    return (username == null ? "" : username) + "\n" + (clientAddress == null ? "" : clientAddress);
  }
}
