package org.miniups.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.sim.amazon.SimAmazonServer;
import org.miniups.sim.amazon.SimAmazonSettings;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;
import org.miniups.sim.world.SimWorldStats;

/**
 * The benchmark's yardstick stays a correct UPS: a small run through the real simulators, judged
 * by the delivery check (which includes the simulated Amazon's protocol referee).
 */
class MinimalUpsTest {
  private static final int PACKAGES = 50;
  private static final int TRUCKS = 3;
  private static final int MAX_PER_TRIP = 10;
  private static final Duration PATIENCE = Duration.ofMinutes(2);

  private SimWorldServer world;
  private SimAmazonServer amazon;
  private MinimalUps ups;

  @AfterEach
  void stop() {
    if (ups != null) ups.close();
    if (amazon != null) amazon.close();
    if (world != null) world.close();
  }

  @Test
  void everyPackageIsDeliveredExactlyOnceInFilledTrips() throws Exception {
    world = SimWorldServer.start(
        SimWorldSettings.defaults().withHost("127.0.0.1").withPorts(0, 0).withSimSpeed(100_000));
    amazon = SimAmazonServer.start(
        SimAmazonSettings.defaults()
            .withHost("127.0.0.1")
            .withWorld("127.0.0.1", world.amazonPort())
            .withUpsPort(0)
            .withWarehouses(3)
            .withPackages(PACKAGES)
            .withAllPickupsAtOnce()
            .withQueryEvery(5)
            .withResendInterval(Duration.ofMillis(500)));
    ups = MinimalUps.start(new MinimalUps.Settings(
        "127.0.0.1", amazon.upsPort(), "127.0.0.1", world.upsPort(), TRUCKS, MAX_PER_TRIP, Duration.ofMillis(500)));

    SimAmazonStats delivered = awaitAllDelivered();
    SimWorldStats worldStats = world.stats(amazon.worldId());
    assertEquals(List.of(), DeliveryCheck.problems(delivered, worldStats, PACKAGES));
    MinimalUps.Stats stats = ups.stats();
    assertTrue(stats.failure().isEmpty(), "no link broke: " + stats.failure());
    assertEquals(0, stats.worldErrors() + stats.amazonErrors(), "no errors either way");
    // More pickups than trucks: trips are filled up to the maximum, never beyond.
    long trips = worldStats.processed("UGoPickup");
    assertEquals(stats.tripsStarted(), trips);
    assertTrue(trips >= PACKAGES / MAX_PER_TRIP && trips < PACKAGES, "trips: " + trips);
  }

  private SimAmazonStats awaitAllDelivered() {
    return await("every package delivered").atMost(PATIENCE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          // A broken minimal UPS fails the test at once, not after the whole patience.
          assertTrue(ups.stats().failure().isEmpty(), () -> "minimal UPS failed: " + ups.stats().failure());
          return amazon.stats();
        }, SimAmazonStats::allDelivered);
  }

}
