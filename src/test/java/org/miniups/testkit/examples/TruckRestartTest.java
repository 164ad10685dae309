package org.miniups.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.testkit.ScriptedAmazon;
import org.miniups.testkit.ScriptedWorld;
import org.miniups.testkit.UpsTestKit;
import org.miniups.truck.Truck;

/**
 * Example 5: a truck crashes mid-trip, its delivery order not yet acked by the World. Restarted from
 * its journal, it knows its trip; the order comes again under its first seqnum, and Amazon hears
 * nothing twice.
 */
class TruckRestartTest {
  private final UpsTestKit ups = UpsTestKit.start();
  private final ScriptedWorld world = ups.world();
  private final ScriptedAmazon amazon = ups.amazon();

  @AfterEach
  void stop() {
    ups.close();
  }

  @Test
  void aRestartedTruckLosesNothingAndSendsNothingUnderANewSeqnum() {
    ups.connect();
    amazon.pickup(101, 7, 10, 20, 5, 5);
    UpsAmazon.UAPickupAccepted accepted = amazon.expectPickupAccepted(101);
    int truck = accepted.getTruckid();
    world.ack(world.expectGoPickup(truck));
    world.arrivedAtWarehouse(truck, 10, 20);
    UpsAmazon.UATruckArrived arrived = amazon.expectTruckArrived(truck);
    amazon.loaded(101, truck);
    WorldUps.UGoDeliver deliver = world.expectGoDeliver(truck); // not acked: the World may not have it
    amazon.ack(accepted, arrived, amazon.expectOutForDelivery(101));

    ups.restartTruck(truck);

    Truck.Summary restarted = ups.truck(truck);
    assertEquals(Truck.Phase.DELIVERING, restarted.phase());
    assertEquals(1, restarted.aboard());
    // The unacked order comes again after the interval, as it was: same seqnum, same drops.
    ups.timePasses(ups.resendInterval().plusSeconds(2));
    assertEquals(deliver, world.expectGoDeliver(truck));
    world.ack(deliver);
    world.expectNoMessage(ups.resendInterval().multipliedBy(2));
    amazon.expectNoMessage(ups.resendInterval());

    // The trip ends as if nothing had happened.
    world.deliveryMade(truck, 101);
    amazon.expectDelivered(101);
  }
}
