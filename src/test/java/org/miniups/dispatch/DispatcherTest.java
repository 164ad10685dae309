package org.miniups.dispatch;

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
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.truck.Truck;

/** The dispatcher against trucks played by probes: they answer as trucks would. */
class DispatcherTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final Truck.Warehouse WH = new Truck.Warehouse(1, 10, 10);
  private static final Truck.Warehouse FAR_WH = new Truck.Warehouse(2, 90, 90);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final Map<Integer, TestProbe<Truck.Command>> trucks = new HashMap<>();
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
        Dispatcher.create(id, DispatchPolicy.nearestTruck(2), List.of(1, 2), truckId -> trucks.get(truckId).getRef(), topic, Duration.ofSeconds(3)));
  }

  private static Truck.State truck(int truckId, Truck.Phase phase, int x, int y, Truck.Warehouse bound, int cargo) {
    List<Truck.Cargo> aboard = new java.util.ArrayList<>();
    for (int i = 0; i < cargo; i++) aboard.add(cargo(900 + i, bound));
    return new Truck.State(
        truckId, phase, phase.name().toLowerCase(), new Truck.Location(x, y), Instant.EPOCH, bound, aboard,
        List.of(), 0, 1, List.of(), List.of(), null);
  }

  private static Truck.Cargo cargo(long shipId, Truck.Warehouse warehouse) {
    return new Truck.Cargo(shipId, warehouse, new Truck.Location(0, 0));
  }

  /** Both trucks answer the dispatcher's start-up question with these states. */
  private void trucksReport(Truck.State one, Truck.State two) {
    trucks.get(1).expectMessageClass(Truck.GetState.class).replyTo().tell(one);
    trucks.get(2).expectMessageClass(Truck.GetState.class).replyTo().tell(two);
  }

  private void dispatch(ActorRef<Dispatcher.Command> dispatcher, Truck.Cargo cargo) {
    TestProbe<Done> done = testKit.createTestProbe();
    dispatcher.tell(new Dispatcher.Dispatch(cargo, done.getRef()));
    done.expectMessage(Done.getInstance());
  }

  private Truck.AssignPickup expectOffer(int truckId) {
    return trucks.get(truckId).expectMessageClass(Truck.AssignPickup.class);
  }

  @Test
  void theNearestIdleTruckGetsTheShipment() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 80, 80, null, 0), truck(2, Truck.Phase.IDLE, 9, 9, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    Truck.AssignPickup offer = expectOffer(2);
    assertEquals(100, offer.cargo().shipId());
    offer.replyTo().tell(new Truck.AssignmentReply(true, "assigned", truck(2, Truck.Phase.TO_WAREHOUSE, 9, 9, WH, 1)));
    trucks.get(1).expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aTruckAlreadyBoundForTheWarehouseTakesMoreUntilItIsFull() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.TO_WAREHOUSE, 11, 11, WH, 1), truck(2, Truck.Phase.IDLE, 50, 50, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    expectOffer(1).replyTo().tell(new Truck.AssignmentReply(true, "assigned", truck(1, Truck.Phase.TO_WAREHOUSE, 11, 11, WH, 2)));
    dispatch(dispatcher, cargo(101, WH));
    // Truck 1 is full (2 per trip): the next goes to the idle truck.
    expectOffer(2).replyTo().tell(new Truck.AssignmentReply(true, "assigned", truck(2, Truck.Phase.TO_WAREHOUSE, 50, 50, WH, 1)));
  }

  @Test
  void noShipmentIsLostWhenNoTruckIsFreeItWaitsForOne() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(
        truck(1, Truck.Phase.DELIVERING, 0, 0, null, 0), truck(2, Truck.Phase.TO_WAREHOUSE, 0, 0, FAR_WH, 1));
    dispatch(dispatcher, cargo(100, WH));
    dispatch(dispatcher, cargo(101, WH));
    trucks.get(1).expectNoMessage(Duration.ofMillis(200));
    trucks.get(2).expectNoMessage(Duration.ofMillis(10));

    // Truck 1 becomes idle: it gets both shipments, oldest first, one question at a time.
    topic.tell(Topic.publish(new Truck.Changed(truck(1, Truck.Phase.IDLE, 0, 0, null, 0))));
    Truck.AssignPickup first = expectOffer(1);
    assertEquals(100, first.cargo().shipId());
    first.replyTo().tell(new Truck.AssignmentReply(true, "assigned", truck(1, Truck.Phase.TO_WAREHOUSE, 0, 0, WH, 1)));
    Truck.AssignPickup second = expectOffer(1);
    assertEquals(101, second.cargo().shipId());
    second.replyTo().tell(new Truck.AssignmentReply(true, "assigned", truck(1, Truck.Phase.TO_WAREHOUSE, 0, 0, WH, 2)));

    TestProbe<Dispatcher.State> queue = testKit.createTestProbe();
    queue.awaitAssert(() -> {
      dispatcher.tell(new Dispatcher.GetQueue(queue.getRef()));
      assertTrue(queue.receiveMessage().queue().isEmpty(), "both shipments left the queue");
      return null;
    });
  }

  @Test
  void aDeclinedOfferGoesToAnotherTruckAndARepeatedRequestChangesNothing() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 10, 10, null, 0), truck(2, Truck.Phase.IDLE, 30, 30, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    // Truck 1 was sent elsewhere meanwhile: it declines, and truck 2 is asked.
    expectOffer(1).replyTo().tell(new Truck.AssignmentReply(false, "busy", truck(1, Truck.Phase.TO_WAREHOUSE, 10, 10, FAR_WH, 2)));
    expectOffer(2).replyTo().tell(new Truck.AssignmentReply(true, "assigned", truck(2, Truck.Phase.TO_WAREHOUSE, 30, 30, WH, 1)));
    dispatch(dispatcher, cargo(100, WH));
    trucks.get(1).expectNoMessage(Duration.ofMillis(200));
    trucks.get(2).expectNoMessage(Duration.ofMillis(10));
  }

  @Test
  void anOfferInFlightAtACrashIsMadeToTheSameTruckAgain() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    trucksReport(truck(1, Truck.Phase.IDLE, 10, 10, null, 0), truck(2, Truck.Phase.IDLE, 30, 30, null, 0));
    dispatch(dispatcher, cargo(100, WH));
    expectOffer(1); // no answer: the dispatcher stops before it comes
    testKit.stop(dispatcher);

    start();
    trucksReport(truck(1, Truck.Phase.IDLE, 10, 10, null, 0), truck(2, Truck.Phase.IDLE, 30, 30, null, 0));
    Truck.AssignPickup again = expectOffer(1);
    assertEquals(100, again.cargo().shipId());
  }
}
