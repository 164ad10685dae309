package org.miniups.sim.amazon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a {@link SimAmazonServer} connects, listens and shops.
 *
 * @param worldHost host of the World's Amazon port
 * @param worldPort the World's Amazon port
 * @param host interface the UPS port binds to
 * @param upsPort port UPS connects to (0 picks a free one)
 * @param warehouses how many warehouses the new world gets, each at its own (x, y)
 * @param packages how many pickups to emit in total
 * @param rate pickups emitted per second once UPS has connected; a rate at which the whole run
 *     fits into one emission tick, or {@link Double#POSITIVE_INFINITY}, emits every pickup at once
 * @param upsUserIds existing UPS account ids to name in some pickups (UPS must answer those with
 *     {@code userlinked = true})
 * @param gridHalfSize warehouses and destinations lie in [-gridHalfSize, gridHalfSize]²
 * @param resendInterval how long an item waits for its ack before it is sent again
 * @param randomSeed seed of every random choice (addresses, items, destinations, users)
 * @param simSpeed simspeed to ask of the world on connecting; empty leaves the world's own
 * @param maxFrameBytes largest accepted message body; a larger one drops the connection
 * @param unknownUpsUserIds UPS user ids that name no account, to name in some pickups too (UPS
 *     must answer those with {@code userlinked = false}); with {@code upsUserIds} about half the
 *     pickups name one of either list, the others none
 * @param queryEvery 0: never query; n: an AUQuery for every n-th shipment (shipids n, 2n, …),
 *     once, as soon as its UAPickupAccepted arrives
 * @param stateDir where Amazon saves what it must never forget, and from where a restarted
 *     Amazon resumes (the same world, shipments, seqnums, referee); empty keeps it in memory only
 * @param reportFile a JSON {@link SimAmazonReport} rewritten while something changes; empty for
 *     none
 * @param loadAgainAfterDelivery after each UADelivered, send that shipment's AULoaded once more
 *     under a new seqnum: a valid request (PROTOCOL.md) that UPS must ack and answer with nothing,
 *     as a request handled again after a crash is
 */
public record SimAmazonSettings(
    String worldHost,
    int worldPort,
    String host,
    int upsPort,
    int warehouses,
    int packages,
    double rate,
    List<Long> upsUserIds,
    int gridHalfSize,
    Duration resendInterval,
    long randomSeed,
    OptionalInt simSpeed,
    int maxFrameBytes,
    List<Long> unknownUpsUserIds,
    int queryEvery,
    Optional<Path> stateDir,
    Optional<Path> reportFile,
    boolean loadAgainAfterDelivery) {

  public static final int DEFAULT_WORLD_PORT = 23456;
  public static final int DEFAULT_UPS_PORT = 34567;
  public static final Duration DEFAULT_RESEND_INTERVAL = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

  public SimAmazonSettings {
    requireText("worldHost", worldHost);
    requireText("host", host);
    if (worldPort < 1 || worldPort > 65535) {
      throw new IllegalArgumentException("worldPort must be 1..65535, got " + worldPort);
    }
    checkPort("upsPort", upsPort);
    if (gridHalfSize < 1) {
      throw new IllegalArgumentException("gridHalfSize must be >= 1, got " + gridHalfSize);
    }
    long addresses = (2L * gridHalfSize + 1) * (2L * gridHalfSize + 1);
    // One address must stay free, so that every warehouse has somewhere else to ship to.
    if (warehouses < 1 || warehouses >= addresses) {
      throw new IllegalArgumentException(
          "warehouses must be 1.." + (addresses - 1) + " on this grid, got " + warehouses);
    }
    if (packages < 0) throw new IllegalArgumentException("packages must be >= 0, got " + packages);
    if (!(rate > 0)) {
      throw new IllegalArgumentException("rate must be a positive number, got " + rate);
    }
    upsUserIds = List.copyOf(upsUserIds);
    unknownUpsUserIds = List.copyOf(unknownUpsUserIds);
    for (long id : unknownUpsUserIds) {
      if (upsUserIds.contains(id)) {
        throw new IllegalArgumentException("UPS user id " + id + " cannot be both an account and no account");
      }
    }
    if (queryEvery < 0) throw new IllegalArgumentException("queryEvery must be >= 0, got " + queryEvery);
    if (resendInterval == null || resendInterval.isNegative() || resendInterval.isZero()) {
      throw new IllegalArgumentException("resendInterval must be positive, got " + resendInterval);
    }
    if (simSpeed == null) simSpeed = OptionalInt.empty();
    if (simSpeed.isPresent() && simSpeed.getAsInt() < 1) {
      throw new IllegalArgumentException("simSpeed must be >= 1, got " + simSpeed.getAsInt());
    }
    if (maxFrameBytes < 1) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 1, got " + maxFrameBytes);
    }
    if (stateDir == null) stateDir = Optional.empty();
    if (reportFile == null) reportFile = Optional.empty();
  }

  /** World at localhost:23456, UPS port 34567 on every interface, 3 warehouses, 20 pickups at 5/s. */
  public static SimAmazonSettings defaults() {
    return new SimAmazonSettings(
        "localhost",
        DEFAULT_WORLD_PORT,
        "0.0.0.0",
        DEFAULT_UPS_PORT,
        3,
        20,
        5.0,
        List.of(),
        50,
        DEFAULT_RESEND_INTERVAL,
        1L,
        OptionalInt.empty(),
        DEFAULT_MAX_FRAME_BYTES,
        List.of(),
        0,
        Optional.empty(),
        Optional.empty(),
        false);
  }

  /** Where the World listens for Amazon. */
  public SimAmazonSettings withWorld(String newWorldHost, int newWorldPort) {
    return new SimAmazonSettings(newWorldHost, newWorldPort, host, upsPort, warehouses, packages,
        rate, upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withUpsPort(int value) {
    return new SimAmazonSettings(worldHost, worldPort, host, value, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  /** The interface the UPS port binds to. */
  public SimAmazonSettings withHost(String bindHost) {
    return new SimAmazonSettings(worldHost, worldPort, bindHost, upsPort, warehouses, packages,
        rate, upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withWarehouses(int count) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, count, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withPackages(int count) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, count, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withRate(double perSecond) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages,
        perSecond, upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withUpsUserIds(List<Long> ids) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        ids, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withGrid(int halfSize) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, halfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withResendInterval(Duration value) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, value, randomSeed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withRandomSeed(long seed) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, seed, simSpeed, maxFrameBytes, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  /** {@code null} leaves the world's speed as it is. */
  public SimAmazonSettings withSimSpeed(Integer speed) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed,
        speed == null ? OptionalInt.empty() : OptionalInt.of(speed), maxFrameBytes,
        unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withMaxFrameBytes(int value) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, value, unknownUpsUserIds, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  /** Every pickup of the run in the first emission, as in a benchmark that measures a burst. */
  public SimAmazonSettings withAllPickupsAtOnce() {
    return withRate(Double.POSITIVE_INFINITY);
  }

  /** Ids that name no UPS account, see {@link #unknownUpsUserIds()}. */
  public SimAmazonSettings withUnknownUpsUserIds(List<Long> ids) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes, ids, queryEvery, stateDir, reportFile, loadAgainAfterDelivery);
  }

  /** 0 turns queries off, see {@link #queryEvery()}. */
  public SimAmazonSettings withQueryEvery(int n) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes,
        unknownUpsUserIds, n, stateDir, reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withStateDir(Path dir) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes,
        unknownUpsUserIds, queryEvery, Optional.of(dir), reportFile, loadAgainAfterDelivery);
  }

  public SimAmazonSettings withReportFile(Path file) {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes,
        unknownUpsUserIds, queryEvery, stateDir, Optional.of(file), loadAgainAfterDelivery);
  }

  public SimAmazonSettings withLoadAgainAfterDelivery() {
    return new SimAmazonSettings(worldHost, worldPort, host, upsPort, warehouses, packages, rate,
        upsUserIds, gridHalfSize, resendInterval, randomSeed, simSpeed, maxFrameBytes,
        unknownUpsUserIds, queryEvery, stateDir, reportFile, true);
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) throw new IllegalArgumentException(name + " is required");
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be 0..65535, got " + port);
    }
  }
}
