package org.miniups.sim.world;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.miniups.sim.world.AmazonTestClient.warehouse;
import static org.miniups.sim.world.UpsTestClient.to;
import static org.miniups.sim.world.UpsTestClient.truck;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldUps.UCommands;
import org.miniups.proto.WorldUps.UDeliveryMade;
import org.miniups.proto.WorldUps.UFinished;
import org.miniups.proto.WorldUps.UGoDeliver;

/**
 * A world with a state dir, killed (no close, no last save) and started again on the same dir
 * and ports: its peers see one world going on, not a new one.
 */
class SimWorldRestartTest {

  private static final int FAST = 100_000;
  // A 40-unit leg takes 2 s at this speed: the kill comes while the truck is on its way.
  private static final int TRIP_SPEED = 200;
  private static final int WH1 = 1;
  private static final int WH1_X = 10;
  private static final int WH1_Y = 10;
  private static final int TRUCK1 = 1;
  private static final long SHIP = 100;

  @TempDir Path stateDir;
  private SimWorldServer server;
  private AmazonTestClient amazon;
  private UpsTestClient ups;

  @AfterEach
  void stop() throws Exception {
    if (ups != null) ups.close();
    if (amazon != null) amazon.close();
    if (server != null) server.close();
  }

  private SimWorldServer start(int upsPort, int amazonPort, Path reportFile) {
    SimWorldSettings settings =
        SimWorldSettings.defaults()
            .withHost("127.0.0.1")
            .withPorts(upsPort, amazonPort)
            .withSimSpeed(FAST)
            .withResendInterval(Duration.ofMillis(100))
            .withStateDir(stateDir);
    return SimWorldServer.start(reportFile == null ? settings : settings.withReportFile(reportFile));
  }

  @Test
  void aKilledWorldResumesWithItsDedupItsUnackedItemsAndItsTruckOnItsTrip() throws Exception {
    server = start(0, 0, null);
    int upsPort = server.upsPort();
    int amazonPort = server.amazonPort();
    amazon = AmazonTestClient.connect(amazonPort, null, warehouse(WH1, WH1_X, WH1_Y));
    long worldId = amazon.connected().getWorldid();
    ups = UpsTestClient.join(upsPort, worldId, 1, truck(TRUCK1, 0, 0));
    ups.pickup(TRUCK1, WH1);
    ups.awaitFinished(TRUCK1, "arrive warehouse");
    amazon.stockAndPack(WH1, SHIP, 5, 1);
    amazon.awaitUntil("APacked", () -> amazon.isReady(SHIP));
    // Amazon never acks the ALoaded: it must come again, under its seqnum, after the restart.
    amazon.autoAck = false;
    amazon.load(WH1, TRUCK1, SHIP);
    amazon.awaitUntil("ALoaded", () -> amazon.isLoaded(SHIP));
    ALoaded loaded = amazon.loaded.get(0);
    UGoDeliver delivery = UpsTestClient.deliveryOf(TRUCK1, 50, to(SHIP, WH1_X, WH1_Y + 40));
    UCommands deliver = UCommands.newBuilder().setSimspeed(TRIP_SPEED).addDeliveries(delivery).build();
    ups.send(deliver);
    ups.awaitUntil("the delivery's ack", () -> ups.acked(50));
    long lastSeqnumBeforeKill = ups.completions.get(0).getSeqnum();
    assertEquals("delivering", server.stats(worldId).truck(TRUCK1).status());

    server.kill();
    ups.awaitClosed();
    amazon.awaitClosed();
    server = start(upsPort, amazonPort, null);

    assertEquals(List.of(worldId), server.resumedWorldIds());
    assertEquals("delivering", server.stats(worldId).truck(TRUCK1).status(), "still on its trip");
    amazon = AmazonTestClient.connect(amazonPort, worldId, warehouse(WH1, WH1_X, WH1_Y));
    assertEquals("connected!", amazon.connected().getResult());
    amazon.autoAck = false;
    amazon.awaitUntil("the ALoaded again", () -> amazon.timesReceived(loaded.getSeqnum()) == 1);
    assertEquals(loaded, amazon.loaded.get(0), "the same item under the same seqnum");

    ups = UpsTestClient.join(upsPort, worldId, 51, truck(TRUCK1, 0, 0));
    ups.send(deliver); // as a UPS that never saw the ack would
    ups.awaitUntil("the re-sent delivery's ack", () -> ups.acked(50));
    UFinished done = ups.awaitFinished(TRUCK1, "idle");
    assertEquals(WH1_X, done.getX());
    assertEquals(WH1_Y + 40, done.getY());
    assertEquals(List.of(SHIP), ups.delivered.stream().map(UDeliveryMade::getPackageid).toList());
    assertTrue(ups.errors.isEmpty(), "the re-sent UGoDeliver was not executed again: " + ups.errors);
    assertTrue(ups.delivered.get(0).getSeqnum() > lastSeqnumBeforeKill, "no seqnum is used twice");

    SimWorldStats stats = server.stats(worldId);
    assertEquals(1, stats.processed("UGoDeliver"));
    assertEquals(1, stats.duplicates());
    assertEquals(Map.of(SHIP, 1), stats.deliveries());
    assertEquals(new SimWorldStats.Delivery(TRUCK1, WH1_X, WH1_Y + 40), stats.deliveredAt().get(SHIP));
    assertEquals(TRIP_SPEED, stats.simSpeed());
  }

