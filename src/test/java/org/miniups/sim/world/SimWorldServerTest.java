package org.miniups.sim.world;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.miniups.sim.world.AmazonTestClient.warehouse;
import static org.miniups.sim.world.UpsTestClient.to;
import static org.miniups.sim.world.UpsTestClient.truck;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldUps.UCommands;
import org.miniups.proto.WorldUps.UConnect;
import org.miniups.proto.WorldUps.UErr;
import org.miniups.proto.WorldUps.UFinished;
import org.miniups.proto.WorldUps.UTruck;

/**
 * Drives the simulated world over real sockets. Fast simspeed and a short resend interval keep
 * each test short; every wait is for a message, with a generous deadline, never a fixed sleep.
 */
class SimWorldServerTest {

  private static final int FAST = 100_000;
  // Slow enough that a leg started at this speed cannot end during a test.
  private static final int CRAWL = 10;
  private static final int WH1 = 1;
  private static final int WH1_X = 10;
  private static final int WH1_Y = 10;
  private static final int WH2 = 2;
  private static final int TRUCK1 = 1;
  private static final int TRUCK2 = 2;

  private static SimWorldServer server;
  private AmazonTestClient amazon;
  private UpsTestClient ups;
  private long worldId;

  @BeforeAll
  static void startServer() {
    server =
        SimWorldServer.start(
            SimWorldSettings.defaults()
                .withHost("127.0.0.1")
                .withPorts(0, 0)
                .withSimSpeed(FAST)
                .withResendInterval(Duration.ofMillis(100)));
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @AfterEach
  void closeClients() throws Exception {
    if (ups != null) ups.close();
    if (amazon != null) amazon.close();
  }

  /** Amazon creates a world with two warehouses; UPS joins with two trucks. */
  private void createWorld() throws Exception {
    amazon =
        AmazonTestClient.connect(
            server.amazonPort(), null, warehouse(WH1, WH1_X, WH1_Y), warehouse(WH2, 50, 80));
    assertEquals("connected!", amazon.connected().getResult());
    worldId = amazon.connected().getWorldid();
    ups = UpsTestClient.connect(server.upsPort(), worldId, truck(TRUCK1, 0, 0), truck(TRUCK2, 10, 10));
    assertEquals("connected!", ups.connected().getResult());
  }

  /** Sends the truck to the warehouse and waits for it to be there. */
  private void bringTruck(int truckId, int warehouseId) {
    ups.pickup(truckId, warehouseId);
    ups.awaitFinished(truckId, "arrive warehouse");
  }

  /** Stocks, packs and loads one package onto a truck standing at the warehouse. */
  private void loadPackage(int truckId, int warehouseId, long shipId) {
    amazon.stockAndPack(warehouseId, shipId, shipId, 1);
    amazon.load(warehouseId, truckId, shipId);
    amazon.awaitUntil("ALoaded " + shipId, () -> amazon.isLoaded(shipId));
  }

  private static void eventually(String what, Predicate<SimWorldStats> condition, long worldId) {
    await(what).atMost(BlockingPeer.TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
        .until(() -> server.stats(worldId), condition);
  }

  @Test
  void amazonCreatesAWorldAndUpsJoinsIt() throws Exception {
    createWorld();

    assertTrue(worldId > 0);
    assertTrue(server.worldIds().contains(worldId));
    assertEquals(worldId, ups.connected().getWorldid());
    SimWorldStats stats = server.stats(worldId);
    assertTrue(stats.upsConnected());
    assertTrue(stats.amazonConnected());
    assertEquals(List.of(1, 2), stats.trucks().stream().map(SimWorldStats.TruckState::id).toList());
    assertEquals("idle", stats.truck(TRUCK2).status());
    assertEquals(50, stats.warehouse(WH2).x());
    assertEquals(FAST, stats.simSpeed());
  }

  @Test
  void upsCreatesAWorldWhenItGivesNoWorldId() throws Exception {
    ups = UpsTestClient.connect(server.upsPort(), null, truck(7, 3, 4));
    assertEquals("connected!", ups.connected().getResult());
    long created = ups.connected().getWorldid();
    amazon = AmazonTestClient.connect(server.amazonPort(), created, warehouse(1, 0, 0));
    assertEquals("connected!", amazon.connected().getResult());
    assertEquals(3, server.stats(created).truck(7).x());
  }

  @Test
  void unknownWorldIdIsRefusedAndClosed() throws Exception {
    ups = UpsTestClient.connect(server.upsPort(), 987_654L, truck(TRUCK1, 0, 0));
    assertTrue(ups.connected().getResult().startsWith("error:"), ups.connected().getResult());
    assertTrue(ups.connected().getResult().contains("987654"));
    ups.awaitClosed();
    assertFalse(server.worldIds().contains(987_654L));
  }

  @Test
  void secondUpsWhileOneIsConnectedIsRefusedAndClosed() throws Exception {
    createWorld();
    try (UpsTestClient second = UpsTestClient.connect(server.upsPort(), worldId, truck(TRUCK1, 0, 0))) {
      assertTrue(second.connected().getResult().startsWith("error:"));
      second.awaitClosed();
    }
    try (AmazonTestClient second = AmazonTestClient.connect(server.amazonPort(), worldId)) {
      assertTrue(second.connected().getResult().startsWith("error:"));
      second.awaitClosed();
    }
    // The first connections are untouched.
    long query = ups.query(TRUCK1);
    ups.awaitUntil("ack of the query", () -> ups.acked(query));
    assertTrue(server.stats(worldId).upsConnected());
  }

  @Test
  void malformedConnectsAreRefusedAndClosed() throws Exception {
    try (UpsTestClient twice =
        UpsTestClient.connect(server.upsPort(), null, truck(1, 0, 0), truck(1, 5, 5))) {
      assertTrue(twice.connected().getResult().startsWith("error:"));
      assertTrue(twice.connected().getResult().contains("listed twice"));
      twice.awaitClosed();
    }
    // A UCommands first: it does not parse as a UConnect (isAmazon is missing).
    try (UpsTestClient notAConnect =
        UpsTestClient.connectWith(server.upsPort(), UCommands.newBuilder().addAcks(1).build())) {
      assertTrue(notAConnect.connected().getResult().startsWith("error:"));
      notAConnect.awaitClosed();
    }
    try (UpsTestClient amazonFlag =
        UpsTestClient.connectWith(server.upsPort(), UConnect.newBuilder().setIsAmazon(true).build())) {
      assertTrue(amazonFlag.connected().getResult().contains("isAmazon"));
      amazonFlag.awaitClosed();
    }
  }

  @Test
  void pickupEndsWithArriveWarehouseAtTheWarehousePosition() throws Exception {
    createWorld();
    long pickup = ups.pickup(TRUCK1, WH1);

    UFinished arrived = ups.awaitFinished(TRUCK1, "arrive warehouse");
    assertTrue(ups.acked(pickup));
    assertEquals(WH1_X, arrived.getX());
    assertEquals(WH1_Y, arrived.getY());
    SimWorldStats stats = server.stats(worldId);
    assertEquals("arrive warehouse", stats.truck(TRUCK1).status());
    assertEquals(1, stats.processed("UGoPickup"));
  }

  @Test
  void purchasePackLoadAndDeliverDeliversThePackageExactlyOnce() throws Exception {
    createWorld();
    bringTruck(TRUCK1, WH1);
    amazon.stockAndPack(WH1, 100, 5, 3);
    assertEquals("packed", amazon.awaitStatus(100));
    assertEquals(0, server.stats(worldId).warehouse(WH1).stock().get(5L));
    amazon.load(WH1, TRUCK1, 100);
    amazon.awaitUntil("ALoaded", () -> amazon.isLoaded(100));
    assertEquals("loaded", amazon.awaitStatus(100));

    long delivery = ups.deliver(TRUCK1, to(100, 40, 50));
    UFinished done = ups.awaitFinished(TRUCK1, "idle");

    assertTrue(ups.acked(delivery));
    assertEquals(1, ups.delivered.size());
    assertEquals(100, ups.delivered.get(0).getPackageid());
    assertEquals(40, done.getX());
    assertEquals(50, done.getY());
    assertEquals("delivered", amazon.awaitStatus(100));
    SimWorldStats stats = server.stats(worldId);
    assertEquals(1, stats.deliveries().get(100L));
    assertEquals("delivered", stats.pkg(100).status());
    assertTrue(stats.truck(TRUCK1).aboard().isEmpty());
    assertEquals(1, stats.processed("UGoDeliver"));
    assertEquals(1, stats.processed("APack"));
  }

  @Test
  void deliveryNamingAPackageNotAboardIsRejectedWhole() throws Exception {
    createWorld();
    bringTruck(TRUCK1, WH1);
    loadPackage(TRUCK1, WH1, 200);

    long delivery = ups.deliver(TRUCK1, to(200, 30, 30), to(999, 40, 40));
    UErr error = ups.awaitError(delivery);

    assertTrue(error.getErr().contains("999"), error.getErr());
    assertTrue(ups.acked(delivery));
    SimWorldStats stats = server.stats(worldId);
    assertEquals("arrive warehouse", stats.truck(TRUCK1).status());
    assertEquals(List.of(200L), stats.truck(TRUCK1).aboard());
    assertTrue(stats.truck(TRUCK1).route().isEmpty());
    assertEquals("loaded", stats.pkg(200).status());
    assertTrue(ups.delivered.isEmpty());
  }

  @Test
  void pickupOfATravelingTruckIsAnError() throws Exception {
    createWorld();
    long first = ups.nextSeqnum();
    long second = ups.nextSeqnum();
    // One message: the second pickup meets a truck already traveling, at any speed.
    ups.send(
        UCommands.newBuilder()
            .addPickups(UpsTestClient.pickupOf(TRUCK1, WH1, first))
            .addPickups(UpsTestClient.pickupOf(TRUCK1, WH2, second))
            .build());

    UErr busy = ups.awaitError(second);
    assertTrue(busy.getErr().contains("busy"), busy.getErr());
    UFinished arrived = ups.awaitFinished(TRUCK1, "arrive warehouse");
    assertEquals(WH1_X, arrived.getX());
    assertNotNull(ups.errorFor(second));
    assertEquals(null, ups.errorFor(first));
  }

  @Test
  void pickupWhileDeliveringQuitsAndTheNextDeliveryResumesTheRoute() throws Exception {
    createWorld();
    bringTruck(TRUCK2, WH1);
    loadPackage(TRUCK2, WH1, 301);
    loadPackage(TRUCK2, WH1, 302);

    // Crawling: the truck is surely still on its first leg when the pickup comes.
    long delivery = ups.nextSeqnum();
    ups.send(
        UCommands.newBuilder()
            .setSimspeed(CRAWL)
            .addDeliveries(
                UpsTestClient.deliveryOf(TRUCK2, delivery, to(301, 10, 1010), to(302, 10, 2010)))
            .build());
    ups.awaitUntil("ack of the delivery", () -> ups.acked(delivery));
    assertEquals("delivering", server.stats(worldId).truck(TRUCK2).status());

    long pickup = ups.nextSeqnum();
    ups.send(
        UCommands.newBuilder()
            .setSimspeed(FAST)
            .addPickups(UpsTestClient.pickupOf(TRUCK2, WH1, pickup))
            .build());
    ups.awaitUntil("second arrival", () -> ups.finishedCount(TRUCK2, "arrive warehouse") == 2);
    assertTrue(ups.delivered.isEmpty());
    SimWorldStats quit = server.stats(worldId);
    assertEquals(List.of(301L, 302L), quit.truck(TRUCK2).route());
    assertEquals(List.of(301L, 302L), quit.truck(TRUCK2).aboard());
    assertEquals("loaded", quit.pkg(301).status());

    loadPackage(TRUCK2, WH1, 303);
    ups.deliver(TRUCK2, to(303, 20, 10));
    UFinished idle = ups.awaitFinished(TRUCK2, "idle");

    assertEquals(
        List.of(301L, 302L, 303L), ups.delivered.stream().map(d -> d.getPackageid()).toList());
    assertEquals(20, idle.getX());
    assertEquals(10, idle.getY());
    SimWorldStats after = server.stats(worldId);
    assertTrue(after.deliveries().values().stream().allMatch(n -> n == 1));
    assertEquals(3, after.deliveries().size());
  }

  @Test
  void anotherDeliveryForAPackageOnTheRouteChangesItsDestination() throws Exception {
    createWorld();
    bringTruck(TRUCK2, WH1);
    loadPackage(TRUCK2, WH1, 401);
    long first = ups.nextSeqnum();
    ups.send(
        UCommands.newBuilder()
            .setSimspeed(CRAWL)
            .addDeliveries(UpsTestClient.deliveryOf(TRUCK2, first, to(401, 10, 1010)))
            .build());
    ups.awaitUntil("ack of the first delivery", () -> ups.acked(first));

    long second = ups.nextSeqnum();
    ups.send(
        UCommands.newBuilder()
            .setSimspeed(FAST)
            .addDeliveries(UpsTestClient.deliveryOf(TRUCK2, second, to(401, 30, 40)))
            .build());
    UFinished idle = ups.awaitFinished(TRUCK2, "idle");

    assertEquals(30, idle.getX());
    assertEquals(40, idle.getY());
    assertEquals(1, ups.delivered.size());
    assertEquals(1, server.stats(worldId).deliveries().get(401L));
  }

  @Test
  void loadsQueueUpAndBadAmazonRequestsAreErrors() throws Exception {
    createWorld();
    long tooEarly = amazon.load(WH1, TRUCK1, 555);
    assertTrue(amazon.awaitError(tooEarly).getErr().contains("unknown package"));
    long noStock = amazon.pack(WH1, 500, AmazonTestClient.product(9, 1));
    assertTrue(amazon.awaitError(noStock).getErr().contains("product 9"));

    amazon.stockAndPack(WH1, 501, 1, 1);
    amazon.stockAndPack(WH1, 502, 2, 1);
    long truckAway = amazon.load(WH1, TRUCK1, 501);
    assertTrue(amazon.awaitError(truckAway).getErr().contains("not at warehouse"));

    bringTruck(TRUCK1, WH1);
    long wrongWarehouse = amazon.load(WH2, TRUCK1, 501);
    amazon.awaitError(wrongWarehouse);
    amazon.send(
        ACommands.newBuilder()
            .addLoad(AmazonTestClient.loadOf(WH1, TRUCK1, 501, amazon.nextSeqnum()))
            .addLoad(AmazonTestClient.loadOf(WH1, TRUCK1, 502, amazon.nextSeqnum()))
            .build());
    amazon.awaitUntil("both loaded", () -> amazon.isLoaded(501) && amazon.isLoaded(502));

    SimWorldStats stats = server.stats(worldId);
    assertEquals(List.of(501L, 502L), stats.truck(TRUCK1).aboard());
    assertEquals("arrive warehouse", stats.truck(TRUCK1).status());
    assertEquals(4, amazon.errors.size());
  }

  @Test
  void queryAnswersWithTheTruckStatusAndUnknownTrucksAreErrors() throws Exception {
    createWorld();
    ups.query(TRUCK2);
    ups.awaitUntil("UTruck", () -> !ups.truckStatuses.isEmpty());
    UTruck status = ups.truckStatuses.get(0);
    assertEquals(TRUCK2, status.getTruckid());
    assertEquals("idle", status.getStatus());
    assertEquals(10, status.getX());
    assertEquals(10, status.getY());

    long unknown = ups.query(77);
    assertTrue(ups.awaitError(unknown).getErr().contains("unknown truck 77"));
    long unknownWarehouse = ups.pickup(TRUCK1, 77);
    assertTrue(ups.awaitError(unknownWarehouse).getErr().contains("unknown warehouse 77"));
    assertEquals(2, server.stats(worldId).processed("UQuery"));
  }

  @Test
  void aResentRequestIsAckedAgainButProcessedOnceAlsoAfterAReconnect() throws Exception {
    createWorld();
    UCommands query = UCommands.newBuilder().addQueries(UpsTestClient.queryOf(TRUCK1, 7)).build();
    ups.send(query);
    ups.awaitUntil("first ack", () -> ups.ackCount(7) == 1);
    ups.send(query);
    ups.awaitUntil("second ack", () -> ups.ackCount(7) == 2);
    assertEquals(1, ups.truckStatuses.size());

    ups.close();
    ups = UpsTestClient.join(server.upsPort(), worldId, 8, truck(TRUCK1, 0, 0));
    ups.send(query);
    ups.awaitUntil("ack after the reconnect", () -> ups.ackCount(7) == 1);

    SimWorldStats stats = server.stats(worldId);
    assertEquals(1, stats.processed("UQuery"));
    assertEquals(2, stats.duplicates());
    assertTrue(ups.truckStatuses.isEmpty(), "no second UTruck for the same query");
  }

  @Test
  void unackedItemsAreResentUntilAckedAlsoAfterAReconnect() throws Exception {
    createWorld();
    ups.autoAck = false;
    amazon.autoAck = false;
    ups.query(TRUCK1);
    ups.awaitUntil("UTruck", () -> !ups.truckStatuses.isEmpty());
    long upsItem = ups.truckStatuses.get(0).getSeqnum();
    amazon.purchase(WH1, AmazonTestClient.product(1, 4));
    amazon.awaitUntil("arrival", () -> !amazon.arrived.isEmpty());
    long amazonItem = amazon.arrived.get(0).getSeqnum();
    ups.awaitUntil("re-sends of the UTruck", () -> ups.timesReceived(upsItem) >= 3);
    amazon.awaitUntil("re-sends of the arrival", () -> amazon.timesReceived(amazonItem) >= 3);

    server.dropConnections();
    ups.awaitClosed();
    amazon.awaitClosed();
    ups = UpsTestClient.join(server.upsPort(), worldId, 100, truck(TRUCK1, 0, 0));
    ups.autoAck = false;
    ups.awaitUntil("the UTruck again after reconnecting", () -> ups.timesReceived(upsItem) == 1);
    amazon = AmazonTestClient.connect(server.amazonPort(), worldId, warehouse(WH1, WH1_X, WH1_Y));
    assertEquals("connected!", amazon.connected().getResult());
    amazon.awaitUntil("the arrival again", () -> amazon.timesReceived(amazonItem) == 1);
    assertEquals(1, server.stats(worldId).upsUnacked());

    ups.send(UCommands.newBuilder().addAcks(upsItem).build());
    amazon.send(ACommands.newBuilder().addAcks(amazonItem).build());
    eventually("all acked", s -> s.upsUnacked() == 0 && s.amazonUnacked() == 0, worldId);
    SimWorldStats stats = server.stats(worldId);
    assertEquals(4, stats.warehouse(WH1).stock().get(1L), "the purchase arrived once");
  }

  @Test
  void disconnectAnswersFinishedAndCloses() throws Exception {
    createWorld();
    long query = ups.nextSeqnum();
    ups.send(
        UCommands.newBuilder()
            .addQueries(UpsTestClient.queryOf(TRUCK1, query))
            .setDisconnect(true)
            .build());
    ups.awaitClosed();
    assertTrue(ups.finishedReceived());
    assertTrue(ups.acked(query));
    assertEquals(1, ups.truckStatuses.size(), "the rest of the message was processed");
    assertFalse(server.stats(worldId).upsConnected());

    ups = UpsTestClient.connect(server.upsPort(), worldId, 50, truck(TRUCK1, 0, 0));
    assertEquals("connected!", ups.connected().getResult());
  }

  @Test
  void anOversizedFrameClosesThatConnectionOnly() throws Exception {
    createWorld();
    bringTruck(TRUCK1, WH1);
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    CodedOutputStream header = CodedOutputStream.newInstance(frame);
    header.writeUInt32NoTag(SimWorldSettings.DEFAULT_MAX_FRAME_BYTES + 1);
    header.flush();
    frame.write(new byte[] {1, 2, 3});
    ups.sendRaw(frame.toByteArray());
    ups.awaitClosed();

    long amazonStillServed = amazon.query(1);
    amazon.awaitError(amazonStillServed);
    ups = UpsTestClient.join(server.upsPort(), worldId, 10, truck(TRUCK1, 0, 0));
    ups.query(TRUCK1);
    ups.awaitUntil("UTruck", () -> !ups.truckStatuses.isEmpty());
    assertEquals("arrive warehouse", ups.truckStatuses.get(0).getStatus());
    assertTrue(server.stats(worldId).amazonConnected());
  }

  @Test
  void aBodyThatDoesNotParseClosesTheConnection() throws Exception {
    createWorld();
    // Field 1 announced with 100 bytes, followed by 2: a truncated message.
    ups.sendRaw(new byte[] {3, 0x0A, 100, 1});
    ups.awaitClosed();
    ups = UpsTestClient.join(server.upsPort(), worldId, 1, truck(TRUCK1, 0, 0));
    assertTrue(server.stats(worldId).upsConnected());
  }

  @Test
  void statsOfAnUnknownWorldIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> server.stats(123_456));
  }
}
