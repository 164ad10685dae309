package org.miniups.amazon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.testkit.ScriptedAmazon;
import org.miniups.testkit.ScriptedWorld;
import org.miniups.testkit.UpsTestKit;

/**
 * Amazon's requests handled again once the shipment has moved on, as after a crash (the inbox
 * replays what it had not marked finished) or from an Amazon that sends a request twice: each
 * gets the answer it got the first time, and the scripted Amazon's referee fails the test on any
 * UAErr to a request PROTOCOL.md calls valid.
 */
class RequestsHandledAgainTest {
  private static final long SHIPMENT = 101;

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

  /** Shipment 101 from warehouse 7 at (10, 20) to (5, 5), loaded and sent out; returns its truck. */
  private int sendOut() {
    amazon.expectAck(amazon.pickup(SHIPMENT, 7, 10, 20, 5, 5));
    UpsAmazon.UAPickupAccepted accepted = amazon.expectPickupAccepted(SHIPMENT);
    int truck = accepted.getTruckid();
    world.ack(world.expectGoPickup(truck).getSeqnum());
    amazon.ack(accepted.getSeqnum());
    world.expectAck(world.arrivedAtWarehouse(truck, 10, 20));
    amazon.ack(amazon.expectTruckArrived(truck).getSeqnum());
    amazon.expectAck(amazon.loaded(SHIPMENT, truck));
    WorldUps.UGoDeliver goDeliver = world.expectGoDeliver(truck);
    world.ack(goDeliver.getSeqnum());
    amazon.ack(amazon.expectOutForDelivery(SHIPMENT).getSeqnum());
    return truck;
  }

  private void deliver(int truck) {
    world.expectAck(world.deliveryMade(truck, SHIPMENT));
    amazon.ack(amazon.expectDelivered(SHIPMENT).getSeqnum());
    world.expectAck(world.finished(truck, 5, 5, "idle"));
  }

  @Test
  void aLoadAgainWhileOutForDeliveryAndAfterDeliveryIsAckedAndAnsweredWithNothing() {
    int truck = sendOut();
    amazon.expectAck(amazon.loaded(SHIPMENT, truck));
    amazon.expectNoMessage(ups.resendInterval());
    world.expectNoMessage(ups.resendInterval()); // no second UGoDeliver either

    deliver(truck);
    amazon.expectAck(amazon.loaded(SHIPMENT, truck));
    amazon.expectNoMessage(ups.resendInterval());

    // The truck restarted from its journal knows no more of the shipment than before.
    ups.restartTruck(truck);
    amazon.expectAck(amazon.loaded(SHIPMENT, truck));
    amazon.expectNoMessage(ups.resendInterval());
    world.expectNoMessage(ups.resendInterval());
  }

  @Test
  void aLoadNamingAnotherTruckIsStillRefusedOnceDelivered() {
    int truck = sendOut();
    deliver(truck);
    int other = truck == 1 ? 2 : 1;
    long wrong = amazon.loaded(SHIPMENT, other);
    amazon.expectAck(wrong);
    UpsAmazon.UAErr refused = amazon.expectError(wrong);
    assertEquals("shipment " + SHIPMENT + " is not assigned to truck " + other, refused.getErr());
  }

  @Test
  void aQueryAfterDeliveryGetsTheFinalStatusAndTheDropPoint() {
    deliver(sendOut());
    long query = amazon.query(SHIPMENT);
    amazon.expectAck(query);
    UpsAmazon.UAStatus status = amazon.expectStatus(SHIPMENT);
    assertEquals(List.of("delivered", 5, 5), List.of(status.getStatus(), status.getX(), status.getY()));
  }

  @Test
  void aPickupRepeatedUnderANewSeqnumAfterDeliveryGetsTheSameNumberAndTruckAndNothingElse() {
    int truck = sendOut();
    deliver(truck);
    String number = ups.shipment(SHIPMENT).trackingNumber();
    amazon.expectAck(amazon.pickup(SHIPMENT, 7, 10, 20, 5, 5));
    UpsAmazon.UAPickupAccepted again = amazon.expectPickupAccepted(SHIPMENT);
    assertEquals(List.of(number, truck), List.of(again.getTrackingnumber(), again.getTruckid()));
    amazon.ack(again.getSeqnum());
    world.expectNoMessage(ups.resendInterval()); // no truck sent again
  }
}
