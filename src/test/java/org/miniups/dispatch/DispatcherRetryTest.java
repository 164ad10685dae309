package org.miniups.dispatch;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
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
 * A pickup the World keeps refusing is dispatched again after a growing delay, under ManualTime:
 * never at once, never before its delay, always to the promised truck, and without holding up the
 * rest of the queue. Trucks are probes, as in {@link DispatcherTest}.
 */
class DispatcherRetryTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(TestConfigs.inMemory()));
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final Duration MIN = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(3);
  private static final Duration JUST_BEFORE = Duration.ofMillis(1);
  private static final Warehouse WH = new Warehouse(1, 10, 10);
  private static final Warehouse FAR_WH = new Warehouse(2, 90, 90);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final Map<Integer, TestProbe<Object>> trucks = new HashMap<>();
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private ActorRef<Topic.Command<Truck.Changed>> topic;
  private PersistenceId id;

  @BeforeEach
  void setUp() {
    for (int truckId = 1; truckId <= 2; truckId++) trucks.put(truckId, testKit.createTestProbe());
    topic = testKit.spawn(Topic.create(Truck.Changed.class, "trucks-" + UUID.randomUUID()));
    id = PersistenceId.ofUniqueId("dispatcher-" + UUID.randomUUID());
  }

  private ActorRef<Dispatcher.Command> start() {
    ActorRef<Dispatcher.Command> dispatcher =
        testKit.spawn(
            Dispatcher.create(
                id, DispatchPolicy.cheapestInsertion(new RoutePlanner(Metric.EUCLIDEAN), 2), List.of(1, 2), truckId -> trucks.get(truckId).getRef().narrow(), topic,
                Duration.ofSeconds(3), new Dispatcher.RetryBackoff(MIN, MAX), metrics));
    // Truck 1 idle near the warehouse, truck 2 idle near the far one.
    trucks.get(1).expectMessageClass(Truck.GetSummary.class).replyTo().tell(idle(1, 9, 9));
    trucks.get(2).expectMessageClass(Truck.GetSummary.class).replyTo().tell(idle(2, 89, 89));
    return dispatcher;
  }

  private static Truck.Summary idle(int truckId, int x, int y) {
    return new Truck.Summary(truckId, Truck.Phase.IDLE, "idle", new Location(x, y), 0, 0, 0, 0, 0, null, Instant.EPOCH, false, List.of(), 0);
  }

  private void dispatch(ActorRef<Dispatcher.Command> dispatcher, Cargo cargo) {
    TestProbe<Done> done = testKit.createTestProbe();
    dispatcher.tell(new Dispatcher.Dispatch(cargo, done.getRef()));
    done.receiveMessage();
  }

  private Truck.AssignPickups expectOffer(int truckId) {
    return trucks.get(truckId).expectMessageClass(Truck.AssignPickups.class);
  }

  /** As in DispatcherTest: a view sent to the truck's probe arrives behind any offer made to it before. */
  private Dispatcher.QueueView noOfferFor(int truckId, ActorRef<Dispatcher.Command> dispatcher) {
    dispatcher.tell(new Dispatcher.GetQueue(trucks.get(truckId).getRef().narrow()));
    return trucks.get(truckId).expectMessageClass(Dispatcher.QueueView.class);
  }

  /** The truck's acceptance is recorded (as it long is by the time the World answers its pickup). */
  private void accepted(Truck.AssignPickups offer, int truckId, ActorRef<Dispatcher.Command> dispatcher) {
    offer.replyTo().tell(new Truck.AssignmentReply(offer.cargo().stream().map(Cargo::shipId).toList(), null, idle(truckId, 9, 9)));
    trucks.get(truckId).awaitAssert(() -> {
      Dispatcher.QueueView view = noOfferFor(truckId, dispatcher);
      assertEquals(List.of(), view.waiting());
      assertEquals(Map.of(), view.offered());
      return null;
    });
  }

  private double retriesCounted() {
    return metrics.scrape().lines()
        .filter(line -> line.startsWith("miniups_dispatch_retries_total"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(-1);
  }

  @Test
  void aRefusedPickupWaitsLongerOnEachRetryAndOtherShipmentsGoMeanwhile() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    Cargo first = TestCargo.of(100, WH, new Location(0, 0));
    dispatch(dispatcher, first);
    accepted(expectOffer(1), 1, dispatcher);

    // The World refused truck 1's pickup: retry 1 waits MIN, not a moment less.
    Cargo retry1 = first.refusedBy(1);
    dispatch(dispatcher, retry1);
    assertEquals(List.of(100L), noOfferFor(1, dispatcher).waiting());
    // Another shipment is not held up by the waiting one.
    dispatch(dispatcher, TestCargo.of(200, FAR_WH, new Location(0, 0)));
    Truck.AssignPickups other = expectOffer(2);
    assertEquals(200L, other.cargo().get(0).shipId());
    other.replyTo().tell(new Truck.AssignmentReply(List.of(200L), null, idle(2, 89, 89)));
    trucks.get(2).awaitAssert(() -> {
      assertEquals(Map.of(), noOfferFor(2, dispatcher).offered());
      return null;
    });
    time.timePasses(MIN.minus(JUST_BEFORE));
    noOfferFor(1, dispatcher);
    time.timePasses(JUST_BEFORE);
    Truck.AssignPickups again = expectOffer(1);
    assertEquals(List.of(retry1), again.cargo(), "the retry, to the promised truck");
    accepted(again, 1, dispatcher);

    // Refused again: retry 2 waits twice as long.
    Cargo retry2 = retry1.refusedBy(1);
    dispatch(dispatcher, retry2);
    time.timePasses(MIN.multipliedBy(2).minus(JUST_BEFORE));
    noOfferFor(1, dispatcher);
    time.timePasses(JUST_BEFORE);
    Truck.AssignPickups third = expectOffer(1);
    assertEquals(List.of(retry2), third.cargo());
    accepted(third, 1, dispatcher);

    // And the delay stops growing at MAX: retry 5 waits 3 s, not 16 s.
    Cargo retry5 = retry2.refusedBy(1).refusedBy(1).refusedBy(1);
    dispatch(dispatcher, retry5);
    time.timePasses(MAX.minus(JUST_BEFORE));
    noOfferFor(1, dispatcher);
    time.timePasses(JUST_BEFORE);
    assertEquals(List.of(retry5), expectOffer(1).cargo());
    noOfferFor(2, dispatcher);

    assertEquals(3.0, retriesCounted(), "three retries in /metrics:\n" + metrics.scrape());
  }

  @Test
  void aRetryWaitingAtARestartIsStillDispatchedAfterItsDelayFromTheRestart() {
    ActorRef<Dispatcher.Command> dispatcher = start();
    Cargo retry = TestCargo.of(300, WH, new Location(0, 0)).refusedBy(1);
    dispatch(dispatcher, retry);
    noOfferFor(1, dispatcher);
    testKit.stop(dispatcher);

    // The timer went with the old incarnation; the queue it belongs to did not.
    ActorRef<Dispatcher.Command> restarted = start();
    assertEquals(List.of(300L), noOfferFor(1, restarted).waiting());
    time.timePasses(MIN.minus(JUST_BEFORE));
    noOfferFor(1, restarted);
    time.timePasses(JUST_BEFORE);
    assertEquals(List.of(retry), expectOffer(1).cargo());
    assertTrue(retriesCounted() <= 1.0, "a restart does not count the retry again");
  }
}
