package org.miniups.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The live-update streams open on this node, counted per client address and in all. Each stream
 * holds a connection for as long as it lasts, so one address may not take them all (429), and all
 * of them together stay below pekko-http's {@code max-connections}, leaving room for ordinary
 * requests (503 beyond that). Only addresses with an open stream are remembered.
 */
public final class LiveStreamSlots {
  /** What a stream that asked for a slot got. */
  sealed interface Outcome {}

  /** A slot, held until {@code release} runs (once; running it again does nothing). */
  record Slot(Runnable release) implements Outcome {}

  record Refused(StatusCode status, String reason) implements Outcome {}

  /** Seconds after which a refused client may try again. */
  static final long RETRY_AFTER_SECONDS = 5;

  private final int perClient;
  private final int total;
  private final ConcurrentHashMap<String, Integer> openByClient = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();

  LiveStreamSlots(int perClient, int total) {
    this.perClient = perClient;
    this.total = total;
  }

  /**
   * The limits configured, checked against the server's connection limit.
   *
   * @throws IllegalArgumentException in one line naming the variables, when they do not fit
   */
  public static LiveStreamSlots fromConfig(Config config) {
    int perClient = config.getInt("mini-ups.http.live-streams-per-client");
    int total = config.getInt("mini-ups.http.live-streams-total");
    int maxConnections = config.getInt("pekko.http.server.max-connections");
    if (perClient < 1 || total < perClient) {
      throw new IllegalArgumentException(
          "LIVE_STREAMS_PER_CLIENT (" + perClient + ") must be at least 1 and at most LIVE_STREAMS_TOTAL (" + total + ")");
    }
    if (total >= maxConnections) {
      throw new IllegalArgumentException(
          "LIVE_STREAMS_TOTAL (" + total + ") must be below HTTP_MAX_CONNECTIONS (" + maxConnections
              + "), so that live streams leave connections for other requests");
    }
    Duration heartbeat = config.getDuration("mini-ups.http.live-heartbeat");
    Duration idle = config.getDuration("pekko.http.server.idle-timeout");
    if (heartbeat.compareTo(idle) >= 0) {
      throw new IllegalArgumentException(
          "LIVE_HEARTBEAT (" + heartbeat + ") must be shorter than HTTP_IDLE_TIMEOUT (" + idle + "), or quiet live streams are closed");
    }
    return new LiveStreamSlots(perClient, total);
  }

  /** The client's own share is checked first: an address over it hears so, whatever the total. */
  Outcome take(String client) {
    AtomicBoolean admitted = new AtomicBoolean();
    openByClient.compute(client, (address, count) -> {
      int now = count == null ? 0 : count;
      if (now >= perClient) return count;
      admitted.set(true);
      return now + 1;
    });
    if (!admitted.get()) {
      return new Refused(
          StatusCodes.TOO_MANY_REQUESTS, "at most " + perClient + " live streams per client are open at a time; close one first");
    }
    if (open.incrementAndGet() > total) {
      open.decrementAndGet();
      releaseOne(client);
      return new Refused(StatusCodes.SERVICE_UNAVAILABLE, "this server has as many live streams open as it serves; try again later");
    }
    AtomicBoolean released = new AtomicBoolean();
    return new Slot(() -> {
      if (!released.compareAndSet(false, true)) return;
      releaseOne(client);
      open.decrementAndGet();
    });
  }

  private void releaseOne(String client) {
    openByClient.computeIfPresent(client, (address, count) -> count <= 1 ? null : count - 1);
  }

  /** Streams open now (the gauge ups_live_update_streams counts them in LiveUpdateHub; this is for tests). */
  int open() {
    return open.get();
  }
}
