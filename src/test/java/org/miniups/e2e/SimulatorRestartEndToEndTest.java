package org.miniups.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.miniups.e2e.AmazonEndToEndTest.amazonSettings;
import static org.miniups.e2e.AmazonEndToEndTest.assertExactlyOnce;
import static org.miniups.e2e.AmazonEndToEndTest.upsSettings;
import static org.miniups.e2e.AmazonEndToEndTest.worldSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.miniups.AppConfig;
import org.miniups.TestConfigs.Database;
import org.miniups.node.UpsService;
import org.miniups.sim.amazon.SimAmazonServer;
import org.miniups.sim.amazon.SimAmazonSettings;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;

/**
 * UPS against both simulators, each killed mid-run and started again from its state dir on its
 * ports: the run still ends with every package delivered exactly once, Amazon told each step
 * once and in causal order, and nothing unacked.
 */
class SimulatorRestartEndToEndTest {
  private static final Duration PATIENCE = Duration.ofMinutes(3);
  private static final int PACKAGES = 100;

  @TempDir Path stateDirs;
  private SimWorldServer world;
  private SimAmazonServer amazon;
  private UpsService ups;

  @AfterEach
  void stop() {
    if (ups != null) ups.close();
    if (amazon != null) amazon.close();
    if (world != null) world.close();
  }

  @Test
  void everyPackageIsDeliveredExactlyOnceThoughTheWorldAndAmazonWereKilledMidRun() throws Exception {
    SimWorldSettings worldSettings = worldSettings(0).withStateDir(stateDirs.resolve("world"));
    world = SimWorldServer.start(worldSettings);
    worldSettings = worldSettings.withPorts(world.upsPort(), world.amazonPort());
    SimAmazonSettings amazonSettings =
        amazonSettings(world, 0, PACKAGES).withRate(50).withStateDir(stateDirs.resolve("amazon"));
    amazon = SimAmazonServer.start(amazonSettings);
    amazonSettings = amazonSettings.withUpsPort(amazon.upsPort());
    long worldId = amazon.worldId();
    ups = UpsService.start(AppConfig.load(upsSettings(Database.H2.freshUrl(), world, amazon.upsPort())));
    ups.connectToPeers();

    awaitAmazon("a fifth delivered", s -> s.delivered().size() >= PACKAGES / 5);
    world.kill();
    world = SimWorldServer.start(worldSettings);
    assertEquals(List.of(worldId), world.resumedWorldIds());

    awaitAmazon("half delivered", s -> s.delivered().size() >= PACKAGES / 2);
    amazon.kill();
    amazon = SimAmazonServer.start(amazonSettings);
    assertTrue(amazon.resumed());
    assertEquals(worldId, amazon.worldId());

    SimAmazonStats stats = awaitAmazon("every package delivered", SimAmazonStats::allDelivered);
    assertExactlyOnce(world, stats, PACKAGES);
    assertEquals(Set.of(worldId), world.worldIds(), "no second world");
    awaitAmazon("Amazon's items to UPS acked", s -> s.unackedToUps() == 0 && s.unackedToWorld() == 0);
    await("the World's items acked").atMost(PATIENCE).pollInterval(Duration.ofMillis(50))
        .until(() -> world.stats(worldId), s -> s.upsUnacked() == 0 && s.amazonUnacked() == 0);
  }

  private SimAmazonStats awaitAmazon(String what, Predicate<SimAmazonStats> condition) {
    return await(what).atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(amazon::stats, condition);
  }
}
