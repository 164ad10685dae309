package org.miniups.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.dispatch.Dispatcher;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.testkit.ScriptedAmazon;
import org.miniups.testkit.ScriptedWorld;
import org.miniups.testkit.UpsTestKit;

/**
 * Example 4: the World refuses a truck's pickup (UErr, e.g. the truck was still busy). The
 * shipment is dispatched again, to the truck Amazon was promised: UAPickupAccepted named it, and
 * the protocol has no message to name another (the scripted Amazon fails the test if another
 * truck's arrival comes). Amazon hears no second acceptance. It is not dispatched at once: the
 * first retry waits {@code REDISPATCH_BACKOFF_MIN}, the next twice as long, so a pickup the World
 * keeps refusing is no tight loop.
 */
class PickupRefusedTest {
  private static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  private static final Duration JUST_BEFORE = Duration.ofMillis(1);

  private final UpsTestKit ups =
      UpsTestKit.builder()
          .trucks(2)
          .config("mini-ups.dispatch { redispatch-backoff-min = 2s, redispatch-backoff-max = 30s }")
          .start();
  private final ScriptedWorld world = ups.world();
  private final ScriptedAmazon amazon = ups.amazon();

  @AfterEach
  void stop() {
    ups.close();
  }

  @Test
  void aRefusedPickupIsDispatchedAgainToThePromisedTruck() {
    ups.connect();
    amazon.pickup(101, 7, 10, 20, 5, 5);
    UpsAmazon.UAPickupAccepted accepted = amazon.expectPickupAccepted(101);
    amazon.ack(accepted);
    int promised = accepted.getTruckid();
    WorldUps.UGoPickup refused = world.expectGoPickup(promised);
    world.ack(refused);

    world.expectAck(world.error("truck " + promised + " is busy", refused.getSeqnum()));

    // A new pickup command for the same truck (DispatchPolicyTest: even when another is nearer),
    // once the first retry's delay has passed and not before.
    awaitWaitingForItsRetry(101);
    world.expectNoMessage(FIRST_RETRY.minus(JUST_BEFORE));
    ups.timePasses(JUST_BEFORE);
    WorldUps.UGoPickup again = world.expectGoPickup(promised);
    assertNotEquals(refused.getSeqnum(), again.getSeqnum(), "a new command, under a new seqnum");
    assertEquals(7, again.getWhid());
    world.ack(again);

    // Refused again: the second retry waits twice as long.
    world.expectAck(world.error("truck " + promised + " is still busy", again.getSeqnum()));
    awaitWaitingForItsRetry(101);
    world.expectNoMessage(FIRST_RETRY.multipliedBy(2).minus(JUST_BEFORE));
    ups.timePasses(JUST_BEFORE);
    WorldUps.UGoPickup third = world.expectGoPickup(promised);
    world.ack(third);
    world.arrivedAtWarehouse(promised, 10, 20);
    UpsAmazon.UATruckArrived arrived = amazon.expectTruckArrived(promised);
    assertEquals(List.of(101L), arrived.getShipidsList());
  }

  /** The refusal has reached the dispatcher: the retry's delay counts from there. */
  private void awaitWaitingForItsRetry(long shipId) {
    TestProbe<Dispatcher.QueueView> queue = ups.testKit().createTestProbe();
    queue.awaitAssert(() -> {
      ups.components().fleet().dispatcher().tell(new Dispatcher.GetQueue(queue.getRef()));
      assertTrue(queue.receiveMessage().waiting().contains(shipId));
      return null;
    });
  }
}
