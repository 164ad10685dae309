package org.miniups.link;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential reconnect delays with jitter, so a restarted peer is not hammered in lockstep. */
public final class Backoff {
  private final Duration min;
  private final Duration max;
  private Duration current;

  public Backoff(Duration min, Duration max) {
    this.min = min;
    this.max = max;
    this.current = min;
  }

  /** The delay before the next attempt; each call doubles the following one, up to the maximum. */
  public Duration next() {
    Duration delay = current;
    Duration doubled = current.multipliedBy(2);
    current = doubled.compareTo(max) > 0 ? max : doubled;
    double jitter = 1.0 + ThreadLocalRandom.current().nextDouble(-0.2, 0.2);
    return Duration.ofMillis(Math.max(1, (long) (delay.toMillis() * jitter)));
  }

  /** The delay before attempt {@code attempt} (from 1): min, doubled per attempt, at most max; no jitter. */
  public static Duration exponential(Duration min, Duration max, int attempt) {
    Duration delay = min.multipliedBy(1L << Math.min(attempt - 1, 20));
    return delay.compareTo(max) > 0 ? max : delay;
  }

  public void reset() {
    current = min;
  }

  /** "1.5s" or "250ms": for log lines people read. */
  public static String describe(Duration delay) {
    long ms = delay.toMillis();
    return ms < 1000 ? ms + "ms" : String.format("%.1fs", ms / 1000.0);
  }
}
