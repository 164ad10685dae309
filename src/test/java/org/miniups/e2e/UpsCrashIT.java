package org.miniups.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.FreePorts;
import org.miniups.TestConfigs.Database;
import org.miniups.sim.amazon.SimAmazonServer;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldServer;

/**
 * Kill -9 in the middle of a run: UPS runs as its own JVM (the real jar, on PostgreSQL) against
 * the simulated World and Amazon; it is killed while pickups are still coming in and trucks are on
 * the road, then started again on the same database. Every package must still be delivered exactly
 * once, and Amazon must hear each step exactly once: a lost notice, a duplicated one, or a reused
 * seqnum (which a peer would take for a repeat and drop) would break those counts.
 */
class UpsCrashIT {
  private static final int PACKAGES = 200;

  private SimWorldServer world;
  private SimAmazonServer amazon;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    if (amazon != null) amazon.close();
    if (world != null) world.close();
  }

  @Test
  void everyPackageIsDeliveredExactlyOnceAcrossAKill9() throws Exception {
    world = SimWorldServer.start(AmazonEndToEndTest.worldSettings(20));
    amazon = SimAmazonServer.start(AmazonEndToEndTest.amazonSettings(world, 0, PACKAGES).withRate(10));
    String dbUrl = Database.POSTGRES.freshUrl();

    Process first = startUps(dbUrl, "first");
    AmazonEndToEndTest.eventually(
        amazon::stats, s -> delivered(s) >= 30, "30 packages delivered");
    int createdAtKill = amazon.stats().created();
    first.destroyForcibly(); // SIGKILL: no shutdown hooks, no goodbye to the peers
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    assertTrue(createdAtKill < PACKAGES, "killed while pickups were still coming in (" + createdAtKill + ")");

    startUps(dbUrl, "second");
    SimAmazonStats stats = AmazonEndToEndTest.eventually(amazon::stats, SimAmazonStats::allDelivered, "every package delivered");
    AmazonEndToEndTest.assertExactlyOnce(world, stats, PACKAGES);
    AmazonEndToEndTest.eventually(() -> amazon.stats().unackedToUps(), n -> n == 0, "Amazon's items to UPS acked");
  }

  private static long delivered(SimAmazonStats stats) {
    return stats.delivered().size();
  }

  private Process startUps(String dbUrl, String name) throws IOException {
    String jar = System.getProperty("miniups.jar", "target/mini-ups.jar");
    ProcessBuilder builder =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar, "serve");
    var env = builder.environment();
    env.put("DB_URL", dbUrl);
    env.put("SESSION_SECRET", JarProcess.SESSION_SECRET);
    env.put("DB_USER", System.getProperty("test.pg.user", "postgres"));
    env.put("WORLD_HOST", "127.0.0.1");
    env.put("WORLD_PORT", String.valueOf(world.upsPort()));
    env.put("AMAZON_HOST", "127.0.0.1");
    env.put("AMAZON_PORT", String.valueOf(amazon.upsPort()));
    env.put("UPS_TRUCKS", "10");
    env.put("RESEND_INTERVAL", "300ms");
    env.put("RECONNECT_MIN_BACKOFF", "100ms");
    env.put("RECONNECT_MAX_BACKOFF", "1s");
    env.put("CLUSTER_PORT", String.valueOf(FreePorts.next()));
    env.put("HTTP_PORT", String.valueOf(FreePorts.next()));
    Path log = Path.of("target", "crash-it-ups-" + name + ".log");
    Files.createDirectories(log.getParent());
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    Process process = builder.start();
    processes.add(process);
    return process;
  }
}
