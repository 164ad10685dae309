package org.miniups.sim.amazon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark figures, computed from known timestamps. */
class SimAmazonStatsTest {

  private static final long MS = 1_000_000;
  private static final long START = 1_000 * MS; // nanoTime has an arbitrary origin

  @Test
  void latencyPercentilesAreNearestRanksInMilliseconds() {
    Map<Long, Long> sent = new HashMap<>();
    Map<Long, Long> delivered = new HashMap<>();
    // Shipment i: sent at START, delivered i ms later (1..100 ms), given in reverse order.
    for (long id = 100; id >= 1; id--) {
      sent.put(id, START);
      delivered.put(id, START + id * MS);
    }
    sent.put(101L, START); // not delivered yet: not a sample
    SimAmazonStats stats = stats(sent, delivered);

    assertArrayEquals(new long[] {1, 50, 99, 100}, stats.latencyMillisPercentiles(0, 50, 99, 100));
    assertArrayEquals(new long[] {1}, stats(Map.of(1L, START), Map.of(1L, START + MS + MS / 2))
        .latencyMillisPercentiles(50), "whole milliseconds, rounded down");
    assertThrows(IllegalArgumentException.class, () -> stats.latencyMillisPercentiles(101));
  }

  @Test
  void throughputRunsFromTheFirstPickupSentToTheLastDelivery() {
    // 3 delivered; the first pickup went out at START, the last delivery came 2 s later.
    Map<Long, Long> sent = Map.of(1L, START, 2L, START + 500 * MS, 3L, START + 600 * MS);
    Map<Long, Long> delivered = Map.of(1L, START + 1_000 * MS, 2L, START + 2_000 * MS, 3L, START + 1_500 * MS);
    assertEquals(1.5, stats(sent, delivered).packagesPerSecond().orElseThrow(), 1e-9);
  }

  @Test
  void noFigureBeforeAnythingWasDelivered() {
    SimAmazonStats stats = stats(Map.of(1L, START), Map.of());
    assertTrue(stats.packagesPerSecond().isEmpty());
    assertArrayEquals(new long[0], stats.latencyMillisPercentiles(50, 99));
  }

  private static SimAmazonStats stats(Map<Long, Long> pickupSent, Map<Long, Long> delivered) {
    return new SimAmazonStats(
        1, 0, 0, Tallies.none(), 0, 0, true, true, List.of(), pickupSent, delivered, 0, 0);
  }
}
