package org.miniups.dispatch;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;
import org.miniups.TestCargo;
import org.miniups.TestConfigs;
import org.miniups.truck.Truck;

/**
 * The dispatcher against trucks played by probes: they answer as trucks would. A truck's probe
 * also takes the queue views that prove no offer is on its way to it (see {@link #noOfferFor}).
 */
class DispatcherTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final Warehouse WH = new Warehouse(1, 10, 10);
  private static final Warehouse FAR_WH = new Warehouse(2, 90, 90);
  private static final int PER_TRIP = 2;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final Map<Integer, TestProbe<Object>> trucks = new HashMap<>();
  private ActorRef<Topic.Command<Truck.Changed>> topic;
  private PersistenceId id;

  @BeforeEach
  void setUp() {
    for (int truckId = 1; truckId <= 2; truckId++) trucks.put(truckId, testKit.createTestProbe());
    topic = testKit.spawn(Topic.create(Truck.Changed.class, "trucks-" + UUID.randomUUID()));
    id = PersistenceId.ofUniqueId("dispatcher-" + UUID.randomUUID());
  }

  private ActorRef<Dispatcher.Command> start() {
    return testKit.spawn(
        Dispatcher.create(
            id, DispatchPolicy.cheapestInsertion(new RoutePlanner(Metric.EUCLIDEAN), PER_TRIP), List.of(1, 2), truckId -> trucks.get(truckId).getRef().narrow(), topic,
            Duration.ofSeconds(3), new Dispatcher.RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(4)),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
  }

  private static Truck.Summary truck(int truckId, Truck.Phase phase, int x, int y, Warehouse bound, int cargo) {
    return new Truck.Summary(
        truckId, phase, phase.name().toLowerCase(), new Location(x, y), bound == null ? 0 : bound.id(), cargo, 0, 0, 0,
        null, Instant.EPOCH, false, bound == null ? List.of() : List.of(bound.location()), 0);
  }

  private static Cargo cargo(long shipId, Warehouse warehouse) {
    return TestCargo.of(shipId, warehouse, new Location(0, 0));
  }

  /** Both trucks answer the dispatcher's start-up question. */
  private void trucksReport(Truck.Summary one, Truck.Summary two) {
    trucks.get(1).expectMessageClass(Truck.GetSummary.class).replyTo().tell(one);
    trucks.get(2).expectMessageClass(Truck.GetSummary.class).replyTo().tell(two);
  }

  private void dispatch(ActorRef<Dispatcher.Command> dispatcher, Cargo... cargo) {
    TestProbe<Done> done = testKit.createTestProbe();
    for (Cargo c : cargo) dispatcher.tell(new Dispatcher.Dispatch(c, done.getRef()));
    done.receiveSeveralMessages(cargo.length);
  }

  private Truck.AssignPickups expectOffer(int truckId) {
    return trucks.get(truckId).expectMessageClass(Truck.AssignPickups.class);
  }

  private static List<Long> ids(Truck.AssignPickups offer) {
    return offer.cargo().stream().map(Cargo::shipId).toList();
  }

  private static void accept(Truck.AssignPickups offer, Truck.Summary after) {
    offer.replyTo().tell(new Truck.AssignmentReply(ids(offer), null, after));
  }

  private Dispatcher.QueueView queue(ActorRef<Dispatcher.Command> dispatcher) {
    TestProbe<Dispatcher.QueueView> queue = testKit.createTestProbe();
    dispatcher.tell(new Dispatcher.GetQueue(queue.getRef()));
    return queue.receiveMessage();
  }

  /**
   * Nothing is on its way to the truck: a view the dispatcher sends the truck's own probe arrives
   * behind every offer the dispatcher made it before (one sender, one mailbox: in order). Call it
   * once the dispatcher has handled what could lead to an offer.
   */
  private void noOfferFor(int truckId, ActorRef<Dispatcher.Command> dispatcher) {
    dispatcher.tell(new Dispatcher.GetQueue(trucks.get(truckId).getRef().narrow()));
    trucks.get(truckId).expectMessageClass(Dispatcher.QueueView.class);
  }

  /** Every answer is recorded: nothing waits and nothing is offered. */
  private void awaitEverythingAssigned(ActorRef<Dispatcher.Command> dispatcher) {
    trucks.get(1).awaitAssert(() -> {
      Dispatcher.QueueView after = queue(dispatcher);
      assertEquals(List.of(), after.waiting());
      assertEquals(Map.of(), after.offered());
      return null;
    });
  }

  @Test
  void theNearestIdleTruckGetsTheShipment() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 80, 80, null, 0), truck(2, Truck.Phase.IDLE, 9, 9, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    Truck.AssignPickups offer = expectOffer(2);
    assertEquals(List.of(100L), ids(offer));
    accept(offer, truck(2, Truck.Phase.TO_WAREHOUSE, 9, 9, WH, 1));
    awaitEverythingAssigned(dispatcher);
    noOfferFor(1, dispatcher);
  }

  @Test
  void aTripFillsUpBeforeAnotherTruckIsSentAndAFullTruckTakesNoMore() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 50, 50, null, 0), truck(2, Truck.Phase.IDLE, 60, 60, null, 0));
    // Three shipments at once: the nearest truck takes a full trip (2), the next the third. (They
    // may reach the dispatcher in one write or two: a trip then comes in two offers.)
    dispatch(dispatcher, cargo(100, WH), cargo(101, WH), cargo(102, WH));
    List<Long> first = new java.util.ArrayList<>(ids(expectOffer(1)));
    if (first.size() < PER_TRIP) first.addAll(ids(expectOffer(1)));
    assertEquals(List.of(100L, 101L), first);
    assertEquals(List.of(102L), ids(expectOffer(2)));
    // Every Done and offer is in: the dispatcher has planned its last round (it plans only once
    // it knows the whole fleet), and truck 1, full, got nothing more.
    noOfferFor(1, dispatcher);
  }

  @Test
  void aTruckAlreadyBoundForTheWarehouseTakesMoreUntilItIsFull() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.TO_WAREHOUSE, 70, 70, WH, 1), truck(2, Truck.Phase.IDLE, 11, 11, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    accept(expectOffer(1), truck(1, Truck.Phase.TO_WAREHOUSE, 70, 70, WH, 2));
    dispatch(dispatcher, cargo(101, WH));
    // Truck 1 is full (2 per trip): the next goes to the idle truck.
    assertEquals(List.of(101L), ids(expectOffer(2)));
  }

  @Test
  void noShipmentIsLostWhenNoTruckIsFreeItWaitsForOne() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.DELIVERING, 0, 0, null, 0), truck(2, Truck.Phase.TO_WAREHOUSE, 0, 0, FAR_WH, 1));
    dispatch(dispatcher, cargo(100, WH), cargo(101, WH));
    assertEquals(List.of(100L, 101L), queue(dispatcher).waiting());

    // Truck 1 becomes idle: it gets both shipments, oldest first, in one offer.
    topic.tell(Topic.publish(new Truck.Changed(truck(1, Truck.Phase.IDLE, 0, 0, null, 0))));
    Truck.AssignPickups offer = expectOffer(1);
    assertEquals(List.of(100L, 101L), ids(offer));
    // Offers are recorded before they are made: none went to the busy truck 2, then or before.
    assertEquals(Map.of(1, List.of(100L, 101L)), queue(dispatcher).offered());
    noOfferFor(2, dispatcher);
    accept(offer, truck(1, Truck.Phase.TO_WAREHOUSE, 0, 0, WH, 2));
    awaitEverythingAssigned(dispatcher);
  }

  @Test
  void aDeclinedOfferGoesToAnotherTruckAndARepeatedRequestChangesNothing() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 10, 10, null, 0), truck(2, Truck.Phase.IDLE, 30, 30, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    // Truck 1 was sent elsewhere meanwhile: it declines, and truck 2 is asked.
    Truck.AssignPickups declined = expectOffer(1);
    declined.replyTo().tell(new Truck.AssignmentReply(List.of(), "busy", truck(1, Truck.Phase.TO_WAREHOUSE, 10, 10, FAR_WH, 2)));
    accept(expectOffer(2), truck(2, Truck.Phase.TO_WAREHOUSE, 30, 30, WH, 1));
    awaitEverythingAssigned(dispatcher);
    dispatch(dispatcher, cargo(100, WH));
    awaitEverythingAssigned(dispatcher);
    noOfferFor(1, dispatcher);
    noOfferFor(2, dispatcher);
  }

  @Test
  void anOfferInFlightAtACrashIsMadeToTheSameTruckAgain() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 10, 10, null, 0), truck(2, Truck.Phase.IDLE, 30, 30, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    expectOffer(1); // no answer: the dispatcher stops before it comes
    testKit.stop(dispatcher);

    start();
    // The open offer is made again right away, beside learning where the trucks are.
    Truck.AssignPickups again =
        (Truck.AssignPickups)
            trucks.get(1).fishForMessage(Duration.ofSeconds(3), m -> m instanceof Truck.AssignPickups
                ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(List.of(100L), ids(again));
  }

  @Test
  void aBurstOfShipmentsIsQueuedAndOfferedInAFewWrites() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.DELIVERING, 0, 0, null, 0), truck(2, Truck.Phase.DELIVERING, 0, 0, null, 0));
    Cargo[] burst = new Cargo[200];
    for (int i = 0; i < burst.length; i++) burst[i] = cargo(1000 + i, WH);
    dispatch(dispatcher, burst);
    int writes = journal.persistedInStorage(id.id()).size();
    assertTrue(writes <= burst.length / 10, burst.length + " shipments took " + writes + " writes");
    assertEquals(200, queue(dispatcher).waiting().size());
  }
}
