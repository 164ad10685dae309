package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;

/**
 * Each live-update stream hears only about its own package: its shipment's changes and its
 * truck's moves, until delivery. Changes go through real topics, as the entities publish them.
 * "Heard nothing" is proven by order: an update about the followed package, published after the
 * others, is the next thing the stream receives.
 */
class LiveUpdateHubTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  private ActorRef<Topic.Command<Shipment.Changed>> shipments;
  private ActorRef<Topic.Command<Truck.Changed>> trucks;
  private TruckPositions positions;
  private SimpleMeterRegistry metrics;
  private ActorRef<LiveUpdateHub.Command> hub;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    String run = java.util.UUID.randomUUID().toString();
    shipments = testKit.spawn(Topic.create(Shipment.Changed.class, "shipments-" + run));
    trucks = testKit.spawn(Topic.create(Truck.Changed.class, "trucks-" + run));
    positions = new TruckPositions();
    metrics = new SimpleMeterRegistry();
    hub = testKit.spawn(LiveUpdateHub.create(shipments, trucks, positions, metrics));
    awaitSubscribed(shipments);
    awaitSubscribed(trucks);
  }

  @Test
  void aStreamHearsItsOwnShipmentOnlyNotAnother() {
    TestProbe<LiveUpdateHub.Update> streamOfA = follow(shipment(1, Shipment.Status.CREATED, 0));

    shipments.tell(Topic.publish(new Shipment.Changed(shipment(2, Shipment.Status.EN_ROUTE, 3))));
    Shipment.Summary aMoves = shipment(1, Shipment.Status.EN_ROUTE, 4);
    shipments.tell(Topic.publish(new Shipment.Changed(aMoves)));

    assertEquals(new LiveUpdateHub.ShipmentUpdate(aMoves), streamOfA.receiveMessage());
  }

  @Test
  void aStreamHearsItsTrucksMovesUntilDeliveryAndNoOtherTrucks() {
    TestProbe<LiveUpdateHub.Update> stream = follow(shipment(1, Shipment.Status.EN_ROUTE, 4));

    trucks.tell(Topic.publish(new Truck.Changed(truck(5, 9, 9))));
    trucks.tell(Topic.publish(new Truck.Changed(truck(4, 2, 3))));
    assertEquals(new LiveUpdateHub.TruckMoved(4, new PackageViews.Point(2, 3)), stream.receiveMessage());
    assertEquals(Optional.of(new PackageViews.Point(9, 9)), positions.of(5), "every truck's position is kept");

    Shipment.Summary delivered = shipment(1, Shipment.Status.DELIVERED, 4);
    shipments.tell(Topic.publish(new Shipment.Changed(delivered)));
    assertEquals(new LiveUpdateHub.ShipmentUpdate(delivered), stream.receiveMessage());
    trucks.tell(Topic.publish(new Truck.Changed(truck(4, 7, 7))));
    Shipment.Summary marker = shipment(1, Shipment.Status.DELIVERED, 4);
    shipments.tell(Topic.publish(new Shipment.Changed(marker)));
    assertEquals(new LiveUpdateHub.ShipmentUpdate(marker), stream.receiveMessage(), "no truck moves once delivered");
  }

  @Test
  void aTruckChangeFollowsTheShipmentToItsNewTruck() {
    TestProbe<LiveUpdateHub.Update> stream = follow(shipment(1, Shipment.Status.EN_ROUTE, 4));
    Shipment.Summary reassigned = shipment(1, Shipment.Status.EN_ROUTE, 6);
    shipments.tell(Topic.publish(new Shipment.Changed(reassigned)));
    assertEquals(new LiveUpdateHub.ShipmentUpdate(reassigned), stream.receiveMessage());

    trucks.tell(Topic.publish(new Truck.Changed(truck(4, 1, 1))));
    trucks.tell(Topic.publish(new Truck.Changed(truck(6, 2, 2))));
    assertEquals(new LiveUpdateHub.TruckMoved(6, new PackageViews.Point(2, 2)), stream.receiveMessage());
  }

  @Test
  void openStreamsAreCountedUntilTheyStop() {
    TestProbe<LiveUpdateHub.Update> first = follow(shipment(1, Shipment.Status.CREATED, 0));
    follow(shipment(2, Shipment.Status.CREATED, 0));
    awaitOpenStreams(2);
    first.stop();
    awaitOpenStreams(1);
  }

  private TestProbe<LiveUpdateHub.Update> follow(Shipment.Summary initial) {
    TestProbe<LiveUpdateHub.Update> stream = testKit.createTestProbe();
    hub.tell(new LiveUpdateHub.Follow(initial, stream.getRef()));
    return stream;
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

  private static Shipment.Summary shipment(long shipId, Shipment.Status status, int truckId) {
    Shipment.Details details = new Shipment.Details(shipId, 1, 0, 0, 5, 6, null, List.of());
    return new Shipment.Summary(shipId, details, "1Z000000000000000" + shipId, shipId, null, status, truckId, 5, 6, List.of(), null);
  }

  private static Truck.Summary truck(int truckId, int x, int y) {
    return new Truck.Summary(truckId, Truck.Phase.TO_WAREHOUSE, "traveling", new Truck.Location(x, y), 1, 0, 0, 0, 0, null, Instant.EPOCH);
  }
}
