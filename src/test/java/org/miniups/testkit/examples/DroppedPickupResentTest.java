package org.miniups.testkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.proto.WorldUps;
import org.miniups.testkit.UpsTestKit;

/** Example 2: the World never got a UGoPickup; UPS sends it again after RESEND_INTERVAL, until acked. */
class DroppedPickupResentTest {
  private final UpsTestKit ups = UpsTestKit.builder().resendInterval(Duration.ofSeconds(5)).start();

  @AfterEach
  void stop() {
    ups.close();
  }

  @Test
  void anUnackedPickupIsResentUnderItsSeqnumUntilAcked() {
    ups.connect();
    ups.amazon().pickup(101, 7, 10, 20, 5, 5);
    int truck = ups.amazon().expectPickupAccepted(101).getTruckid();
    WorldUps.UGoPickup dropped = ups.world().expectGoPickup(truck); // lost: the World never acks it

    // Not yet: less than one interval of ManualTime has passed.
    ups.world().expectNoMessage(Duration.ofMillis(4_900));
    // Past the interval it comes again, the same command under the same seqnum.
    ups.timePasses(Duration.ofMillis(1_500));
    WorldUps.UGoPickup again = ups.world().expectGoPickup(truck);
    assertEquals(dropped, again);

    // Acked now: never again, however long we wait.
    ups.world().ack(again.getSeqnum());
    ups.world().expectNoMessage(ups.resendInterval().multipliedBy(3));
  }
}
