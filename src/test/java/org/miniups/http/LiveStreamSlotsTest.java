package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveStreamSlotsTest {
  private static Config config(int perClient, int total, int maxConnections, String heartbeat, String idle) {
    return ConfigFactory.parseMap(Map.of(
        "mini-ups.http.live-streams-per-client", perClient, "mini-ups.http.live-streams-total", total,
        "pekko.http.server.max-connections", maxConnections, "mini-ups.http.live-heartbeat", heartbeat,
        "pekko.http.server.idle-timeout", idle));
  }

  @Test
  void limitsThatDoNotFitTheServerAreRefusedInOneLineNamingTheVariables() {
    assertEquals(
        "LIVE_STREAMS_TOTAL (1024) must be below HTTP_MAX_CONNECTIONS (1024), so that live streams leave connections for other requests",
        assertThrows(IllegalArgumentException.class, () -> LiveStreamSlots.fromConfig(config(20, 1024, 1024, "15s", "60s"))).getMessage());
    assertEquals(
        "LIVE_STREAMS_PER_CLIENT (0) must be at least 1 and at most LIVE_STREAMS_TOTAL (10)",
        assertThrows(IllegalArgumentException.class, () -> LiveStreamSlots.fromConfig(config(0, 10, 1024, "15s", "60s"))).getMessage());
    assertEquals(
        "LIVE_HEARTBEAT (PT1M) must be shorter than HTTP_IDLE_TIMEOUT (PT1M), or quiet live streams are closed",
        assertThrows(IllegalArgumentException.class, () -> LiveStreamSlots.fromConfig(config(20, 1000, 1024, "60s", "60s"))).getMessage());
    assertEquals(0, LiveStreamSlots.fromConfig(config(20, 1000, 1024, "15s", "60s")).open());
  }

  @Test
  void aSlotReleasedTwiceFreesOneAndARefusalTakesNothing() {
    LiveStreamSlots slots = new LiveStreamSlots(2, 3);
    LiveStreamSlots.Slot first = (LiveStreamSlots.Slot) slots.take("a");
    slots.take("a");
    assertInstanceOf(LiveStreamSlots.Refused.class, slots.take("a"));
    slots.take("b");
    assertInstanceOf(LiveStreamSlots.Refused.class, slots.take("c"), "the total is taken");
    assertEquals(3, slots.open());
    first.release().run();
    first.release().run();
    assertEquals(2, slots.open(), "released once");
    assertInstanceOf(LiveStreamSlots.Slot.class, slots.take("c"));
    assertInstanceOf(LiveStreamSlots.Refused.class, slots.take("a"), "under its share, but the total is taken again");
  }
}
