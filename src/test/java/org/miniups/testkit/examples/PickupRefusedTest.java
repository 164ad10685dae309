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

/** Example 4: the World refuses a truck's pickup (UErr); the shipment goes to another truck. */
class PickupRefusedTest {
  private final UpsTestKit ups = UpsTestKit.builder().trucks(2).start();
  private final ScriptedWorld world = ups.world();
  private final ScriptedAmazon amazon = ups.amazon();

  @AfterEach
  void stop() {
    ups.close();
  }

  @Test
  void aRefusedPickupIsDispatchedToAnotherTruck() {
    ups.connect();
    amazon.pickup(101, 7, 10, 20, 5, 5);
    UpsAmazon.UAPickupAccepted accepted = amazon.expectPickupAccepted(101);
    amazon.ack(accepted);
    int first = accepted.getTruckid();
    WorldUps.UGoPickup refused = world.expectGoPickup(first);
    world.ack(refused);

    world.expectAck(world.error("truck " + first + " is out of order", refused.getSeqnum()));

    // The other truck is sent, and it is the one whose arrival Amazon hears of.
    WorldUps.UGoPickup instead = world.expect(WorldUps.UGoPickup.class);
    int second = instead.getTruckid();
    assertNotEquals(first, second, "the refused truck must not be sent again");
    assertEquals(7, instead.getWhid());
    world.ack(instead);
    world.arrivedAtWarehouse(second, 10, 20);
    UpsAmazon.UATruckArrived arrived = amazon.expectTruckArrived(second);
    assertEquals(List.of(101L), arrived.getShipidsList());
  }
}
