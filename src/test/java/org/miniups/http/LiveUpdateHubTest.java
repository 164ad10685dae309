package org.miniups.http;

import org.miniups.truck.Location;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;

/**
 * Each live-update stream hears only about its own package: its current state first, then its
 * shipment's changes and its truck's moves until delivery, never an older view after a newer one.
 * Changes go through real topics, as the entities publish them. "Heard nothing" is proven by
 * order: an update about the followed package, published after the others, is the next thing the
 * stream receives.
 */
class LiveUpdateHubTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  private ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic;
  private ActorRef<Topic.Command<Truck.Changed>> truckTopic;
  private TruckPositions positions;
  private SimpleMeterRegistry metrics;
  private ActorRef<LiveUpdateHub.Command> hub;
  /** What each shipment answers when the hub fetches it. */
  private final Map<Long, Shipment.Summary> current = new ConcurrentHashMap<>();
  private final Map<Long, ActorRef<Shipment.Command>> shipments = new ConcurrentHashMap<>();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    String run = UUID.randomUUID().toString();
    shipmentTopic = testKit.spawn(Topic.create(Shipment.Changed.class, "shipments-" + run));
    truckTopic = testKit.spawn(Topic.create(Truck.Changed.class, "trucks-" + run));
    positions = new TruckPositions();
    metrics = new SimpleMeterRegistry();
    hub = testKit.spawn(LiveUpdateHub.create(
        shipmentTopic, truckTopic, id -> shipments.computeIfAbsent(id, this::shipmentActor), Duration.ofSeconds(5),
        positions, metrics));
    awaitSubscribed(shipmentTopic);
    awaitSubscribed(truckTopic);
  }

  @Test
  void aStreamHearsItsShipmentsStateFirstThenItsChangesOnlyNotAnothers() {
    Shipment.Summary a = shipment(1, Shipment.Status.CREATED, 0, 1);
    TestProbe<LiveUpdateHub.Update> streamOfA = follow(a);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(a), streamOfA.receiveMessage());

    publish(shipment(2, Shipment.Status.EN_ROUTE, 3, 2));
    Shipment.Summary aMoves = shipment(1, Shipment.Status.EN_ROUTE, 4, 2);
    publish(aMoves);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(aMoves), streamOfA.receiveMessage());
  }

  @Test
  void anOlderStateArrivingLateIsNotPassedOn() {
    TestProbe<LiveUpdateHub.Update> stream = follow(shipment(1, Shipment.Status.CREATED, 0, 1));
    stream.receiveMessage();
    Shipment.Summary third = shipment(1, Shipment.Status.WAITING, 4, 3);
    publish(third);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(third), stream.receiveMessage());

    publish(shipment(1, Shipment.Status.EN_ROUTE, 4, 2));
    Shipment.Summary fourth = shipment(1, Shipment.Status.LOADING, 4, 4);
    publish(fourth);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(fourth), stream.receiveMessage());
  }

  @Test
  void aSecondStreamOnTheSamePackageStartsFromTheNewestStateKnown() {
    TestProbe<LiveUpdateHub.Update> first = follow(shipment(1, Shipment.Status.CREATED, 0, 1));
    first.receiveMessage();
    Shipment.Summary newer = shipment(1, Shipment.Status.EN_ROUTE, 4, 2);
    publish(newer);
    first.receiveMessage();

    TestProbe<LiveUpdateHub.Update> second = testKit.createTestProbe();
    hub.tell(new LiveUpdateHub.Follow(1, second.getRef())); // its fetch answers revision 1: not passed on
    assertEquals(new LiveUpdateHub.ShipmentUpdate(newer), second.receiveMessage());
    Shipment.Summary marker = shipment(1, Shipment.Status.WAITING, 4, 3);
    publish(marker);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(marker), second.receiveMessage());
  }

  @Test
  void aStreamHearsItsTrucksMovesUntilDeliveryAndNoOtherTrucks() {
    TestProbe<LiveUpdateHub.Update> stream = follow(shipment(1, Shipment.Status.EN_ROUTE, 4, 2));
    stream.receiveMessage();

    moveTruck(5, 9, 9);
    moveTruck(4, 2, 3);
    assertEquals(new LiveUpdateHub.TruckMoved(4, new PackageViews.Point(2, 3)), stream.receiveMessage());
    assertEquals(Optional.of(new PackageViews.Point(9, 9)), positions.of(5), "every truck's position is kept");

    Shipment.Summary delivered = shipment(1, Shipment.Status.DELIVERED, 4, 3);
    publish(delivered);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(delivered), stream.receiveMessage());
    moveTruck(4, 7, 7);
    Shipment.Summary marker = shipment(1, Shipment.Status.DELIVERED, 4, 4);
    publish(marker);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(marker), stream.receiveMessage(), "no truck moves once delivered");
  }

  @Test
  void aShipmentChangingTrucksIsFollowedToItsNewTruck() {
    TestProbe<LiveUpdateHub.Update> stream = follow(shipment(1, Shipment.Status.EN_ROUTE, 4, 2));
    stream.receiveMessage();
    Shipment.Summary reassigned = shipment(1, Shipment.Status.EN_ROUTE, 6, 3);
    publish(reassigned);
    assertEquals(new LiveUpdateHub.ShipmentUpdate(reassigned), stream.receiveMessage());

    moveTruck(4, 1, 1);
    moveTruck(6, 2, 2);
    assertEquals(new LiveUpdateHub.TruckMoved(6, new PackageViews.Point(2, 2)), stream.receiveMessage());
  }

  @Test
  void openStreamsAreCountedUntilTheyStop() {
    TestProbe<LiveUpdateHub.Update> first = follow(shipment(1, Shipment.Status.CREATED, 0, 1));
    follow(shipment(2, Shipment.Status.CREATED, 0, 1));
    awaitOpenStreams(2);
    first.stop();
    awaitOpenStreams(1);
  }

  /** A stream following {@code state}'s shipment, which answers the hub's fetch with {@code state}. */
  private TestProbe<LiveUpdateHub.Update> follow(Shipment.Summary state) {
    current.put(state.shipId(), state);
    TestProbe<LiveUpdateHub.Update> stream = testKit.createTestProbe();
    hub.tell(new LiveUpdateHub.Follow(state.shipId(), stream.getRef()));
    return stream;
  }

  private ActorRef<Shipment.Command> shipmentActor(long shipId) {
    Behavior<Shipment.Command> answersGet = Behaviors.receiveMessage(command -> {
      if (command instanceof Shipment.Get get) get.replyTo().tell(current.get(shipId));
      return Behaviors.same();
    });
    return testKit.spawn(answersGet);
  }

  private void publish(Shipment.Summary shipment) {
    shipmentTopic.tell(Topic.publish(new Shipment.Changed(shipment)));
  }

  private void awaitOpenStreams(int expected) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(expected, metrics.get("ups.live.update.streams").gauge().value());
      return null;
    });
  }

  private static <T> void awaitSubscribed(ActorRef<Topic.Command<T>> topic) {
    TestProbe<Topic.TopicStats> stats = testKit.createTestProbe();
    stats.awaitAssert(Duration.ofSeconds(5), () -> {
      topic.tell(Topic.getTopicStats(stats.getRef()));
      assertEquals(1, stats.receiveMessage().localSubscriberCount());
      return null;
    });
  }

  private static Shipment.Summary shipment(long shipId, Shipment.Status status, int truckId, long revision) {
    Shipment.Details details = new Shipment.Details(shipId, 1, 0, 0, 5, 6, null, List.of());
    return new Shipment.Summary(
        shipId, details, "1Z000000000000000" + shipId, shipId, null, status, truckId, 5, 6, List.of(), null, revision);
  }

  /** Truck {@code truckId} reports it is at (x, y). */
  private void moveTruck(int truckId, int x, int y) {
    Truck.Summary truck = new Truck.Summary(
        truckId, Truck.Phase.TO_WAREHOUSE, "traveling", new Location(x, y), 1, 0, 0, 0, 0, null, Instant.EPOCH, false, List.of(), 0);
    truckTopic.tell(Topic.publish(new Truck.Changed(truck)));
  }
}
