package org.miniups.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.testkit.ScriptedAmazon;
import org.miniups.testkit.ScriptedWorld;
import org.miniups.testkit.UpsTestKit;

/**
 * Example 4: the World refuses a truck's pickup (UErr, e.g. the truck was still busy). The
 * shipment is dispatched again, to the truck Amazon was promised: UAPickupAccepted named it, and
 * the protocol has no message to name another (the scripted Amazon fails the test if another
 * truck's arrival comes). Amazon hears no second acceptance.
 */
class PickupRefusedTest {
  private final UpsTestKit ups = UpsTestKit.builder().trucks(2).start();
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

    // A new pickup command for the same truck (DispatchPolicyTest: even when another is nearer).
    WorldUps.UGoPickup again = world.expectGoPickup(promised);
    assertNotEquals(refused.getSeqnum(), again.getSeqnum(), "a new command, under a new seqnum");
    assertEquals(7, again.getWhid());
    world.ack(again);
    world.arrivedAtWarehouse(promised, 10, 20);
    UpsAmazon.UATruckArrived arrived = amazon.expectTruckArrived(promised);
    assertEquals(List.of(101L), arrived.getShipidsList());
  }
}
