package org.miniups.testkit;

import org.miniups.truck.Location;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestConfigs;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.shipment.Shipment;

/** The kit itself: its failures say what went wrong, and its time is the test's. */
class UpsTestKitTest {

  @Test
  void anUnexpectedItemFailsNamingWhatCameInstead() {
    try (UpsTestKit ups = UpsTestKit.start()) {
      ups.connect();
      ups.amazon().pickup(101, 7, 10, 20, 5, 5);
      int truck = ups.amazon().expectPickupAccepted(101).getTruckid();

      AssertionError error = assertThrows(AssertionError.class, () -> ups.world().expectGoDeliver(truck));
      assertTrue(
          error.getMessage().matches(
              "expected UGoDeliver for truck 2 from UPS to the World, got UGoPickup\\(truckid: 2 whid: 7 seqnum: \\d+\\)"),
          error.getMessage());
    }
  }

  @Test
  void anItemThatNeverComesFailsSayingSo() {
    try (UpsTestKit ups = UpsTestKit.builder().patience(Duration.ofMillis(300)).start()) {
      ups.connect();
      AssertionError error = assertThrows(AssertionError.class, () -> ups.world().expectGoPickup(1));
      assertEquals(
          "expected UGoPickup for truck 1 from UPS to the World, got nothing within 300 ms"
              + " (unacked items come again only when time passes the resend interval)",
          error.getMessage());
    }
  }

  @Test
  void expectNoMessageLetsManualTimePassAndCatchesAResend() {
    try (UpsTestKit ups = UpsTestKit.builder().resendInterval(Duration.ofSeconds(5)).start()) {
      ups.connect();
      ups.amazon().pickup(101, 7, 10, 20, 5, 5);
      ups.amazon().expectPickupAccepted(101);
      WorldUps.UGoPickup pickup = ups.world().expectGoPickup(2);

      ups.world().expectNoMessage(Duration.ofSeconds(4)); // no wall-clock wait: ManualTime
      AssertionError error = assertThrows(AssertionError.class, () -> ups.world().expectNoMessage(Duration.ofSeconds(3)));
      assertEquals(
          "expected nothing more from UPS to the World within 3 s of ManualTime, got " + ScriptedPeer.describe(pickup),
          error.getMessage());
    }
  }

  /**
   * The journal's circuit breaker times its calls on the system's scheduler, ManualTime's here: a
   * jump past its call-timeout fails a write still in flight, and the writer then waits for a
   * restart backoff that only more ManualTime would end. The kit's journals have no call-timeout
   * within reach of a test's jumps, so the write lands and the outbox goes on.
   */
  @Test
  void aJumpOfManualTimeDoesNotFailAJournalWriteInFlight() throws Exception {
    // Resent only after a minute: the jump below brings the UGoPickup once.
    try (UpsTestKit ups = UpsTestKit.builder().resendInterval(Duration.ofMinutes(1)).start()) {
      ups.connect();
      CountDownLatch writing = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      PersistenceTestKit journal = PersistenceTestKit.create(ups.testKit().system());
      journal.withPolicy(holdTheFirstWrite("outbox-world", writing, release));

      ups.amazon().pickup(101, 7, 10, 20, 5, 5);
      assertTrue(writing.await(5, TimeUnit.SECONDS), "the World's outbox writes the UGoPickup");
      // In one jump (the kit's own steps would wait for the outbox): past pekko's call-timeout of 10 s.
      ups.time().timePasses(Duration.ofSeconds(11));
      release.countDown();

      ups.world().expectGoPickup(2); // the write landed and the outbox went on
      ups.world().expectNoMessage(Duration.ZERO); // and it answers
    }
  }

  /** Holds {@code persistenceId}'s first write in the journal until {@code release}. */
  private static ProcessingPolicy<JournalOperation> holdTheFirstWrite(
      String persistenceId, CountDownLatch writing, CountDownLatch release) {
    return (id, operation) -> {
      if (id.equals(persistenceId) && operation instanceof WriteEvents && writing.getCount() > 0) {
        writing.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return ProcessingSuccess.getInstance();
    };
  }

  /** Off by default, truck queries come on request, at their interval of ManualTime. */
  @Test
  void truckQueriesOnRequest() {
    try (UpsTestKit ups = UpsTestKit.builder().truckQueries(Duration.ofSeconds(2)).resendInterval(Duration.ofMinutes(1)).start()) {
      ups.connect();
      ups.amazon().pickup(101, 7, 10, 20, 5, 5);
      ups.amazon().expectPickupAccepted(101);
      ups.world().ack(ups.world().expectGoPickup(2));

      ups.timePasses(Duration.ofSeconds(2));
      WorldUps.UQuery query = ups.world().expectQuery(2);
      ups.world().ack(query);
      ups.world().expectAck(ups.world().truckStatus(2, "traveling", 5, 9));
      assertEquals(new org.miniups.truck.Location(5, 9), ups.truck(2).position());
    }
  }

  @Test
  void anItemMissingARequiredFieldIsRefusedAsTheWireWouldRefuseIt() {
    try (UpsTestKit ups = UpsTestKit.start()) {
      ups.connect();
      assertThrows(
          com.google.protobuf.UninitializedMessageException.class,
          () -> ups.world().send(WorldUps.UDeliveryMade.newBuilder().setTruckid(1)));
    }
  }

  /** The scripted Amazon judges what UPS tells it as the simulated Amazon does: out of order fails. */
  @Test
  void scriptedAmazonFailsOnANoticeOutOfCausalOrder() {
    try (UpsTestKit ups = UpsTestKit.start()) {
      ups.connect();
      ups.amazon().pickup(101, 7, 10, 20, 5, 5);
      // As if UPS told of the truck's arrival before it accepted the pickup.
      UpsAmazon.UATruckArrived early =
          UpsAmazon.UATruckArrived.newBuilder().setTruckid(2).setWhid(7).addShipids(101).setSeqnum(999).build();

      AssertionError error = assertThrows(AssertionError.class, () -> ups.amazon().judgeReceived(early));
      assertTrue(
          error.getMessage().startsWith("UPS broke the protocol with " + ScriptedPeer.describe(early) + ": [causal order"),
          error.getMessage());
    }
  }

  /** On request, events go to pekko-persistence-jdbc: the journal's table holds them. */
  @ParameterizedTest
  @EnumSource(TestConfigs.Database.class)
  void theRealJournalOnRequest(TestConfigs.Database database) throws Exception {
    String url = database.freshUrl();
    UpsTestKit.Builder builder =
        database == TestConfigs.Database.H2
            ? UpsTestKit.builder().journal(url, "sa", "")
            : UpsTestKit.builder().journal(url, "postgres", "");
    try (UpsTestKit ups = builder.start()) {
      ups.connect();
      ups.amazon().pickup(101, 7, 10, 20, 5, 5);
      ups.world().expectGoPickup(ups.amazon().expectPickupAccepted(101).getTruckid());
      assertEquals(Shipment.Status.EN_ROUTE, ups.shipment(101).status());
      try (Connection c = DriverManager.getConnection(url, database == TestConfigs.Database.H2 ? "sa" : "postgres", "");
          Statement st = c.createStatement();
          ResultSet rows =
              st.executeQuery("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Shipment|101'")) {
        rows.next();
        assertTrue(rows.getLong(1) >= 2, "shipment 101's events are in the journal table: " + rows.getLong(1));
      }
    }
  }
}
