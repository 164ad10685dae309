package org.miniups.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.UpsAmazon;
import org.miniups.testkit.ScriptedAmazon;
import org.miniups.testkit.ScriptedWorld;
import org.miniups.testkit.UpsTestKit;

/** Example 3: the World reports a delivery twice; Amazon hears of it once. */
class DuplicateDeliveryTest {
  private final UpsTestKit ups = UpsTestKit.start();
  private final ScriptedWorld world = ups.world();
  private final ScriptedAmazon amazon = ups.amazon();
  private int truck;

  @AfterEach
  void stop() {
    ups.close();
  }

  /** Shipment 101 is on its truck, out for delivery; every message so far acked. */
  @BeforeEach
  void outForDelivery() {
    ups.connect();
    amazon.pickup(101, 7, 10, 20, 5, 5);
    UpsAmazon.UAPickupAccepted accepted = amazon.expectPickupAccepted(101);
    truck = accepted.getTruckid();
    world.ack(world.expectGoPickup(truck));
    world.arrivedAtWarehouse(truck, 10, 20);
    UpsAmazon.UATruckArrived arrived = amazon.expectTruckArrived(truck);
    amazon.loaded(101, truck);
    world.ack(world.expectGoDeliver(truck));
    amazon.ack(accepted, arrived, amazon.expectOutForDelivery(101));
  }

  @Test
  void aDeliveryResentUnderTheSameSeqnumIsAckedAgainAndHandledOnce() {
    long delivered = world.deliveryMade(truck, 101);
    world.expectAck(delivered);
    world.resend(delivered); // our ack was lost, as far as the World knows
    world.expectAck(delivered);
    assertEquals(1, world.inboxStats().duplicates(), "the repeat is recognised by its seqnum");

    amazon.ack(amazon.expectDelivered(101));
    amazon.expectNoMessage(ups.resendInterval().multipliedBy(2));
  }

  @Test
  void theSameDeliveryReportedUnderANewSeqnumChangesNothing() {
    world.expectAck(world.deliveryMade(truck, 101));
    world.expectAck(world.deliveryMade(truck, 101)); // a second report of the same package

    amazon.ack(amazon.expectDelivered(101));
    amazon.expectNoMessage(ups.resendInterval().multipliedBy(2));
    world.expectNoMessage(Duration.ZERO);
  }
}
