package org.miniups.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.shipment.Shipment;
import org.miniups.testkit.ScriptedAmazon;
import org.miniups.testkit.ScriptedWorld;
import org.miniups.testkit.UpsTestKit;

/** Example 1: one shipment from Amazon's request to its delivery, every message checked in order. */
class PickupToDeliveryTest {
  private UpsTestKit ups;
  private ScriptedWorld world;
  private ScriptedAmazon amazon;

  @BeforeEach
  void start() {
    ups = UpsTestKit.start();
    ups.connect();
    world = ups.world();
    amazon = ups.amazon();
  }

  @AfterEach
  void stop() {
    ups.close();
  }

  @Test
  void aPickupGoesThroughToDelivery() {
    // Amazon asks for shipment 101 from warehouse 7 at (10, 20) to (5, 5).
    long pickup = amazon.pickup(101, 7, 10, 20, 5, 5);
    amazon.expectAck(pickup);

    // The nearest idle truck goes to the warehouse; Amazon hears its number first.
    UpsAmazon.UAPickupAccepted accepted = amazon.expectPickupAccepted(101);
    int truck = accepted.getTruckid();
    assertEquals(2, truck, "truck 2 at (2, 0) is nearer to (10, 20) than truck 1 at (0, 0)");
    WorldUps.UGoPickup goPickup = world.expectGoPickup(truck);
    assertEquals(7, goPickup.getWhid());
    world.ack(goPickup.getSeqnum());
    amazon.ack(accepted.getSeqnum());

    // At the warehouse: Amazon is asked to load the shipment onto the truck.
    long arrived = world.arrivedAtWarehouse(truck, 10, 20);
    world.expectAck(arrived);
    UpsAmazon.UATruckArrived truckArrived = amazon.expectTruckArrived(truck);
    assertEquals(List.of(101L), truckArrived.getShipidsList());
    amazon.ack(truckArrived.getSeqnum());

    // Loaded: the truck is sent out, and Amazon hears where to.
    long loaded = amazon.loaded(101, truck);
    amazon.expectAck(loaded);
    WorldUps.UGoDeliver goDeliver = world.expectGoDeliver(truck);
    assertEquals(101, goDeliver.getPackages(0).getPackageid());
    assertEquals(5, goDeliver.getPackages(0).getX());
    world.ack(goDeliver.getSeqnum());
    UpsAmazon.UAOutForDelivery out = amazon.expectOutForDelivery(101);
    assertEquals(5, out.getDesty());
    amazon.ack(out.getSeqnum());

    // Delivered, and the truck is idle again.
    long delivered = world.deliveryMade(truck, 101);
    world.expectAck(delivered);
    UpsAmazon.UADelivered told = amazon.expectDelivered(101);
    amazon.ack(told.getSeqnum());
    world.expectAck(world.finished(truck, 5, 5, "idle"));

    assertEquals(Shipment.Status.DELIVERED, ups.shipment(101).status());
    // Everything was acked: past a resend interval, nothing comes again.
    world.expectNoMessage(ups.resendInterval().plus(Duration.ofSeconds(1)));
    amazon.expectNoMessage(Duration.ZERO);
  }
}
