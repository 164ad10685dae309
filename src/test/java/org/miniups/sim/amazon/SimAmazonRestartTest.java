package org.miniups.sim.amazon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.miniups.sim.amazon.FakeUps.truck;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.AUQuery;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;
import org.miniups.sim.world.SimWorldStats;

/**
 * The simulated Amazon with a state dir, killed (no close, no last save) and started again on the
 * same dir and port while the World stays up: UPS sees one Amazon going on, the referee included.
 */
class SimAmazonRestartTest {

  private static final Duration RESEND = Duration.ofMillis(200);
  private static final Duration POLL = Duration.ofMillis(5);
  private static final int TRUCK = 1;
  private static final int COUNT = 2;

  @TempDir Path stateDir;
  private SimWorldServer world;
  private SimAmazonServer amazon;
  private final List<FakeUps> upsClients = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (FakeUps ups : upsClients) ups.close();
    if (amazon != null) amazon.close();
    if (world != null) world.close();
  }

  private SimAmazonSettings settings(int upsPort) {
    return SimAmazonSettings.defaults()
        .withHost("127.0.0.1")
        .withUpsPort(upsPort)
        .withWorld("127.0.0.1", world.amazonPort())
        .withWarehouses(1)
        .withPackages(COUNT)
        .withRate(1000)
        .withQueryEvery(1)
        .withResendInterval(RESEND)
        .withRandomSeed(42)
        .withStateDir(stateDir);
  }

  private void startWorld() {
    world =
        SimWorldServer.start(
            SimWorldSettings.defaults()
                .withHost("127.0.0.1")
                .withPorts(0, 0)
                .withSimSpeed(20000)
                .withResendInterval(RESEND));
  }

  private FakeUps connectAndJoin() throws Exception {
    FakeUps ups = FakeUps.connectToAmazon(amazon.upsPort());
    upsClients.add(ups);
    String result = ups.joinWorld(world.upsPort(), truck(TRUCK, 0, 0)).getResult();
    assertEquals("connected!", result);
    ups.answerConnected(result);
    return ups;
  }

  private SimAmazonStats awaitAmazon(String what, Predicate<SimAmazonStats> condition) {
    return await(what).atMost(FakeUps.TIMEOUT).pollDelay(Duration.ZERO).pollInterval(POLL)
        .until(amazon::stats, condition);
  }

  @Test
  void aKilledAmazonGoesOnWithItsWorldItsUnackedItemsItsDedupAndItsReferee() throws Exception {
    startWorld();
    amazon = SimAmazonServer.start(settings(0));
    long worldId = amazon.worldId();
    int upsPort = amazon.upsPort();
    FakeUps ups = connectAndJoin();
    ups.pump(COUNT + " pickups", () -> ups.pickups.size() == COUNT);
    List<AUPickup> batch = List.copyOf(ups.pickups.values());
    int warehouseId = batch.get(0).getWarehouse().getId();
    // From here UPS acks nothing: the AUQuery and AULoaded items are unacked at the kill.
    ups.ackAmazon = false;
    ups.answerQueries = false;
    long firstAcceptance = ups.accepted(1, TRUCK);
    ups.accepted(2, TRUCK);
    ups.collect(TRUCK, warehouseId, batch);
    ups.pump("the AUQuery items", () -> ups.queries.size() == COUNT);
    ups.pump("Amazon's acks", ups::allAckedByAmazon);
    Map<Long, AULoaded> loadedBefore = Map.copyOf(ups.loaded);
    Map<Long, AUQuery> queriesBefore = Map.copyOf(ups.queries);
    SimAmazonStats before = awaitAmazon("4 items unacked", s -> s.unackedToUps() == 2 * COUNT);

    amazon.kill();
    ups.pump("Amazon gone", ups::amazonClosed);
    long nextUpsSeqnum = ups.seqnum();
    ups.close();
    amazon = SimAmazonServer.start(settings(upsPort));

    assertTrue(amazon.resumed());
    assertEquals(worldId, amazon.worldId());
    await("Amazon back in its world").atMost(FakeUps.TIMEOUT).pollInterval(POLL)
        .until(() -> world.stats(worldId), SimWorldStats::amazonConnected);
    assertEquals(Set.of(worldId), world.worldIds(), "the same world, no new one");
    SimAmazonStats resumed = amazon.stats();
    assertEquals(before.accepted(), resumed.accepted());
    assertEquals(before.arrived(), resumed.arrived());
    assertEquals(before.loaded(), resumed.loaded());
    assertEquals(before.destinations().keySet(), resumed.destinations().keySet());
    assertEquals(before.pickupSentNanos().keySet(), resumed.pickupSentNanos().keySet());
    assertEquals(2 * COUNT, resumed.unackedToUps());

    FakeUps again = FakeUps.connectToAmazon(upsPort);
    upsClients.add(again);
    again.continueSeqnumsFrom(nextUpsSeqnum);
    assertEquals(worldId, again.worldIdFromAmazon());
    assertEquals("connected!", again.joinWorld(world.upsPort(), truck(TRUCK, 0, 0)).getResult());
    again.answerConnected("connected!");
    again.pump("the unacked items again",
        () -> again.loaded.size() == COUNT && again.queries.size() == COUNT);
    assertEquals(loadedBefore, again.loaded, "each AULoaded under its old seqnum, unchanged");
    assertEquals(queriesBefore, again.queries, "each AUQuery under its old seqnum, unchanged");

    // A UAPickupAccepted handled before the kill, re-sent: acked, not counted again.
    again.sendToAmazon(
        UACommands.newBuilder().addAccepted(again.acceptance(1, TRUCK, firstAcceptance)).build());
    again.pump("the re-sent notice acked", () -> again.amazonAckCount(firstAcceptance) == 1);
    again.deliver(TRUCK, batch);
    again.pump("Amazon's acks", again::allAckedByAmazon);
    SimAmazonStats done = awaitAmazon("all delivered", SimAmazonStats::allDelivered);
    // The referee remembers the steps heard before the kill: the deliveries break no rule.
    assertEquals(List.of(), done.violations());
    assertEquals(List.of(), done.errors());
    for (long shipId = 1; shipId <= COUNT; shipId++) {
      assertEquals(1, done.accepted().get(shipId));
      assertEquals(1, done.arrived().get(shipId));
      assertEquals(1, done.delivered().get(shipId));
    }
    assertEquals(COUNT, done.statuses().size(), "each resumed AUQuery answered once");
    assertEquals(COUNT, done.created(), "a resumed run emits no pickup twice");

    // And it remembers every seqnum: one reused for other content is caught.
    again.sendToAmazon(
        UACommands.newBuilder().addAccepted(again.acceptance(2, TRUCK, firstAcceptance)).build());
    SimAmazonStats reused = awaitAmazon("the reuse seen", s -> !s.violations().isEmpty());
    assertTrue(reused.violations().get(0).startsWith("seqnums: UPS seqnum " + firstAcceptance + " came first as"),
        reused.violations().get(0));
  }

  @Test
  void theReportFileTellsEachShipmentAndIsReadBack() throws Exception {
    startWorld();
    Path reportFile = stateDir.resolve("amazon-report.json");
    amazon = SimAmazonServer.start(settings(0).withReportFile(reportFile).withQueryEvery(0));
    FakeUps ups = connectAndJoin();
    ups.deliverEverything(COUNT, TRUCK);

    SimAmazonReport report =
        await("a report saying all delivered").atMost(FakeUps.TIMEOUT).pollInterval(POLL)
            .ignoreExceptions()
            .until(() -> SimAmazonReport.read(reportFile),
                r -> r.allDelivered() && r.unackedToWorld() == 0 && r.unackedToUps() == 0);
    assertEquals(amazon.worldId(), report.worldId());
    assertEquals(COUNT, report.target());
    assertEquals(COUNT, report.created());
    assertEquals(Set.of(1L, 2L), report.shipments().keySet());
    for (AUPickup pickup : ups.pickups.values()) {
      SimAmazonReport.Shipment shipment = report.shipments().get(pickup.getShipid());
      SimAmazonReport.Point destination = new SimAmazonReport.Point(pickup.getDestx(), pickup.getDesty());
      assertEquals(
          new SimAmazonReport.Shipment(1, 1, 1, 1, destination, destination, destination, null),
          shipment);
    }
    assertEquals(List.of(), report.violations());
    assertEquals(List.of(), report.errors());
    assertTrue(report.upsConnected());
    assertTrue(report.worldConnected());
    assertEquals(0, report.resentToUps());

    ups.close();
    await("UPS gone").atMost(FakeUps.TIMEOUT).pollInterval(POLL).until(() -> !amazon.stats().upsConnected());
    amazon.close();
    SimAmazonReport last = SimAmazonReport.read(reportFile);
    assertFalse(last.upsConnected(), "the report written on close is current");
    assertTrue(last.allDelivered());
    assertTrue(Files.exists(stateDir.resolve("amazon.json")));
    assertNull(last.shipments().get(1L).lastStatus());
  }
}
