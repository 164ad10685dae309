package org.miniups.sim.amazon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.miniups.sim.amazon.FakeUps.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.UpsAmazon.AUItem;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;
import org.miniups.sim.world.SimWorldStats;

/**
 * Runs the simulated Amazon against a real simulated World, with a blocking fake UPS on both of
 * its links. A fast world and short resend intervals keep each test to a few seconds; every wait
 * polls for a message or a state, with a deadline, never a fixed sleep.
 */
class SimAmazonServerTest {

  private static final Duration RESEND = Duration.ofMillis(200);
  private static final int TRUCK = 1;

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

  private void awaitAmazon(String what, Predicate<SimAmazonStats> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + FakeUps.TIMEOUT.toNanos();
    SimAmazonStats stats;
    while (!condition.test(stats = amazon.stats())) {
      if (System.nanoTime() > deadline) fail("timed out waiting for " + what + "; last stats " + stats);
      pause();
    }
  }

  private void awaitWorld(String what, Predicate<SimWorldStats> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + FakeUps.TIMEOUT.toNanos();
    while (!condition.test(world.stats(amazon.worldId()))) {
      if (System.nanoTime() > deadline) fail("timed out waiting for the world: " + what);
      pause();
    }
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
    System.out.println("after a dropped world link, all " + count + " delivered in world "
        + amazon.worldId());
  }

  /** Between two polls of an actor's state, so the test does not flood it with asks. */
  private static void pause() throws InterruptedException {
    Thread.sleep(5);
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(i);
    return out;
  }
}
