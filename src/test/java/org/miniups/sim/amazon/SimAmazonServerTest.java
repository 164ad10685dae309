package org.miniups.sim.amazon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.miniups.sim.amazon.FakeUps.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.miniups.proto.UpsAmazon.AUItem;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;
import org.miniups.sim.world.SimWorldStats;

/**
 * Runs the simulated Amazon against a real simulated World, with a blocking fake UPS on both of
 * its links. A fast world and short resend intervals keep each test to a few seconds; every wait
 * polls for a message or a state, with a deadline, never a fixed sleep. The tests named after a
 * rule have the fake UPS break it on purpose and expect Amazon to report exactly that.
 */
class SimAmazonServerTest {

  private static final Duration RESEND = Duration.ofMillis(200);
  private static final int TRUCK = 1;
  private static final Duration POLL = Duration.ofMillis(5);

  private SimWorldServer world;
  private SimAmazonServer amazon;
  private final List<FakeUps> upsClients = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (FakeUps ups : upsClients) ups.close();
    if (amazon != null) amazon.close();
    if (world != null) world.close();
  }

  private void start(int flakiness, SimAmazonSettings amazonSettings) {
    world =
        SimWorldServer.start(
            SimWorldSettings.defaults()
                .withHost("127.0.0.1")
                .withPorts(0, 0)
                .withSimSpeed(20000)
                .withResendInterval(RESEND)
                .withFlakinessPercent(flakiness)
                .withRandomSeed(7));
    amazon = SimAmazonServer.start(amazonSettings.withWorld("127.0.0.1", world.amazonPort()));
  }

  private static SimAmazonSettings fast() {
    return SimAmazonSettings.defaults()
        .withHost("127.0.0.1")
        .withUpsPort(0)
        .withRate(1000)
        .withResendInterval(RESEND)
        .withRandomSeed(42);
  }

  private FakeUps connectUps() throws Exception {
    FakeUps ups = FakeUps.connectToAmazon(amazon.upsPort());
    upsClients.add(ups);
    return ups;
  }

  /** UPS the way PROTOCOL.md has it: world id from Amazon, join the world, tell Amazon. */
  private FakeUps connectAndJoin() throws Exception {
    FakeUps ups = connectUps();
    String result = ups.joinWorld(world.upsPort(), truck(TRUCK, 0, 0)).getResult();
    assertEquals("connected!", result);
    ups.answerConnected(result);
    return ups;
  }

  /** UPS without a world: enough for rules that only concern the link to Amazon. */
  private FakeUps connectWithoutWorld() throws Exception {
    FakeUps ups = connectUps();
    ups.answerConnected("connected!");
    return ups;
  }

  private SimAmazonStats awaitAmazon(String what, Predicate<SimAmazonStats> condition) {
    return await(what).atMost(FakeUps.TIMEOUT).pollDelay(Duration.ZERO).pollInterval(POLL)
        .until(amazon::stats, condition);
  }

  private void awaitWorld(String what, Predicate<SimWorldStats> condition) {
    await("the world: " + what).atMost(FakeUps.TIMEOUT).pollDelay(Duration.ZERO).pollInterval(POLL)
        .until(() -> world.stats(amazon.worldId()), condition);
  }

  /** Once Amazon acked every item this UPS sent, its verdict on each of them is in. */
  private List<String> violationsOnceAcked(FakeUps ups) {
    ups.pump("Amazon's acks", ups::allAckedByAmazon);
    return amazon.stats().violations();
  }

  /** For what Amazon does not ack (handshakes, acks): wait for the count, then judge the list. */
  private List<String> awaitViolations(int count) {
    return awaitAmazon(count + " violations", s -> s.violations().size() >= count).violations();
  }

  @Test
  void createsAWorldWithItsWarehousesAndGivesUpsItsId() throws Exception {
    start(0, fast().withWarehouses(4).withPackages(0));
    SimWorldStats created = world.stats(amazon.worldId());
    assertTrue(created.amazonConnected());
    assertEquals(4, created.warehouses().size());
    Set<List<Integer>> addresses =
        created.warehouses().stream().map(w -> List.of(w.x(), w.y())).collect(Collectors.toSet());
    assertEquals(4, addresses.size(), "warehouse addresses are unique");

    FakeUps ups = connectAndJoin();
    assertEquals(amazon.worldId(), ups.worldIdFromAmazon());
    awaitAmazon("UPS connected", SimAmazonStats::upsConnected);
    assertTrue(world.stats(amazon.worldId()).upsConnected());
    // Stock is bought before anything is packed.
    awaitWorld("stock in every warehouse",
        s -> s.warehouses().stream().allMatch(w -> !w.stock().isEmpty()));
    System.out.println("world " + amazon.worldId() + " created with warehouses " + created.warehouses());
  }

  @Test
  void emitsValidPickupsAndPacksThem() throws Exception {
    int count = 20;
    List<Long> users = List.of(7L, 8L, 9L);
    start(0, fast().withPackages(count).withGrid(10).withUpsUserIds(users));
    FakeUps ups = connectAndJoin();
    ups.pump(count + " pickups", () -> ups.pickups.size() >= count);

    Map<Integer, SimWorldStats.WarehouseState> warehouses =
        world.stats(amazon.worldId()).warehouses().stream()
            .collect(Collectors.toMap(SimWorldStats.WarehouseState::id, w -> w));
    SimAmazonStats stats = amazon.stats();
    assertEquals(count, stats.created());
    assertEquals(Set.copyOf(range(1, count)), ups.pickups.keySet(), "shipids 1..n");
    int withUser = 0;
    for (AUPickup pickup : ups.pickups.values()) {
      SimWorldStats.WarehouseState warehouse = warehouses.get(pickup.getWarehouse().getId());
      assertEquals(warehouse.x(), pickup.getWarehouse().getX());
      assertEquals(warehouse.y(), pickup.getWarehouse().getY());
      assertTrue(Math.abs(pickup.getDestx()) <= 10 && Math.abs(pickup.getDesty()) <= 10);
      assertFalse(pickup.getDestx() == warehouse.x() && pickup.getDesty() == warehouse.y(),
          "destination differs from the warehouse");
      assertArrayEquals(new int[] {pickup.getDestx(), pickup.getDesty()},
          stats.destinations().get(pickup.getShipid()));
      assertTrue(pickup.getItemsCount() >= 1 && pickup.getItemsCount() <= 3);
      Set<Long> products = new HashSet<>();
      for (AUItem item : pickup.getItemsList()) {
        assertTrue(products.add(item.getProductid()), "each product once per pickup");
        assertTrue(item.getCount() >= 1 && item.getCount() <= 3);
        assertFalse(item.getDescription().isBlank());
      }
      if (pickup.hasUpsuserid()) {
        withUser++;
        assertTrue(users.contains(pickup.getUpsuserid()));
      }
    }
    assertTrue(withUser > 0 && withUser < count, "about half name a user, got " + withUser);
    // Amazon only packs what is in stock, so every pack succeeds.
    awaitWorld("all packed",
        s -> s.packages().size() == count
            && s.packages().stream().allMatch(p -> p.status().equals("packed")));
    awaitAmazon("packs acked", s -> s.unackedToWorld() == 0);
    assertEquals(List.of(), amazon.stats().errors());
    System.out.println(count + " pickups, " + withUser + " naming a UPS user");
  }

  @Test
  void loadsOnlyAfterTheTruckArrivedAndCountsDeliveriesOnceByContent() throws Exception {
    start(0, fast().withWarehouses(1).withPackages(3));
    FakeUps ups = connectAndJoin();
    ups.pump("3 pickups", () -> ups.pickups.size() >= 3);
    List<Long> shipIds = List.copyOf(ups.pickups.keySet());
    int warehouseId = ups.pickups.get(1L).getWarehouse().getId();
    shipIds.forEach(id -> ups.accepted(id, TRUCK));

    ups.awaitAtWarehouse(TRUCK, warehouseId);
    awaitWorld("all packed",
        s -> s.packages().size() == 3 && s.packages().stream().allMatch(p -> p.status().equals("packed")));
    // Packed, truck waiting, but UPS has not said so: Amazon must not load yet.
    assertTrue(ups.loaded.isEmpty());
    assertEquals(Map.of(), amazon.stats().loaded());

    ups.truckArrived(TRUCK, warehouseId, shipIds);
    ups.pump("AULoaded for all", () -> ups.loaded.keySet().containsAll(shipIds));
    for (AULoaded loaded : ups.loaded.values()) assertEquals(TRUCK, loaded.getTruckid());
    awaitWorld("on the truck", s -> s.truck(TRUCK).aboard().containsAll(shipIds));

    ups.deliver(TRUCK, List.copyOf(ups.pickups.values()));
    ups.pump("Amazon's acks", ups::allAckedByAmazon);
    awaitAmazon("all delivered", SimAmazonStats::allDelivered);

    // The same UADelivered again (same seqnum, as a re-send): acked again, counted once.
    AUPickup first = ups.pickups.get(1L);
    long seqnum = 1000;
    ups.sendToAmazon(FakeUps.deliveredMessage(1, first.getDestx(), first.getDesty(), seqnum));
    ups.pump("ack", () -> ups.amazonAckCount(seqnum) == 1);
    ups.sendToAmazon(FakeUps.deliveredMessage(1, first.getDestx(), first.getDesty(), seqnum));
    ups.pump("second ack of the re-send", () -> ups.amazonAckCount(seqnum) == 2);
    SimAmazonStats stats = amazon.stats();
    assertEquals(2, stats.delivered().get(1L), "one UADelivered from the trip, one new notice");
    // A notice with a new seqnum counts again.
    ups.delivered(1, first.getDestx(), first.getDesty());
    awaitAmazon("a new notice counted", s -> s.delivered().get(1L) == 3);

    stats = amazon.stats();
    // Both later notices name a delivered shipment again: the rule "UADelivered exactly once".
    assertEquals(2, stats.violations().size(), "violations: " + stats.violations());
    assertTrue(stats.violations().get(0).matches(
        "delivery: UADelivered seqnum 1000 names shipment 1 again \\(first in UADelivered seqnum \\d+\\)"),
        stats.violations().get(0));
    assertTrue(stats.violations().get(1).matches(
        "delivery: UADelivered seqnum \\d+ names shipment 1 again \\(first in UADelivered seqnum \\d+\\)"),
        stats.violations().get(1));
    for (long id : shipIds) {
      assertEquals(1, stats.accepted().get(id));
      assertEquals(1, stats.arrived().get(id));
      assertEquals(1, stats.outForDelivery().get(id));
      assertArrayEquals(stats.destinations().get(id), stats.outForDeliveryDest().get(id));
      assertArrayEquals(stats.destinations().get(id), stats.deliveredAt().get(id));
    }
    assertEquals(List.of(), stats.errors());
    System.out.println("delivered " + shipIds + "; delivered counts " + stats.delivered());
  }

  @Test
  void resendsUnackedPickupsToAReconnectingUps() throws Exception {
    int count = 5;
    start(0, fast().withPackages(count));
    FakeUps first = connectUps();
    first.ackAmazon = false;
    first.answerConnected("connected!");
    first.pump(count + " pickups", () -> first.pickups.size() == count);
    awaitAmazon("all unacked", s -> s.unackedToUps() == count);

    // A new connection while the old one is open: it replaces the old one.
    FakeUps second = connectUps();
    assertEquals(amazon.worldId(), second.worldIdFromAmazon());
    first.pump("the old connection closed", first::amazonClosed);
    second.answerConnected("connected!");
    second.pump("the same pickups again", () -> second.pickups.size() == count);
    for (AUPickup pickup : first.pickups.values()) {
      AUPickup again = second.pickups.get(pickup.getShipid());
      assertEquals(pickup, again, "re-sent with the same seqnum and content");
    }
    awaitAmazon("acked at last", s -> s.unackedToUps() == 0);
    assertEquals(count, amazon.stats().created(), "a reconnect emits nothing new");
    long resent = amazon.stats().resentToUps();
    assertTrue(resent >= count, "each pickup re-sent at least on the new connection, counted " + resent);
    System.out.println("re-sent after reconnect: " + second.pickups.keySet());
  }

  @Test
  void completesASmallRunOnAFlakyWorld() throws Exception {
    int count = 4;
    start(40, fast().withWarehouses(2).withPackages(count));
    FakeUps ups = connectAndJoin();
    ups.deliverEverything(count, TRUCK);
    awaitAmazon("all delivered", SimAmazonStats::allDelivered);
    SimAmazonStats stats = amazon.stats();
    for (long id = 1; id <= count; id++) {
      assertEquals(1, stats.delivered().get(id));
      assertEquals(1, stats.loaded().get(id));
      assertArrayEquals(stats.destinations().get(id), stats.deliveredAt().get(id));
    }
    assertEquals(List.of(), stats.errors());
    assertEquals(List.of(), stats.violations());
    awaitAmazon("world acked everything", s -> s.unackedToWorld() == 0);
    SimWorldStats worldStats = world.stats(amazon.worldId());
    assertNotEquals(0, worldStats.dropped(), "the world did drop requests");
    System.out.println("flaky world dropped " + worldStats.dropped() + " requests; all "
        + count + " delivered");
  }

  @Test
  void rejoinsItsWorldAfterADropAndFinishesTheRun() throws Exception {
    int count = 4;
    start(0, fast().withWarehouses(1).withPackages(count));
    FakeUps ups = connectAndJoin();
    ups.pump(count + " pickups", () -> ups.pickups.size() >= count);

    world.dropConnections();
    awaitWorld("Amazon back", SimWorldStats::amazonConnected);
    assertEquals(Set.of(amazon.worldId()), world.worldIds(), "rejoined, no new world");
    assertEquals("connected!", ups.joinWorld(world.upsPort(), truck(TRUCK, 0, 0)).getResult());

    ups.deliverEverything(count, TRUCK);
    awaitAmazon("all delivered", SimAmazonStats::allDelivered);
    awaitAmazon("world acked everything", s -> s.unackedToWorld() == 0);
    assertEquals(List.of(), amazon.stats().errors());
    assertEquals(List.of(), amazon.stats().violations());
    System.out.println("after a dropped world link, all " + count + " delivered in world "
        + amazon.worldId());
  }

  // ---- the rules of the UPS ⇄ Amazon link, each broken on purpose -----------------------------

  @Test
  void aUpsThatKeepsEveryRuleIsReportedForNoneAndGivesTheBenchmarkFigures() throws Exception {
    int count = 6;
    start(0, fast().withWarehouses(2).withPackages(count).withUpsUserIds(List.of(7L))
        .withUnknownUpsUserIds(List.of(99L)).withQueryEvery(2));
    FakeUps ups = connectAndJoin();
    ups.accounts = Set.of(7L);
    ups.deliverEverything(count, TRUCK);
    ups.pump("queries answered", () -> ups.queries.size() == 3 && ups.allAckedByAmazon());
    SimAmazonStats stats = awaitAmazon("all delivered", SimAmazonStats::allDelivered);

    assertEquals(List.of(), stats.violations());
    assertEquals(Set.of(2L, 4L, 6L), stats.statuses().keySet(), "every second shipment queried");
    Set<Long> all = Set.copyOf(range(1, count));
    assertEquals(all, stats.pickupSentNanos().keySet());
    assertEquals(all, stats.deliveredNanos().keySet());
    for (long id : all) {
      assertTrue(stats.deliveredNanos().get(id) > stats.pickupSentNanos().get(id), "shipment " + id);
    }
    long[] percentiles = stats.latencyMillisPercentiles(50, 99);
    assertEquals(2, percentiles.length);
    assertTrue(percentiles[0] >= 0 && percentiles[0] <= percentiles[1], Arrays.toString(percentiles));
    assertTrue(stats.packagesPerSecond().orElseThrow() > 0);
    System.out.printf("%d delivered, %.1f/s, p50 %d ms, p99 %d ms, %d re-sent%n", count,
        stats.packagesPerSecond().getAsDouble(), percentiles[0], percentiles[1], stats.resentToUps());
  }

  @Test
  void causalOrderATruckArrivalBeforeItsPickupAcceptedIsFlaggedAlsoWhenResentBesideIt() throws Exception {
    start(0, fast().withWarehouses(1).withPackages(4));
    FakeUps ups = connectWithoutWorld();
    ups.pump("4 pickups", () -> ups.pickups.size() == 4);
    int warehouse = ups.pickups.get(1L).getWarehouse().getId();

    // Shipment 1: the arrival alone, then re-sent in the same UACommands as the acceptance.
    long arrival1 = ups.truckArrived(TRUCK, warehouse, List.of(1L));
    ups.pump("the arrival acked", ups::allAckedByAmazon);
    ups.sendItems(UACommands.newBuilder()
        .addAccepted(ups.acceptance(1, TRUCK, ups.seqnum()))
        .addArrived(FakeUps.arrival(TRUCK, warehouse, List.of(1L), arrival1))
        .build());
    // Shipment 2: both new in one UACommands, where accepted is handled first: in order.
    ups.sendItems(UACommands.newBuilder()
        .addAccepted(ups.acceptance(2, TRUCK, ups.seqnum()))
        .addArrived(FakeUps.arrival(TRUCK, warehouse, List.of(2L), ups.seqnum()))
        .build());
    // Shipment 3: out for delivery before its truck arrived; shipment 4: delivered first.
    ups.accepted(3, TRUCK);
    long out3 = ups.outForDelivery(3, 1, 1);
    long delivered4 = ups.delivered(4, 1, 1);

    assertEquals(
        List.of(
            "causal order: UATruckArrived seqnum " + arrival1 + " names shipment 1 before its UAPickupAccepted",
            "causal order: UAOutForDelivery seqnum " + out3 + " names shipment 3 before its UATruckArrived",
            "causal order: UADelivered seqnum " + delivered4 + " names shipment 4 before its UAPickupAccepted"),
        violationsOnceAcked(ups));
  }

  @Test
  void handshakeUAConnectedOncePerConnectionBeforeAnyItemForTheNamedWorld() throws Exception {
    start(0, fast().withPackages(1));
    FakeUps first = connectWithoutWorld();
    first.pump("the pickup", () -> first.pickups.size() == 1);
    long world = amazon.worldId();

    FakeUps second = connectUps();
    long early = second.accepted(1, TRUCK);
    second.pump("the early item acked", second::allAckedByAmazon);
    second.answerConnected(world + 1, "connected!");
    second.answerConnected(world, "connected!");
    awaitViolations(3);
    FakeUps third = connectUps();
    third.answerConnected("Connected");
    awaitViolations(4);
    // A refusal is an honest answer, not a breach.
    FakeUps fourth = connectUps();
    fourth.answerConnected("error: the world is busy");
    awaitAmazon("the refusal heard", s -> s.errors().stream().anyMatch(e -> e.contains("the world is busy")));

    assertEquals(
        List.of(
            "handshake: connection 2 carried UPS items (seqnums [" + early + "]) before its UAConnected",
            "handshake: UAConnected on connection 2 names world " + (world + 1) + ", but Amazon named world " + world,
            "handshake: connection 2 got a second UAConnected (result \"connected!\")",
            "handshake: UAConnected on connection 3 has result \"Connected\", neither \"connected!\" nor an \"error: …\" text"),
        amazon.stats().violations());
  }

  @Test
  void eachPickupIsAnsweredOnceWithOneNonEmptyTrackingNumber() throws Exception {
    start(0, fast().withPackages(4));
    FakeUps ups = connectWithoutWorld();
    ups.pump("4 pickups", () -> ups.pickups.size() == 4);
    long pickup1 = ups.pickups.get(1L).getSeqnum();
    long pickup3 = ups.pickups.get(3L).getSeqnum();

    long accepted1 = ups.accepted(1, TRUCK);
    long refused1 = ups.error("no truck today", pickup1);
    long empty2 = ups.accepted(2, TRUCK, "");
    long accepted3 = ups.accepted(3, TRUCK);
    long other3 = ups.accepted(3, TRUCK, "T3-other");
    long unknown = ups.accepted(99, TRUCK);
    long pickup4 = ups.pickups.get(4L).getSeqnum();
    long refused4 = ups.error("bad coordinates", pickup4); // one answer, but to a valid pickup

    assertEquals(
        List.of(
            "valid request refused: UAErr seqnum " + refused1 + " answers AUPickup seqnum " + pickup1
                + " (shipment 1), which PROTOCOL.md calls valid, with \"no truck today\"",
            "one answer: AUPickup seqnum " + pickup1 + " (shipment 1) was answered by UAPickupAccepted seqnum "
                + accepted1 + " and again by UAErr seqnum " + refused1,
            "tracking number: UAPickupAccepted seqnum " + empty2 + " for shipment 2 has an empty tracking number",
            "one answer: AUPickup seqnum " + pickup3 + " (shipment 3) was answered by UAPickupAccepted seqnum "
                + accepted3 + " and again by UAPickupAccepted seqnum " + other3,
            "tracking number: UAPickupAccepted seqnum " + other3 + " gives shipment 3 tracking number \"T3-other\", "
                + "but UAPickupAccepted seqnum " + accepted3 + " gave \"T3\"",
            "unknown shipment: UAPickupAccepted seqnum " + unknown + " names shipment 99, whose AUPickup Amazon never sent",
            "valid request refused: UAErr seqnum " + refused4 + " answers AUPickup seqnum " + pickup4
                + " (shipment 4), which PROTOCOL.md calls valid, with \"bad coordinates\""),
        violationsOnceAcked(ups));
  }

  @Test
  void userlinkedSaysWhetherThePickupNamedAnExistingAccount() throws Exception {
    int count = 20;
    start(0, fast().withPackages(count).withUpsUserIds(List.of(7L)).withUnknownUpsUserIds(List.of(99L)));
    FakeUps ups = connectWithoutWorld();
    ups.accounts = Set.of(7L);
    ups.pump(count + " pickups", () -> ups.pickups.size() == count);
    AUPickup account = firstPickup(ups, p -> p.hasUpsuserid() && p.getUpsuserid() == 7L);
    AUPickup noAccount = firstPickup(ups, p -> p.hasUpsuserid() && p.getUpsuserid() == 99L);
    AUPickup noUser = firstPickup(ups, p -> !p.hasUpsuserid());

    long wrong1 = ups.accepted(account.getShipid(), TRUCK, "A", false);
    long wrong2 = ups.accepted(noAccount.getShipid(), TRUCK, "B", true);
    long wrong3 = ups.accepted(noUser.getShipid(), TRUCK, "C", true);
    Set<Long> answered = Set.of(account.getShipid(), noAccount.getShipid(), noUser.getShipid());
    for (long id : ups.pickups.keySet()) {
      if (!answered.contains(id)) ups.accepted(id, TRUCK); // rightly linked or not
    }

    assertEquals(
        List.of(
            "userlinked: UAPickupAccepted seqnum " + wrong1 + " says userlinked=false for shipment "
                + account.getShipid() + ", whose AUPickup named existing UPS account 7",
            "userlinked: UAPickupAccepted seqnum " + wrong2 + " says userlinked=true for shipment "
                + noAccount.getShipid() + ", whose AUPickup named UPS user id 99, which is no account",
            "userlinked: UAPickupAccepted seqnum " + wrong3 + " says userlinked=true for shipment "
                + noUser.getShipid() + ", whose AUPickup named no UPS user id"),
        violationsOnceAcked(ups));
  }

  @Test
  void aTruckArrivalNamesEachShipmentOnceAtItsWarehouseWithItsAnnouncedTruck() throws Exception {
    start(0, fast().withWarehouses(2).withPackages(3));
    FakeUps ups = connectWithoutWorld();
    ups.pump("3 pickups", () -> ups.pickups.size() == 3);
    ups.accepted(1, TRUCK);
    ups.accepted(2, TRUCK);
    long accepted3 = ups.accepted(3, TRUCK);
    int warehouse1 = ups.pickups.get(1L).getWarehouse().getId();
    int warehouse2 = ups.pickups.get(2L).getWarehouse().getId();
    int warehouse3 = ups.pickups.get(3L).getWarehouse().getId();

    long empty = ups.truckArrived(TRUCK, warehouse1, List.of());
    long first = ups.truckArrived(TRUCK, warehouse1, List.of(1L));
    long again = ups.truckArrived(TRUCK, warehouse1, List.of(1L));
    long elsewhere = ups.truckArrived(TRUCK, warehouse2 + 10, List.of(2L));
    long otherTruck = ups.truckArrived(TRUCK + 1, warehouse3, List.of(3L));

    assertEquals(
        List.of(
            "truck arrival: UATruckArrived seqnum " + empty + " names no shipment",
            "truck arrival: UATruckArrived seqnum " + again + " names shipment 1 again (first in UATruckArrived seqnum " + first + ")",
            "truck arrival: UATruckArrived seqnum " + elsewhere + " names shipment 2 at warehouse " + (warehouse2 + 10)
                + ", but its AUPickup named warehouse " + warehouse2,
            "truck arrival: UATruckArrived seqnum " + otherTruck + " brings truck " + (TRUCK + 1)
                + " for shipment 3, but UAPickupAccepted seqnum " + accepted3 + " named truck " + TRUCK),
        violationsOnceAcked(ups));
  }

  @Test
  void outForDeliveryOnceAndOnlyAfterAmazonLoadedTheWholeTrip() throws Exception {
    start(0, fast().withWarehouses(1).withPackages(2));
    FakeUps ups = connectWithoutWorld(); // no UPS truck in the world: Amazon can load nothing
    ups.pump("2 pickups", () -> ups.pickups.size() == 2);
    ups.accepted(1, TRUCK);
    ups.accepted(2, TRUCK);
    long arrival = ups.truckArrived(TRUCK, ups.pickups.get(1L).getWarehouse().getId(), List.of(1L, 2L));
    AUPickup pickup1 = ups.pickups.get(1L);
    long out = ups.outForDelivery(1, pickup1.getDestx(), pickup1.getDesty());
    long again = ups.outForDelivery(1, pickup1.getDestx(), pickup1.getDesty());

    assertEquals(
        List.of(
            "out for delivery: UAOutForDelivery seqnum " + out + " sends shipment 1 out before Amazon sent AULoaded"
                + " for shipments [1, 2] of UATruckArrived seqnum " + arrival,
            "out for delivery: UAOutForDelivery seqnum " + again + " names shipment 1 again (first in UAOutForDelivery seqnum " + out + ")"),
        violationsOnceAcked(ups));
    assertTrue(ups.loaded.isEmpty(), "Amazon indeed loaded nothing");
  }

  @Test
  void deliveredOnceAtTheDestinationItWentOutFor() throws Exception {
    start(0, fast().withWarehouses(1).withPackages(2));
    FakeUps ups = connectAndJoin();
    ups.pump("2 pickups", () -> ups.pickups.size() == 2);
    List<AUPickup> batch = List.copyOf(ups.pickups.values());
    batch.forEach(p -> ups.accepted(p.getShipid(), TRUCK));
    ups.collect(TRUCK, batch.get(0).getWarehouse().getId(), batch); // every AULoaded came
    AUPickup one = ups.pickups.get(1L);
    AUPickup two = ups.pickups.get(2L);
    long out1 = ups.outForDelivery(1, one.getDestx(), one.getDesty());
    ups.outForDelivery(2, two.getDestx(), two.getDesty());

    long elsewhere = ups.delivered(1, one.getDestx() + 1, one.getDesty());
    long again = ups.delivered(1, one.getDestx(), one.getDesty());
    ups.delivered(2, two.getDestx(), two.getDesty());

    assertEquals(
        List.of(
            "delivery: UADelivered seqnum " + elsewhere + " puts shipment 1 at (" + (one.getDestx() + 1) + ", "
                + one.getDesty() + "), but UAOutForDelivery seqnum " + out1 + " named (" + one.getDestx() + ", "
                + one.getDesty() + ")",
            "delivery: UADelivered seqnum " + again + " names shipment 1 again (first in UADelivered seqnum " + elsewhere + ")"),
        violationsOnceAcked(ups));
  }

  /** PROTOCOL.md calls these requests valid: a UAErr for one is a breach, whatever came before it. */
  @Test
  void aUAErrToAValidPickupOrLoadIsABreach() throws Exception {
    start(0, fast().withWarehouses(1).withPackages(2));
    FakeUps ups = connectAndJoin();
    ups.pump("2 pickups", () -> ups.pickups.size() == 2);
    AUPickup one = ups.pickups.get(1L);
    AUPickup two = ups.pickups.get(2L);
    ups.accepted(1, TRUCK);
    ups.awaitAtWarehouse(TRUCK, one.getWarehouse().getId());
    long arrival = ups.truckArrived(TRUCK, one.getWarehouse().getId(), List.of(1L));
    ups.pump("AULoaded for shipment 1", () -> ups.loaded.containsKey(1L));
    long loadedOne = ups.loaded.get(1L).getSeqnum();
    long refusedLoad = ups.error("shipment 1 is not assigned to truck " + TRUCK, loadedOne);
    long refusedPickup = ups.error("no", two.getSeqnum());

    assertEquals(
        List.of(
            "valid request refused: UAErr seqnum " + refusedLoad + " answers AULoaded seqnum " + loadedOne
                + " (shipment 1 on truck " + TRUCK + ", announced in UATruckArrived seqnum " + arrival + "), which"
                + " PROTOCOL.md calls valid, with \"shipment 1 is not assigned to truck " + TRUCK + "\"",
            "valid request refused: UAErr seqnum " + refusedPickup + " answers AUPickup seqnum " + two.getSeqnum()
                + " (shipment 2), which PROTOCOL.md calls valid, with \"no\""),
        violationsOnceAcked(ups));
  }

  @Test
  void seqnumsAreNeverReusedForOtherContentAndOnlySentItemsAreAcked() throws Exception {
    start(0, fast().withPackages(1));
    FakeUps ups = connectWithoutWorld();
    ups.pump("the pickup", () -> ups.pickups.size() == 1);
    long accepted = ups.accepted(1, TRUCK);
    ups.pump("acked", ups::allAckedByAmazon);

    // The same seqnum with the same content is a re-send; with other content it is a breach.
    ups.sendToAmazon(UACommands.newBuilder().addAccepted(ups.acceptance(1, TRUCK, accepted)).build());
    ups.sendToAmazon(FakeUps.deliveredMessage(1, 5, 5, accepted));
    ups.pump("both acked", () -> ups.amazonAckCount(accepted) == 3);
    // Acks: the pickup's seqnum again is harmless; seqnum 1 went to the world, not to UPS.
    long pickup = ups.pickups.get(1L).getSeqnum();
    ups.sendToAmazon(UACommands.newBuilder().addAcks(pickup).addAcks(1).addAcks(1_000_000).build());
    long error = ups.error("what is this?", 2_000_000);

    List<String> violations = violationsOnceAcked(ups);
    assertEquals(4, violations.size(), "violations: " + violations);
    String reuse = "seqnums: UPS seqnum " + accepted + " came first as UAPickupAccepted \\{shipid: 1 trackingnumber: \"T1\""
        + " truckid: 1 userlinked: false seqnum: " + accepted + "\\} and again as UADelivered \\{shipid: 1 x: 5 y: 5 seqnum: "
        + accepted + "\\}";
    assertTrue(violations.get(0).matches(reuse), violations.get(0));
    assertEquals(
        List.of(
            "seqnums: UPS acked seqnum 1, which Amazon never sent it",
            "seqnums: UPS acked seqnum 1000000, which Amazon never sent it",
            "seqnums: UAErr seqnum " + error + " names originseqnum 2000000, which is no item Amazon sent UPS"),
        violations.subList(1, 4));
    assertEquals(Map.of(), amazon.stats().delivered(), "the reused seqnum was not taken for a delivery");
  }

  @Test
  void eachQueryIsAnsweredByOneUAStatusWithAProtocolStatus() throws Exception {
    start(0, fast().withPackages(6).withQueryEvery(2));
    FakeUps ups = connectWithoutWorld();
    ups.answerQueries = false;
    ups.pump("6 pickups", () -> ups.pickups.size() == 6);
    assertEquals(Map.of(), ups.queries, "no query before its pickup is accepted");
    ups.pickups.keySet().forEach(id -> ups.accepted(id, TRUCK));
    ups.pump("queries", () -> ups.queries.size() == 3);
    assertEquals(List.of(2L, 4L, 6L), List.copyOf(ups.queries.keySet()));
    long query2 = ups.queries.get(2L).getSeqnum();
    long query4 = ups.queries.get(4L).getSeqnum();

    long first2 = ups.status(2, "truck en route to warehouse");
    long second2 = ups.status(2, "truck en route to warehouse");
    long bad4 = ups.status(4, "en route");
    long error4 = ups.error("no such package", query4);
    ups.status(6, "exception: the world lost it");
    long unasked = ups.status(1, "created");

    assertEquals(
        List.of(
            "one answer: AUQuery seqnum " + query2 + " (shipment 2) was answered by UAStatus seqnum " + first2
                + " and again by UAStatus seqnum " + second2,
            "status: UAStatus seqnum " + bad4 + " gives shipment 4 status \"en route\", which is none of PROTOCOL.md's"
                + " package statuses",
            "valid request refused: UAErr seqnum " + error4 + " answers AUQuery seqnum " + query4
                + " (shipment 4), which UPS accepted, which PROTOCOL.md calls valid, with \"no such package\"",
            "one answer: AUQuery seqnum " + query4 + " (shipment 4) was answered by UAStatus seqnum " + bad4
                + " and again by UAErr seqnum " + error4,
            "one answer: UAStatus seqnum " + unasked + " for shipment 1 answers no AUQuery"),
        violationsOnceAcked(ups));
  }

  @ParameterizedTest(name = "all at once: {0}")
  @ValueSource(booleans = {false, true})
  void emitsEightThousandPickupsInTheFirstGoInModestMessages(boolean allAtOnce) throws Exception {
    int count = 8000;
    SimAmazonSettings settings = fast().withPackages(count);
    start(0, allAtOnce ? settings.withAllPickupsAtOnce() : settings.withRate(1e9));
    FakeUps ups = connectWithoutWorld();
    ups.pump(count + " pickups", () -> ups.pickups.size() == count);

    SimAmazonStats stats = amazon.stats();
    assertEquals(count, stats.created());
    assertEquals(count, stats.pickupSentNanos().size());
    assertEquals(1, Set.copyOf(stats.pickupSentNanos().values()).size(), "all written in the same flush");
    int most = ups.pickupsPerMessage.stream().mapToInt(Integer::intValue).max().orElseThrow();
    assertTrue(most <= SimAmazon.MAX_ITEMS_PER_MESSAGE, "at most 200 pickups a message, got " + most);
    assertTrue(ups.largestMessageBytes < 64 * 1024, "largest message " + ups.largestMessageBytes + " bytes");
    // And the burst is served: stock is bought for it and the world packs every one.
    awaitWorld("all " + count + " packed",
        w -> w.packages().size() == count && w.packages().stream().allMatch(p -> p.status().equals("packed")));
    System.out.println(count + " pickups in " + ups.pickupsPerMessage.size() + " messages, largest "
        + ups.largestMessageBytes + " bytes");
  }

  private static AUPickup firstPickup(FakeUps ups, Predicate<AUPickup> which) {
    AUPickup found = ups.pickups.values().stream().filter(which).findFirst().orElse(null);
    assertNotNull(found, "the seed gives a pickup of each kind");
    return found;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(i);
    return out;
  }
}
