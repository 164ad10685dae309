package org.miniups.sim.world;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How a {@link SimWorldServer} listens and behaves.
 *
 * @param host interface to bind both ports to
 * @param upsPort port for the UPS link (0 picks a free one)
 * @param amazonPort port for the Amazon link (0 picks a free one)
 * @param flakinessPercent chance (0..99) that each incoming request is silently dropped
 * @param simSpeed initial simulation speed of new worlds (100 is the course's default; larger is
 *     faster)
 * @param resendInterval how long the world waits for an ack before re-sending an item
 * @param randomSeed seed of the flakiness draws, so that a run can be repeated
 * @param maxFrameBytes largest accepted message body; a larger declared length closes the
 *     connection
 * @param stateDir where each world saves what it must never forget (one file per world), and
 *     from where a restarted simulator resumes them; empty keeps everything in memory only
 * @param reportFile a JSON {@link SimWorldReport} rewritten while something changes; empty for
 *     none
 */
public record SimWorldSettings(
    String host,
    int upsPort,
    int amazonPort,
    int flakinessPercent,
    int simSpeed,
    Duration resendInterval,
    long randomSeed,
    int maxFrameBytes,
    Optional<Path> stateDir,
    Optional<Path> reportFile) {

  public static final int DEFAULT_UPS_PORT = 12345;
  public static final int DEFAULT_AMAZON_PORT = 23456;
  public static final int DEFAULT_SIM_SPEED = 100;
  public static final Duration DEFAULT_RESEND_INTERVAL = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

  public SimWorldSettings {
    if (host == null || host.isBlank()) throw new IllegalArgumentException("host is required");
    checkPort("upsPort", upsPort);
    checkPort("amazonPort", amazonPort);
    if (flakinessPercent < 0 || flakinessPercent > 99) {
      throw new IllegalArgumentException("flakinessPercent must be 0..99, got " + flakinessPercent);
    }
    if (simSpeed < 1) throw new IllegalArgumentException("simSpeed must be >= 1, got " + simSpeed);
    if (resendInterval == null || resendInterval.isNegative() || resendInterval.isZero()) {
      throw new IllegalArgumentException("resendInterval must be positive, got " + resendInterval);
    }
    if (maxFrameBytes < 1) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 1, got " + maxFrameBytes);
    }
    if (stateDir == null) stateDir = Optional.empty();
    if (reportFile == null) reportFile = Optional.empty();
  }

  /** The course's defaults: ports 12345 / 23456 on every interface, no flakiness, speed 100. */
  public static SimWorldSettings defaults() {
    return new SimWorldSettings(
        "0.0.0.0",
        DEFAULT_UPS_PORT,
        DEFAULT_AMAZON_PORT,
        0,
        DEFAULT_SIM_SPEED,
        DEFAULT_RESEND_INTERVAL,
        1L,
        DEFAULT_MAX_FRAME_BYTES,
        Optional.empty(),
        Optional.empty());
  }

  public SimWorldSettings withHost(String value) {
    return new SimWorldSettings(value, upsPort, amazonPort, flakinessPercent, simSpeed,
        resendInterval, randomSeed, maxFrameBytes, stateDir, reportFile);
  }

  /** Both ports at once; 0 picks free ones (see {@link SimWorldServer#upsPort()}). */
  public SimWorldSettings withPorts(int ups, int amazon) {
    return new SimWorldSettings(host, ups, amazon, flakinessPercent, simSpeed, resendInterval,
        randomSeed, maxFrameBytes, stateDir, reportFile);
  }

  public SimWorldSettings withFlakinessPercent(int value) {
    return new SimWorldSettings(host, upsPort, amazonPort, value, simSpeed, resendInterval,
        randomSeed, maxFrameBytes, stateDir, reportFile);
  }

  public SimWorldSettings withSimSpeed(int value) {
    return new SimWorldSettings(host, upsPort, amazonPort, flakinessPercent, value,
        resendInterval, randomSeed, maxFrameBytes, stateDir, reportFile);
  }

  public SimWorldSettings withResendInterval(Duration value) {
    return new SimWorldSettings(host, upsPort, amazonPort, flakinessPercent, simSpeed, value,
        randomSeed, maxFrameBytes, stateDir, reportFile);
  }

  public SimWorldSettings withRandomSeed(long value) {
    return new SimWorldSettings(host, upsPort, amazonPort, flakinessPercent, simSpeed,
        resendInterval, value, maxFrameBytes, stateDir, reportFile);
  }

  public SimWorldSettings withMaxFrameBytes(int value) {
    return new SimWorldSettings(host, upsPort, amazonPort, flakinessPercent, simSpeed,
        resendInterval, randomSeed, value, stateDir, reportFile);
  }

  public SimWorldSettings withStateDir(Path dir) {
    return new SimWorldSettings(host, upsPort, amazonPort, flakinessPercent, simSpeed,
        resendInterval, randomSeed, maxFrameBytes, Optional.of(dir), reportFile);
  }

  public SimWorldSettings withReportFile(Path file) {
    return new SimWorldSettings(host, upsPort, amazonPort, flakinessPercent, simSpeed,
        resendInterval, randomSeed, maxFrameBytes, stateDir, Optional.of(file));
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be 0..65535, got " + port);
    }
  }
}
