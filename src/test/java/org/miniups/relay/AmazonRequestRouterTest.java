package org.miniups.relay;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.amazon.AmazonNotice;
import org.miniups.amazon.AmazonRequest;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.truck.Truck;

/**
 * Amazon's requests with real shipments and warehouses, and a truck, the dispatcher and the
 * Amazon outbox played by probes: every refusal is one UAErr naming Amazon's seqnum, stored under
 * a key of that seqnum (so handling the item again after a crash sends nothing new).
 */
class AmazonRequestRouterTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final Map<Long, ActorRef<Shipment.Command>> shipments = new HashMap<>();
  private TestProbe<ResendSupervisor.Command> outbox;
  private TestProbe<Truck.Command> truck;
  private TestProbe<Dispatcher.Command> dispatcher;
  private AmazonRequestRouter router;
  /** Tracking numbers registered, by shipment; a registration fails while {@code registrationFails}. */
  private final Map<Long, String> registered = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean registrationFails;

  @BeforeEach
  void setUp() {
    PersistenceTestKit.create(testKit.system()).clearAll(); // shipment ids repeat between tests
    outbox = testKit.createTestProbe();
    truck = testKit.createTestProbe();
    dispatcher = testKit.createTestProbe();
    TestProbe<Topic.Command<Shipment.Changed>> topic = testKit.createTestProbe();
    String run = UUID.randomUUID().toString();
    ActorRef<WarehouseRegistry.Command> warehouses =
        testKit.spawn(WarehouseRegistry.create(PersistenceId.ofUniqueId("warehouses-" + run)));
    router =
        new AmazonRequestRouter(
            testKit.system(),
            warehouses,
            shipId -> shipments.computeIfAbsent(shipId, id -> testKit.spawn(Shipment.create(id, topic.getRef(), Clock.systemUTC()))),
            truckId -> truck.getRef(),
            Set.of(1, 2),
            dispatcher.getRef(),
            outbox.getRef(),
            profileId -> CompletableFuture.completedFuture(profileId == 1001L),
            (trackingNumber, shipId) -> {
              if (registrationFails) return CompletableFuture.failedFuture(new IllegalStateException("database away"));
              registered.put(shipId, trackingNumber);
              return CompletableFuture.completedFuture(Done.getInstance());
            },
            Duration.ofSeconds(3));
  }

  private static AmazonRequest.Pickup pickup(long shipId, int whId, int whX, int whY, Long upsUserId) {
    return new AmazonRequest.Pickup(
        shipId, new AmazonRequest.Warehouse(whId, whX, whY), 5, 6, upsUserId, List.of(new AmazonRequest.Item(1, "tea", 2)));
  }

  private void handled(CompletionStage<?> handling) throws Exception {
    handling.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** The pickup becomes a shipment queued with the dispatcher, with what the truck tells Amazon. */
  private Shipment.Summary accept(long seqnum, AmazonRequest.Pickup pickup) throws Exception {
    CompletionStage<?> handling = router.handle(seqnum, pickup);
    Dispatcher.Dispatch dispatch = dispatcher.expectMessageClass(Dispatcher.Dispatch.class);
    dispatch.replyTo().tell(Done.getInstance());
    handled(handling);
    Shipment.Summary shipment = shipment(pickup.shipId());
    assertEquals(shipment.trackingNumber(), registered.get(pickup.shipId()), "registered before it was dispatched");
    assertEquals(
        new Cargo(
            pickup.shipId(),
            new Warehouse(pickup.warehouse().id(), pickup.warehouse().x(), pickup.warehouse().y()),
            new Location(pickup.destX(), pickup.destY()),
            shipment.trackingNumber(),
            shipment.ownerId() != null,
            seqnum,
            0,
            0),
        dispatch.cargo());
    return shipment;
  }

  private Shipment.Summary shipment(long shipId) {
    TestProbe<Shipment.Summary> state = testKit.createTestProbe();
    shipments.get(shipId).tell(new Shipment.Get(state.getRef()));
    return state.receiveMessage();
  }

  /** The one answer Amazon gets for its item {@code seqnum}, stored under that seqnum. */
  private void expectAnswer(String key, AmazonNotice answer) {
    ResendSupervisor.StoreAnswer store = outbox.expectMessageClass(ResendSupervisor.StoreAnswer.class);
    assertEquals(key, store.key());
    assertEquals(answer, store.message());
    store.replyTo().tell(new ResendSupervisor.AnswerStored(store.key(), 1));
  }

  private void expectRefusal(long seqnum, String reason) {
    expectAnswer("error/" + seqnum, new AmazonNotice.Error(reason, seqnum));
  }

  @Test
  void aPickupNamingAnAccountLinksTheShipmentToIt() throws Exception {
    assertEquals(1001L, accept(1, pickup(10, 1, 1, 1, 1001L)).ownerId());
    assertEquals(null, accept(2, pickup(11, 1, 1, 1, 999L)).ownerId(), "no such account: not linked");
  }

  /**
   * The truck tells Amazon the tracking number once dispatched, so a number that could not be
   * stored stops the pickup there (Amazon re-sends it). The marker told after the failure comes
   * first: no dispatch was sent before it.
   */
  @Test
  void aPickupIsNotDispatchedUntilItsTrackingNumberIsStored() throws Exception {
    registrationFails = true;
    CompletionStage<?> handling = router.handle(1, pickup(10, 1, 1, 1, null));
    Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> handled(handling));
    assertEquals("database away", rootCause(failure).getMessage());
    Dispatcher.GetQueue marker = new Dispatcher.GetQueue(testKit.system().ignoreRef());
    dispatcher.getRef().tell(marker);
    assertEquals(marker, dispatcher.receiveMessage());

    registrationFails = false;
    accept(1, pickup(10, 1, 1, 1, null)); // Amazon's re-send
  }

  private static Throwable rootCause(Throwable e) {
    while (e.getCause() != null) e = e.getCause();
    return e;
  }

  @Test
  void warehousesAreKnownByAddressAndNeverMove() throws Exception {
    accept(1, pickup(10, 1, 1, 1, null));
    CompletionStage<?> moved = router.handle(2, pickup(11, 1, 2, 2, null));
    expectRefusal(2, "warehouse 1 is at (1, 1), not (2, 2)");
    handled(moved);
    CompletionStage<?> sameAddress = router.handle(3, pickup(12, 2, 1, 1, null));
    expectRefusal(3, "(1, 1) is the address of warehouse 1, not 2");
    handled(sameAddress);
    dispatcher.expectNoMessage();
  }

  @Test
  void theSameShipidWithOtherContentIsRefused() throws Exception {
    accept(1, pickup(10, 1, 1, 1, null));
    CompletionStage<?> conflict = router.handle(2, pickup(10, 1, 1, 1, 77L));
    expectRefusal(2, "shipment 10 is already known with different content");
    handled(conflict);
  }

  @Test
  void loadsForUnknownTrucksOrTheWrongTruckAreRefused() throws Exception {
    CompletionStage<?> stranger = router.handle(5, new AmazonRequest.Loaded(10, 9));
    expectRefusal(5, "truck 9 is not one of ours");
    handled(stranger);

    CompletionStage<?> unknownShipment = router.handle(6, new AmazonRequest.Loaded(10, 2));
    truckRefuses("shipment 10 is not assigned to truck 2");
    expectRefusal(6, "shipment 10 is unknown");
    handled(unknownShipment);

    accept(1, pickup(10, 1, 1, 1, null));
    step(10, Shipment.Status.EN_ROUTE, 1);
    step(10, Shipment.Status.WAITING, 1);
    CompletionStage<?> wrongTruck = router.handle(7, new AmazonRequest.Loaded(10, 2));
    truckRefuses("shipment 10 is not assigned to truck 2");
    expectRefusal(7, "shipment 10 is not assigned to truck 2");
    handled(wrongTruck);
  }

  @Test
  void aLoadBeforeTheTruckArrivedIsRefused() throws Exception {
    accept(1, pickup(10, 1, 1, 1, null));
    step(10, Shipment.Status.EN_ROUTE, 2);
    CompletionStage<?> early = router.handle(5, new AmazonRequest.Loaded(10, 2));
    truckRefuses("truck 2 has not arrived at the warehouse yet");
    expectRefusal(5, "truck 2 has not arrived at the warehouse yet");
    handled(early);
  }

  /**
   * PROTOCOL.md: an AULoaded naming the truck that collected the shipment is acked and never
   * answered with UAErr, whatever happened since. The truck has forgotten a delivered shipment
   * (and one whose delivery the World refused); the shipment has not.
   */
  @Test
  void aLoadHandledAgainOnceTheShipmentMovedOnChangesNothingAndIsNotRefused() throws Exception {
    accept(1, pickup(10, 1, 1, 1, null));
    step(10, Shipment.Status.EN_ROUTE, 2);
    step(10, Shipment.Status.WAITING, 2);
    step(10, Shipment.Status.LOADING, 2);
    TestProbe<Shipment.Destination> destination = testKit.createTestProbe();
    shipments.get(10L).tell(new Shipment.LeaveWarehouse(2, 0, destination.getRef()));
    destination.receiveMessage();
    step(10, Shipment.Status.DELIVERED, 2);

    CompletionStage<?> again = router.handle(5, new AmazonRequest.Loaded(10, 2));
    truckRefuses("shipment 10 is not assigned to truck 2");
    handled(again);
    outbox.expectNoMessage(Duration.ofMillis(200));

    accept(2, pickup(11, 1, 1, 1, null));
    step(11, Shipment.Status.EN_ROUTE, 2);
    step(11, Shipment.Status.WAITING, 2);
    step(11, Shipment.Status.EXCEPTION, 2);
    CompletionStage<?> afterException = router.handle(6, new AmazonRequest.Loaded(11, 2));
    truckRefuses("shipment 11 is not assigned to truck 2");
    handled(afterException);
    outbox.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aQueryAfterDeliveryGetsTheFinalStatusAndAnExceptionItsReason() throws Exception {
    accept(1, pickup(10, 1, 3, 4, null));
    step(10, Shipment.Status.DELIVERED, 2);
    CompletionStage<?> delivered = router.handle(8, new AmazonRequest.Query(10));
    expectAnswer("status/8", new AmazonNotice.Status(10, "delivered", 5, 6));
    handled(delivered);

    accept(2, pickup(11, 1, 3, 4, null));
    step(11, Shipment.Status.EXCEPTION, 2);
    CompletionStage<?> exception = router.handle(9, new AmazonRequest.Query(11));
    expectAnswer("status/9", new AmazonNotice.Status(11, "exception: the World refused the pickup", 3, 4));
    handled(exception);
  }

  private void truckRefuses(String reason) {
    truck.expectMessageClass(Truck.ConfirmLoaded.class).replyTo().tell(new Truck.LoadReply(false, reason));
  }

  /** Truck {@code truckId} reports a step of the shipment, as its effects do. */
  private void step(long shipId, Shipment.Status status, int truckId) {
    String detail = status == Shipment.Status.EXCEPTION ? "the World refused the pickup" : null;
    TestProbe<Done> stepped = testKit.createTestProbe();
    shipments.get(shipId).tell(
        new Shipment.Update(new Shipment.Step(status, truckId, 0, 0, 0, java.time.Instant.now(), detail), stepped.getRef()));
    stepped.receiveMessage();
  }

  @Test
  void queriesAreAnsweredWithStatusAndPosition() throws Exception {
    CompletionStage<?> unknown = router.handle(7, new AmazonRequest.Query(404));
    expectRefusal(7, "shipment 404 is unknown");
    handled(unknown);

    accept(1, pickup(10, 1, 3, 4, null));
    CompletionStage<?> query = router.handle(8, new AmazonRequest.Query(10));
    expectAnswer("status/8", new AmazonNotice.Status(10, "created", 3, 4));
    handled(query);
  }

  @Test
  void aPickupHandledAgainAfterACrashIsQueuedAgainButNotAnsweredTwice() throws Exception {
    accept(1, pickup(10, 1, 1, 1, null));
    accept(1, pickup(10, 1, 1, 1, null)); // the dispatcher ignores what it has
    outbox.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aPickupRepeatedUnderANewSeqnumGetsItsOwnAnswerOnceATruckIsOnItsWay() throws Exception {
    Shipment.Summary created = accept(1, pickup(10, 1, 1, 1, 1001L));
    CompletionStage<?> tooEarly = router.handle(2, pickup(10, 1, 1, 1, 1001L));
    org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class, () -> handled(tooEarly), "no truck yet: tried again later");

    TestProbe<Done> stepped = testKit.createTestProbe();
    shipments.get(10L).tell(
        new Shipment.Update(
            new Shipment.Step(Shipment.Status.EN_ROUTE, 2, 0, 0, 0, java.time.Instant.now(), null), stepped.getRef()));
    stepped.receiveMessage();
    CompletionStage<?> repeated = router.handle(2, pickup(10, 1, 1, 1, 1001L));
    expectAnswer("accepted/2", new AmazonNotice.PickupAccepted(10, created.trackingNumber(), 2, true));
    handled(repeated);
    dispatcher.expectNoMessage(Duration.ofMillis(100));
  }
}