  @Test
  void theReportFileTellsDeliveriesAndConnectionsAndIsReadBack() throws Exception {
    Path reportFile = stateDir.resolve("report.json");
    server = start(0, 0, reportFile);
    amazon = AmazonTestClient.connect(server.amazonPort(), null, warehouse(WH1, WH1_X, WH1_Y));
    long worldId = amazon.connected().getWorldid();
    ups = UpsTestClient.join(server.upsPort(), worldId, 1, truck(TRUCK1, 0, 0));
    ups.pickup(TRUCK1, WH1);
    ups.awaitFinished(TRUCK1, "arrive warehouse");
    amazon.stockAndPack(WH1, SHIP, 5, 1);
    amazon.awaitUntil("APacked", () -> amazon.isReady(SHIP));
    amazon.load(WH1, TRUCK1, SHIP);
    amazon.awaitUntil("ALoaded", () -> amazon.isLoaded(SHIP));
    ups.deliver(TRUCK1, to(SHIP, -5, 7));
    ups.awaitFinished(TRUCK1, "idle");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> Files.exists(reportFile) && SimWorldReport.read(reportFile).worlds().containsKey(worldId)
                && SimWorldReport.read(reportFile).worlds().get(worldId).upsUnacked() == 0
                && !SimWorldReport.read(reportFile).worlds().get(worldId).deliveries().isEmpty());
    SimWorldReport.WorldEntry entry = SimWorldReport.read(reportFile).worlds().get(worldId);
    assertEquals(worldId, entry.worldId());
    assertEquals(Map.of(SHIP, 1), entry.deliveries());
    assertEquals(Map.of(SHIP, new SimWorldStats.Delivery(TRUCK1, -5, 7)), entry.deliveredAt());
    assertTrue(entry.upsConnected());
    assertTrue(entry.amazonConnected());
    assertEquals(1, entry.processed().get("UGoDeliver"));
    assertEquals(2, entry.processed().get("UGoPickup") + entry.processed().get("UGoDeliver"));
    assertEquals(0, entry.duplicates());
    assertEquals(0, entry.dropped());

    ups.close();
    ups = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> !server.stats(worldId).upsConnected());
    server.close();
    SimWorldReport last = SimWorldReport.read(reportFile);
    assertEquals(false, last.worlds().get(worldId).upsConnected(), "the report written on close is current");
    assertEquals(Map.of(SHIP, 1), last.worlds().get(worldId).deliveries());
  }
}
