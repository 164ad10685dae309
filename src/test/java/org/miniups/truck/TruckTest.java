package org.miniups.truck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestCargo;
import org.miniups.TestConfigs;
import org.miniups.amazon.AmazonNotice;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

/**
 * The truck entity with its side effects: the outboxes, shipments and the dispatcher are probes
 * answering as the real ones would (or real outboxes, where seqnums matter). Time is manual.
 */
class TruckTest {
  // A system per test: trucks of an earlier test (same persistence id, timers on manual time) must
  // not wake up, read this test's journal or write to it.
  private final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(TestConfigs.inMemory()));
  private final ManualTime time = ManualTime.get(testKit.system());
  private final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final Clock clock = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);
  private static final Warehouse WH = new Warehouse(7, 10, 20);
  private static final Warehouse OTHER_WH = new Warehouse(8, -5, 3);

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  private TestProbe<ResendSupervisor.Command> worldOutbox;
  private TestProbe<ResendSupervisor.Command> amazonOutbox;
  private TestProbe<Shipment.Command> shipments;
  private final List<Cargo> redispatched = new CopyOnWriteArrayList<>();
  private EventSourcedBehaviorTestKit<Truck.Command, Truck.Event, TruckState> truck;
  /** Most tests: a truck leaves once loaded (the consolidation wait has tests of its own). */
  private TripPlanning planning = new TripPlanning(new RoutePlanner(Metric.EUCLIDEAN), 10, Duration.ZERO);

  @BeforeEach
  void setUp() {
    worldOutbox = testKit.createTestProbe();
    amazonOutbox = testKit.createTestProbe();
    shipments = testKit.createTestProbe();
    truck = truckWith(worldOutbox.getRef(), amazonOutbox.getRef());
  }

  private EventSourcedBehaviorTestKit<Truck.Command, Truck.Event, TruckState> truckWith(
      ActorRef<ResendSupervisor.Command> world, ActorRef<ResendSupervisor.Command> amazon) {
    return EventSourcedBehaviorTestKit.create(testKit.system(), truck3(world, amazon, shipments.getRef()));
  }

  /** Truck 3 with its effects going to these outboxes and shipments; redispatched cargo is collected. */
  private Behavior<Truck.Command> truck3(
      ActorRef<ResendSupervisor.Command> world, ActorRef<ResendSupervisor.Command> amazon, ActorRef<Shipment.Command> steps) {
    return truckNumbered(3, world, amazon, steps);
  }

  private Behavior<Truck.Command> truckNumbered(
      int truckId, ActorRef<ResendSupervisor.Command> world, ActorRef<ResendSupervisor.Command> amazon, ActorRef<Shipment.Command> steps) {
    TruckLinks links =
        new TruckLinks(
            world,
            amazon,
            shipId -> steps,
            cargo -> {
              redispatched.add(cargo);
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    TestProbe<Topic.Command<Truck.Changed>> topic = testKit.createTestProbe();
    return Truck.create(truckId, new Location(0, 0), links, topic.getRef(), planning, clock);
  }

  private static Cargo cargo(long shipId, Warehouse warehouse) {
    return TestCargo.of(shipId, warehouse, new Location((int) shipId, 1));
  }

  private CommandResultWithReply<Truck.Command, Truck.Event, TruckState, Truck.AssignmentReply> assign(
      Cargo... cargo) {
    return truck.runCommand(replyTo -> new Truck.AssignPickups(List.of(cargo), replyTo));
  }

  private CommandResultWithReply<Truck.Command, Truck.Event, TruckState, Done> report(WorldEvent event) {
    return truck.runCommand(replyTo -> new Truck.ReportFromWorld(event, replyTo));
  }

  private CommandResultWithReply<Truck.Command, Truck.Event, TruckState, Truck.LoadReply> load(long shipId) {
    return truck.runCommand(replyTo -> new Truck.ConfirmLoaded(shipId, replyTo));
  }

  private Truck.Summary summary() {
    return truck.<Truck.Summary>runCommand(Truck.GetSummary::new).reply();
  }

  /** The next batch for an outbox, answered as the outbox would once it stored all of it. */
  private static ResendSupervisor.Store expectStored(TestProbe<ResendSupervisor.Command> outbox) {
    return answerStored(outbox.expectMessageClass(ResendSupervisor.Store.class));
  }

  /** Answers a batch as the outbox would once it stored all of it. */
  private static ResendSupervisor.Store answerStored(ResendSupervisor.Store store) {
    ResendSupervisor.Origin first = store.first();
    store.replyTo().tell(new ResendSupervisor.StoredThrough(first.entityType(), first.entityId(), first.effectId() + store.messages().size() - 1));
    return store;
  }

  /** The next steps the truck reports to shipments, answered as the shipments would. */
  private List<Shipment.Step> expectSteps(int count) {
    List<Shipment.Step> steps = new java.util.ArrayList<>();
    while (steps.size() < count) {
      // One answer may let the next batch go out, so answer each as it comes.
      Shipment.Update update = shipments.expectMessageClass(Shipment.Update.class);
      update.replyTo().tell(Done.getInstance());
      steps.add(update.step());
    }
    return steps;
  }

  /** Answers the truck's departure: the shipments keep Amazon's destinations except {@code moved}. */
  private void leave(int count, long movedShipId, int movedX, int movedY) {
    for (int i = 0; i < count; i++) {
      Shipment.LeaveWarehouse leaving = shipments.expectMessageClass(Shipment.LeaveWarehouse.class);
      assertEquals(3, leaving.truckId());
      // The probe serves every shipment, so answer in the order the truck asked (its cargo order).
      long shipId = truck.getState().trip().cargo().get(i).shipId();
      boolean moved = shipId == movedShipId;
      leaving.replyTo().tell(new Shipment.Destination(shipId, moved ? movedX : (int) shipId, moved ? movedY : 1, true));
    }
  }

  /**
   * Lets the truck leave with shipment 100 to (100, 1), whatever it reported to its shipments on
   * the way (each step answered as a shipment would).
   */
  private void departWith100() {
    shipments.fishForMessage(Duration.ofSeconds(3), m -> {
      if (m instanceof Shipment.Update update) update.replyTo().tell(Done.getInstance());
      if (m instanceof Shipment.LeaveWarehouse leaving) {
        leaving.replyTo().tell(new Shipment.Destination(100, 100, 1, true));
        return FishingOutcomes.complete();
      }
      return FishingOutcomes.continueAndIgnore();
    });
    shipments.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(Truck.Phase.DELIVERING, truck.getState().phase());
      return null;
    });
  }

  @Test
  void anIdleTruckTakesATripAnnouncesEachShipmentAndSendsOneGoPickup() {
    var result = assign(cargo(100, WH), cargo(101, WH));
    assertEquals(List.of(100L, 101L), result.reply().accepted());
    assertInstanceOf(Truck.PickupsAssigned.class, result.event());
    assertEquals(Truck.Phase.TO_WAREHOUSE, result.state().phase());
    assertEquals("traveling", result.reply().truck().status());

    ResendSupervisor.Store pickup = expectStored(worldOutbox);
    assertEquals(new ResendSupervisor.Origin("Truck", "3", 1), pickup.first());
    assertEquals(List.of(new WorldCommand.GoPickup(3, 7)), pickup.messages());
    ResendSupervisor.Store accepted = expectStored(amazonOutbox);
    assertEquals(
        List.of(
            new AmazonNotice.PickupAccepted(100, TestCargo.trackingNumber(100), 3, false),
            new AmazonNotice.PickupAccepted(101, TestCargo.trackingNumber(101), 3, false)),
        accepted.messages());
    assertEquals(
        List.of(Shipment.Status.EN_ROUTE, Shipment.Status.EN_ROUTE),
        expectSteps(2).stream().map(Shipment.Step::status).toList());
  }

  @Test
  void moreCargoForTheSameWarehouseJoinsTheTripAndOtherWarehousesWait() {
    assign(cargo(100, WH));
    expectStored(worldOutbox);
    var second = assign(cargo(101, WH));
    assertEquals(List.of(101L), second.reply().accepted());
    assertEquals(2, second.state().trip().cargo().size());

    var elsewhere = assign(cargo(102, OTHER_WH));
    assertEquals(List.of(), elsewhere.reply().accepted());
    assertEquals("truck 3 is traveling", elsewhere.reply().refusal());
    assertTrue(elsewhere.events().isEmpty());

    var repeated = assign(cargo(100, WH));
    assertEquals(List.of(100L), repeated.reply().accepted(), "the same assignment again is answered again");
    assertTrue(repeated.events().isEmpty());
    worldOutbox.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aWholeTripPickupLoadDeliverIdle() {
    assign(cargo(100, WH), cargo(101, WH));
    expectStored(worldOutbox);
    expectStored(amazonOutbox);
    expectSteps(2);
    assertEquals(false, load(100).reply().accepted(), "cannot load before the truck arrives");

    var arrived = report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    assertInstanceOf(Truck.ArrivedAtWarehouse.class, arrived.event());
    assertEquals(new Location(10, 20), arrived.state().position());
    assertEquals(List.of(new AmazonNotice.TruckArrived(3, 7, List.of(100L, 101L))), expectStored(amazonOutbox).messages());
    assertEquals(List.of(10, 10), expectSteps(2).stream().map(Shipment.Step::x).toList());
    assertTrue(report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse")).events().isEmpty(), "repeat ignored");

    assertEquals(List.of(new Truck.CargoLoaded(100, clock.instant())), load(100).events());
    assertEquals(Shipment.Status.LOADING, expectSteps(1).get(0).status());
    assertTrue(load(100).events().isEmpty(), "loading twice changes nothing");
    load(101);
    expectSteps(1);
    assertEquals("truck 3 is leaving the warehouse", assign(cargo(102, WH)).reply().refusal());

    // The truck leaves only with the destinations its shipments fixed; 101's owner moved it.
    leave(2, 101, -4, -5);
    ResendSupervisor.Store deliver = expectStored(worldOutbox);
    assertEquals(
        List.of(new WorldCommand.GoDeliver(3, List.of(new WorldCommand.Drop(101, -4, -5), new WorldCommand.Drop(100, 100, 1)))),
        deliver.messages(),
        "the nearer drop first: from the warehouse at (10, 20), (-4, -5) then (100, 1) is the shorter way");
    assertEquals(2, deliver.first().effectId(), "the truck's second World command");
    assertEquals(
        List.of(new AmazonNotice.OutForDelivery(101, -4, -5), new AmazonNotice.OutForDelivery(100, 100, 1)),
        expectStored(amazonOutbox).messages());
    assertEquals(Truck.Phase.DELIVERING, truck.getState().phase());
    assertEquals("truck 3 is delivering", assign(cargo(102, WH)).reply().refusal());

    report(new WorldEvent.PackageDelivered(3, 100));
    assertTrue(report(new WorldEvent.PackageDelivered(3, 100)).events().isEmpty(), "delivered once");
    assertEquals(List.of(new AmazonNotice.Delivered(100, 100, 1)), expectStored(amazonOutbox).messages());
    report(new WorldEvent.PackageDelivered(3, 101));
    assertEquals(List.of(new AmazonNotice.Delivered(101, -4, -5)), expectStored(amazonOutbox).messages());
    List<Shipment.Step> delivered = expectSteps(2);
    assertEquals(List.of(-4, -5), List.of(delivered.get(1).x(), delivered.get(1).y()));

    var idle = report(new WorldEvent.Finished(3, -4, -5, "idle"));
    assertEquals(Truck.Phase.IDLE, idle.state().phase());
    assertEquals(2, idle.state().route().deliveredCount());
    assertEquals(
        Math.hypot(10, 20) + Math.hypot(90, 19) + Math.hypot(104, 6), idle.state().unitsDriven(), 1e-9,
        "the ledger: (0, 0) to the warehouse at (10, 20), to the drop at (100, 1), to the drop at (-4, -5)");
    assertEquals(List.of(102L), assign(cargo(102, OTHER_WH)).reply().accepted(), "idle again: takes any pickup");
  }

  @Test
  void everyAmazonNoticeGoesOutInDecisionOrderOneBatchAtATime() {
    assign(cargo(100, WH));
    expectStored(worldOutbox);
    ResendSupervisor.Store accepted = amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    // The acceptance is not stored yet when the truck arrives: the arrival waits behind it.
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    amazonOutbox.expectNoMessage(Duration.ofMillis(200));
    accepted.replyTo().tell(new ResendSupervisor.StoredThrough("Truck", "3", 1));
    ResendSupervisor.Store arrived = amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(2, arrived.first().effectId());
    assertEquals(List.of(new AmazonNotice.TruckArrived(3, 7, List.of(100L))), arrived.messages());
  }

  @Test
  void anArrivalIsStoredAfterTheAcceptanceItFollowsSoItsSeqnumIsHigher() {
    PersistenceId id = PersistenceId.ofUniqueId("outbox-" + UUID.randomUUID());
    ActorRef<SequenceAllocator.Command> allocator =
        testKit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId("alloc-" + UUID.randomUUID())));
    ActorRef<ResendSupervisor.Command> amazon = testKit.spawn(ResendSupervisor.create(id, allocator, Duration.ofSeconds(5), 100));
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    amazon.tell(new ResendSupervisor.LinkUp(link.getRef()));
    truck = truckWith(worldOutbox.getRef(), amazon);

    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    ResendSupervisor.Item acceptance = link.receiveMessage().items().get(0);
    ResendSupervisor.Item arrival = link.receiveMessage().items().get(0);
    assertInstanceOf(AmazonNotice.PickupAccepted.class, acceptance.message());
    assertInstanceOf(AmazonNotice.TruckArrived.class, arrival.message());
    assertTrue(acceptance.seqnum() < arrival.seqnum(), acceptance + " before " + arrival);
  }

  @Test
  void aCrashBetweenDecisionAndSendSendsTheSameEffectsAgainUnderTheSameNumbers() {
    assign(cargo(100, WH));
    ResendSupervisor.Store lost = worldOutbox.expectMessageClass(ResendSupervisor.Store.class);
    amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    truck.restart(); // before either outbox answered
    ResendSupervisor.Store again = worldOutbox.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(List.of(lost.first(), lost.messages()), List.of(again.first(), again.messages()));
    assertEquals(List.of(new AmazonNotice.PickupAccepted(100, TestCargo.trackingNumber(100), 3, false)),
        expectStored(amazonOutbox).messages());
  }

  @Test
  void aReSentEffectKeepsItsSeqnumInARealOutbox() {
    PersistenceId id = PersistenceId.ofUniqueId("outbox-" + UUID.randomUUID());
    ActorRef<SequenceAllocator.Command> allocator =
        testKit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId("alloc-" + UUID.randomUUID())));
    ActorRef<ResendSupervisor.Command> world = testKit.spawn(ResendSupervisor.create(id, allocator, Duration.ofSeconds(5), 100));
    truck = truckWith(world, amazonOutbox.getRef());
    assign(cargo(100, WH));
    truck.restart(); // whatever reached the outbox before is recognised: no second item
    truck.restart();
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    world.tell(new ResendSupervisor.LinkUp(link.getRef()));
    List<ResendSupervisor.Item> items = link.receiveMessage().items();
    assertEquals(1, items.size(), items.toString());
    assertEquals(new WorldCommand.GoPickup(3, 7), items.get(0).message());
    link.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void confirmedEffectsAreSettledOnceTheTruckIsQuietAndThenNothingIsWritten() {
    assign(cargo(100, WH));
    expectStored(worldOutbox);
    expectStored(amazonOutbox);
    expectSteps(1);
    assertEquals(3, truck.getState().effects().open().size());
    time.timePasses(Duration.ofSeconds(2));
    truck.getState(); // the settle event is persisted by now
    worldOutbox.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(List.of(), truck.getState().effects().open());
      return null;
    });
    // Idle with nothing to settle: position answers and time passing write nothing.
    var position = report(new WorldEvent.TruckReport(3, "traveling", 4, 5));
    assertTrue(position.events().isEmpty());
    assertEquals(new Location(4, 5), summary().position());
    time.timePasses(Duration.ofSeconds(5));
    assertTrue(report(new WorldEvent.TruckReport(3, "traveling", 4, 5)).events().isEmpty());
    truck.restart();
    worldOutbox.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aFailedDeliveryOfEffectsIsTriedAgainAfterAPause() {
    assign(cargo(100, WH));
    expectStored(worldOutbox);
    expectStored(amazonOutbox);
    Shipment.Update first = (Shipment.Update) shipments.receiveMessage();
    // The shipment never answers: the ask times out, and the step is sent again a second later.
    time.timePasses(Duration.ofSeconds(10));
    shipments.expectNoMessage(Duration.ofMillis(100));
    time.timePasses(Duration.ofMillis(500));
    shipments.expectNoMessage(Duration.ofMillis(100));
    time.timePasses(Duration.ofMillis(600));
    Shipment.Update again = (Shipment.Update) shipments.receiveMessage();
    assertEquals(first.step(), again.step());
  }

  @Test
  void anOutboxThatLacksEarlierEffectsIsAskedAgainAfterAPauseNotInALoop() {
    assign(cargo(100, WH));
    ResendSupervisor.Store first = worldOutbox.expectMessageClass(ResendSupervisor.Store.class);
    first.replyTo().tell(new ResendSupervisor.StoredThrough("Truck", "3", 0)); // "I have nothing"
    worldOutbox.expectNoMessage(Duration.ofMillis(200));
    time.timePasses(Duration.ofSeconds(1));
    ResendSupervisor.Store again = worldOutbox.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(first.first(), again.first());
  }

  /** From here on the truck waits {@code wait} at a warehouse for more, up to {@code max} shipments. */
  private void consolidating(Duration wait, int max) {
    planning = new TripPlanning(new RoutePlanner(Metric.EUCLIDEAN), max, wait);
    truck = truckWith(worldOutbox.getRef(), amazonOutbox.getRef());
  }

  /** Answers what the truck tells its shipments until it asks them to leave; the ids it asked. */
  private List<Long> answerUntilLeaving(int count) {
    List<Long> asked = new java.util.ArrayList<>();
    shipments.fishForMessage(Duration.ofSeconds(3), m -> {
      if (m instanceof Shipment.Update update) update.replyTo().tell(Done.getInstance());
      if (m instanceof Shipment.LeaveWarehouse leaving) {
        long shipId = truck.getState().trip().cargo().get(asked.size()).shipId();
        asked.add(shipId);
        leaving.replyTo().tell(new Shipment.Destination(shipId, (int) shipId, 1, true));
        return asked.size() == count ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore();
      }
      return FishingOutcomes.continueAndIgnore();
    });
    return asked;
  }

  @Test
  void aTruckWithRoomLeftWaitsAtTheWarehouseForMoreShipmentsThenLeavesWithThemAll() {
    consolidating(Duration.ofSeconds(5), 10);
    assign(cargo(100, WH));
    var arrived = report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    assertEquals(List.of(Truck.ArrivedAtWarehouse.class), arrived.events().stream().map(Object::getClass).toList());
    load(100);
    assertEquals(
        List.of(Shipment.Status.EN_ROUTE, Shipment.Status.WAITING, Shipment.Status.LOADING),
        expectSteps(3).stream().map(Shipment.Step::status).toList());
    assertTrue(summary().canCollectAt(WH.id()), "loaded, but still taking shipments");
    shipments.expectNoMessage(Duration.ofMillis(300)); // in particular, no LeaveWarehouse
    assertEquals(List.of(101L), assign(cargo(101, WH)).reply().accepted(), "joins the waiting truck");
    load(101);
    expectSteps(3);

    time.timePasses(Duration.ofSeconds(5));
    assertEquals(List.of(100L, 101L), answerUntilLeaving(2));
    shipments.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(Truck.Phase.DELIVERING, truck.getState().phase());
      return null;
    });
    assertEquals(List.of(100L, 101L), truck.getState().route().aboard().stream().map(Cargo::shipId).toList());
  }

  @Test
  void aTripThatIsFullDoesNotWait() {
    consolidating(Duration.ofSeconds(5), 2);
    assign(cargo(100, WH));
    var arrived = report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    assertEquals(List.of(Truck.ArrivedAtWarehouse.class), arrived.events().stream().map(Object::getClass).toList());
    var filled = assign(cargo(101, WH));
    assertEquals(
        List.of(Truck.PickupsAssigned.class, Truck.LoadingClosed.class), filled.events().stream().map(Object::getClass).toList(),
        "the second shipment fills the trip: loading closes with it");
    assertEquals("truck 3 is leaving the warehouse", assign(cargo(102, WH)).reply().refusal());
    load(100);
    load(101);
    assertEquals(List.of(100L, 101L), answerUntilLeaving(2), "no time had to pass");
  }

  @Test
  void aTruckRestartedWhileItWaitsWaitsItsTimeAgainThenLeaves() {
    consolidating(Duration.ofSeconds(5), 10);
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
    truck.restart();
    time.timePasses(Duration.ofSeconds(5));
    assertEquals(List.of(100L), answerUntilLeaving(1));
  }

  @Test
  void theDropsGoOutInTheOrderThatDrivesTheFewestUnits() {
    // From the warehouse at (10, 20) along a line, assigned middle, far, near: driven near first.
    assign(
        TestCargo.of(200, WH, new Location(200, 20)), TestCargo.of(300, WH, new Location(300, 20)),
        TestCargo.of(100, WH, new Location(100, 20)));
    expectStored(worldOutbox);
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(200);
    load(300);
    load(100);
    List<Long> asked = new java.util.ArrayList<>();
    shipments.fishForMessage(Duration.ofSeconds(3), m -> {
      if (m instanceof Shipment.Update update) update.replyTo().tell(Done.getInstance());
      if (m instanceof Shipment.LeaveWarehouse leaving) {
        Cargo c = truck.getState().trip().cargo().get(asked.size());
        asked.add(c.shipId());
        leaving.replyTo().tell(new Shipment.Destination(c.shipId(), c.destination().x(), c.destination().y(), true));
        return asked.size() == 3 ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore();
      }
      return FishingOutcomes.continueAndIgnore();
    });
    assertEquals(
        List.of(new WorldCommand.GoDeliver(3, List.of(
            new WorldCommand.Drop(100, 100, 20), new WorldCommand.Drop(200, 200, 20), new WorldCommand.Drop(300, 300, 20)))),
        expectStored(worldOutbox).messages());
  }

  @Test
  void cargoAssignedToATruckAlreadyAtTheWarehouseGetsItsOwnArrivalNotice() {
    consolidating(Duration.ofSeconds(5), 10);
    assign(cargo(100, WH));
    expectStored(amazonOutbox);
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    expectStored(amazonOutbox);
    assertEquals(List.of(101L), assign(cargo(101, WH)).reply().accepted());
    assertEquals(
        List.of(
            new AmazonNotice.PickupAccepted(101, TestCargo.trackingNumber(101), 3, false),
            new AmazonNotice.TruckArrived(3, 7, List.of(101L))),
        expectStored(amazonOutbox).messages());
  }

  @Test
  void anAssignmentAskedForAgainAfterItsTripIsRecognised() {
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
    departWith100();
    report(new WorldEvent.PackageDelivered(3, 100));
    report(new WorldEvent.Finished(3, 100, 1, "idle"));
    var again = assign(cargo(100, WH)); // a dispatcher re-asking after a crash
    assertEquals(List.of(100L), again.reply().accepted());
    assertTrue(again.events().isEmpty(), "no second trip");
  }

  @Test
  void aDepartureInterruptedByACrashIsPreparedAgainOnRecovery() {
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
    shipments.fishForMessage(Duration.ofSeconds(3), m -> m instanceof Shipment.LeaveWarehouse
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    truck.restart(); // the answer never came
    departWith100();
  }

  /** Another incarnation of truck 3 on the same journal, with its own probes. */
  private ActorRef<Truck.Command> anotherIncarnation(
      TestProbe<ResendSupervisor.Command> world, TestProbe<ResendSupervisor.Command> amazon, TestProbe<Shipment.Command> steps) {
    return testKit.spawn(truck3(world.getRef(), amazon.getRef(), steps.getRef()));
  }

  @Test
  void aDeliveryThisTruckNeverSentOutIsNotAckedButReadFromTheJournalAgain() {
    assign(cargo(100, WH), cargo(101, WH));
    expectStored(worldOutbox);
    expectStored(amazonOutbox);
    expectSteps(2);
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    expectStored(amazonOutbox);
    expectSteps(2);
    // An incarnation recovers now (as on a node a shard moved to while the old one still ran)…
    TestProbe<ResendSupervisor.Command> behindsWorld = testKit.createTestProbe();
    TestProbe<ResendSupervisor.Command> behindsAmazon = testKit.createTestProbe();
    TestProbe<Shipment.Command> behindsShipments = testKit.createTestProbe();
    ActorRef<Truck.Command> behind = anotherIncarnation(behindsWorld, behindsAmazon, behindsShipments);
    TestProbe<Truck.Summary> summaries = testKit.createTestProbe();
    behind.tell(new Truck.GetSummary(summaries.getRef()));
    assertEquals(0, summaries.receiveMessage().loaded(), "recovered before the loads");
    // …and the old one goes on: loads, leaves, and the World is told to deliver.
    load(100);
    expectSteps(1);
    load(101);
    expectSteps(1);
    leave(2, 0, 0, 0);
    expectStored(worldOutbox);
    expectStored(amazonOutbox);

    TestProbe<Done> acks = testKit.createTestProbe();
    behind.tell(new Truck.ReportFromWorld(new WorldEvent.PackageDelivered(3, 100), acks.getRef()));
    acks.expectTerminated(behind);
    acks.expectNoMessage(Duration.ZERO); // a Done would have come before the stop

    // Asked again, the report meets an incarnation that read the departure: the delivery counts.
    TestProbe<ResendSupervisor.Command> freshAmazon = testKit.createTestProbe();
    ActorRef<Truck.Command> fresh = anotherIncarnation(testKit.createTestProbe(), freshAmazon, testKit.createTestProbe());
    fresh.tell(new Truck.ReportFromWorld(new WorldEvent.PackageDelivered(3, 100), acks.getRef()));
    acks.expectMessage(Done.getInstance());
    storedThrough(freshAmazon, new AmazonNotice.Delivered(100, 100, 1));
  }

  @Test
  void aDeliveryOfAShipmentThisIncarnationNeverSawTakenIsCheckedWithTheShipmentAndNotAcked() {
    // An incarnation recovers before the truck takes shipment 100 (as on a node a shard moved to while the old one still ran)…
    TestProbe<Shipment.Command> behindsShipments = testKit.createTestProbe();
    ActorRef<Truck.Command> behind = anotherIncarnation(testKit.createTestProbe(), testKit.createTestProbe(), behindsShipments);
    TestProbe<Truck.Summary> summaries = testKit.createTestProbe();
    behind.tell(new Truck.GetSummary(summaries.getRef()));
    assertEquals(Truck.Phase.IDLE, summaries.receiveMessage().phase(), "recovered before the assignment");
    // …and the old one takes it, loads it and sends it out.
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
    departWith100();

    TestProbe<Done> acks = testKit.createTestProbe();
    behind.tell(new Truck.ReportFromWorld(new WorldEvent.PackageDelivered(3, 100), acks.getRef()));
    Shipment.Get asked = behindsShipments.expectMessageClass(Shipment.Get.class);
    asked.replyTo().tell(shipment(100, Shipment.Status.OUT_FOR_DELIVERY, 3));
    acks.expectTerminated(behind);
    acks.expectNoMessage(Duration.ZERO); // a Done would have come before the stop
  }

  @Test
  void aDeliveryRepeatedAfterItsShipmentHeardIsAckedWhenTheShipmentSaysDelivered() {
    // Truck 9: time passes here, and truck 3's incarnations left by other tests must not write meanwhile.
    truck = EventSourcedBehaviorTestKit.create(testKit.system(), truckNumbered(9, worldOutbox.getRef(), amazonOutbox.getRef(), shipments.getRef()));
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(9, 10, 20, "arrive warehouse"));
    load(100);
    departWith100();
    report(new WorldEvent.PackageDelivered(9, 100));
    Shipment.Update step = (Shipment.Update) shipments.fishForMessage(Duration.ofSeconds(3), m -> {
      if (m instanceof Shipment.Update update) update.replyTo().tell(Done.getInstance());
      return m instanceof Shipment.Update update && update.step().status() == Shipment.Status.DELIVERED
          ? FishingOutcomes.complete()
          : FishingOutcomes.continueAndIgnore();
    }).get(0);
    assertEquals(100, step.step().x());
    storedThrough(worldOutbox, new WorldCommand.GoDeliver(9, List.of(new WorldCommand.Drop(100, 100, 1))));
    storedThrough(amazonOutbox, new AmazonNotice.Delivered(100, 100, 1));
    time.timePasses(Duration.ofSeconds(2));
    assertEquals(List.of(), truck.getState().effects().open(), "every effect settled: the truck keeps no trace of 100");

    truck.restart();
    TestProbe<Done> acks = testKit.createTestProbe();
    truck.runCommand(new Truck.ReportFromWorld(new WorldEvent.PackageDelivered(9, 100), acks.getRef()));
    shipments.expectMessageClass(Shipment.Get.class).replyTo().tell(shipment(100, Shipment.Status.DELIVERED, 9));
    acks.expectMessage(Done.getInstance());
  }

  /** Answers each batch for {@code outbox} as it would once stored, up to the one holding {@code last}. */
  private static void storedThrough(TestProbe<ResendSupervisor.Command> outbox, Object last) {
    outbox.fishForMessage(Duration.ofSeconds(3), m ->
        answerStored((ResendSupervisor.Store) m).messages().contains(last) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
  }

  private static Shipment.Summary shipment(long shipId, Shipment.Status status, int truckId) {
    Shipment.Details details = new Shipment.Details(shipId, WH.id(), WH.x(), WH.y(), (int) shipId, 1, null, List.of());
    return new Shipment.Summary(
        shipId, details, "1Z000000000000" + shipId, shipId, null, status, truckId, (int) shipId, 1, List.of(), null, 7);
  }

  @Test
  void aDepartureUnderWayWhenAWriteFailsIsPreparedAgainAfterTheRestart() {
    TestProbe<Shipment.Command> steps = testKit.createTestProbe();
    ActorRef<Truck.Command> truck = anotherIncarnation(testKit.createTestProbe(), testKit.createTestProbe(), steps);
    TestProbe<Object> answers = testKit.createTestProbe();
    truck.tell(new Truck.AssignPickups(List.of(cargo(100, WH)), answers.getRef().narrow()));
    truck.tell(new Truck.ReportFromWorld(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"), answers.getRef().narrow()));
    truck.tell(new Truck.ConfirmLoaded(100, answers.getRef().narrow()));
    answers.receiveSeveralMessages(3);
    Shipment.LeaveWarehouse asked = leaveWarehouseAsked(steps);
    // Another decision's write fails while the departure waits for its answers (which never come).
    journal.failNextPersisted();
    truck.tell(new Truck.CommandRefused(99, "no such command", answers.getRef().narrow()));
    answers.expectNoMessage(Duration.ofMillis(200));
    time.timePasses(Duration.ofSeconds(1)); // past the restart backoff, well short of the ask timeout
    Shipment.LeaveWarehouse again = leaveWarehouseAsked(steps);
    assertEquals(asked.truckId(), again.truckId());
  }

  private static Shipment.LeaveWarehouse leaveWarehouseAsked(TestProbe<Shipment.Command> steps) {
    return (Shipment.LeaveWarehouse)
        steps.fishForMessage(Duration.ofSeconds(3), m -> {
              if (m instanceof Shipment.Update update) update.replyTo().tell(Done.getInstance());
              return m instanceof Shipment.LeaveWarehouse ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore();
            })
            .get(0);
  }

  @Test
  void aRefusedPickupFreesTheTruckAndDispatchesTheShipmentAgainOnceItsAcceptanceIsStored() {
    assign(cargo(100, WH));
    expectStored(worldOutbox);
    ResendSupervisor.Store accepted = amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    expectSteps(1);
    var failed = truck.<Done>runCommand(replyTo -> new Truck.CommandRefused(1, "error: no warehouse 7", replyTo));
    assertEquals(Truck.Phase.IDLE, failed.state().phase());
    assertEquals("error: no warehouse 7", failed.state().lastError());
    assertEquals("the World refused the pickup: error: no warehouse 7", expectSteps(1).get(0).detail());
    shipments.expectNoMessage(Duration.ofMillis(200));
    assertEquals(List.of(), redispatched, "not before Amazon's acceptance is stored");
    accepted.replyTo().tell(new ResendSupervisor.StoredThrough("Truck", "3", 1));
    shipments.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(List.of(cargo(100, WH).refusedBy(3)), redispatched);
      return null;
    });
  }

  @Test
  void aRefusedDeliveryMakesItsPackagesExceptionsAndTellsAmazon() {
    assign(cargo(100, WH));
    expectStored(worldOutbox);
    expectStored(amazonOutbox);
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    expectStored(amazonOutbox);
    load(100);
    departWith100();
    assertEquals(2, expectStored(worldOutbox).first().effectId());
    expectStored(amazonOutbox); // out for delivery
    var failed = truck.<Done>runCommand(replyTo -> new Truck.CommandRefused(2, "error: 100 not aboard", replyTo));
    assertEquals(Truck.Phase.IDLE, failed.state().phase());
    assertEquals(List.of(), failed.state().route().aboard());
    assertEquals(
        List.of(new AmazonNotice.Error("shipment 100: the World refused the delivery: error: 100 not aboard", 1100)),
        expectStored(amazonOutbox).messages());
  }
}
