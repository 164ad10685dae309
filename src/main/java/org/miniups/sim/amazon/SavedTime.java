package org.miniups.sim.amazon;

/**
 * {@link System#nanoTime()} means nothing in another process; a saved time is converted to
 * nanoseconds since the epoch and back, so that it keeps its meaning (to wall-clock precision)
 * across a restart.
 */
final class SavedTime {
  private SavedTime() {}

  // Fixed once per process, so that converting there and back gives the same value.
  private static final long EPOCH_MINUS_NANO_TIME =
      System.currentTimeMillis() * 1_000_000 - System.nanoTime();

  static long toEpochNanos(long nanoTime) {
    return nanoTime + EPOCH_MINUS_NANO_TIME;
  }

  static long fromEpochNanos(long epochNanos) {
    return epochNanos - EPOCH_MINUS_NANO_TIME;
  }
}
