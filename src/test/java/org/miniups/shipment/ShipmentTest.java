package org.miniups.shipment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;

class ShipmentTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final Clock clock = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);
  private static final Shipment.Details DETAILS =
      new Shipment.Details(42, 7, 10, 20, 30, 40, 1001L, List.of(new Shipment.Item(5, "kettle", 1)));
  private static final long OWNER = 1001;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private TestProbe<Topic.Command<Shipment.Changed>> topic;
  private EventSourcedBehaviorTestKit<Shipment.Command, Shipment.Event, ShipmentState> shipment;

  @BeforeEach
  void setUp() {
    topic = testKit.createTestProbe();
    shipment = EventSourcedBehaviorTestKit.create(testKit.system(), Shipment.create(42, topic.getRef(), clock));
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, ShipmentState, Shipment.CreateReply> create(
      Shipment.Details details, Long owner, long amazonSeqnum) {
    return shipment.runCommand(replyTo -> new Shipment.Create(details, owner, amazonSeqnum, replyTo));
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, ShipmentState, Done> step(
      Shipment.Status status, int truckId, int attempt, int x, int y, String detail) {
    Shipment.Step step = new Shipment.Step(status, truckId, attempt, x, y, clock.instant(), detail);
    return shipment.runCommand(replyTo -> new Shipment.Update(step, replyTo));
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, ShipmentState, Done> step(
      Shipment.Status status, int x, int y) {
    return step(status, 3, 0, x, y, null);
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, ShipmentState, Shipment.ChangeReply> redirect(
      int x, int y) {
    return shipment.runCommand(replyTo -> new Shipment.ChangeDestination(OWNER, x, y, replyTo));
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, ShipmentState, Shipment.Destination> leave(int truckId) {
    return shipment.runCommand(replyTo -> new Shipment.LeaveWarehouse(truckId, 0, replyTo));
  }

  @Test
  void aPickupCreatesTheShipmentOnceWithAnUnguessableTrackingNumber() {
    var created = create(DETAILS, null, 9);
    assertTrue(created.reply().isNew());
    assertEquals(Shipment.Status.CREATED, created.reply().shipment().status());
    assertEquals(9, created.reply().shipment().pickupSeqnum());
    String tracking = created.reply().shipment().trackingNumber();
    assertTrue(TrackingNumbers.looksValid(tracking), tracking);

    var again = create(DETAILS, null, 11);
    assertFalse(again.reply().isNew());
    assertNull(again.reply().conflict());
    assertTrue(again.hasNoEvents(), "the same pickup again changes nothing");
    assertEquals(tracking, again.reply().shipment().trackingNumber());
    assertEquals(9, again.reply().shipment().pickupSeqnum(), "the first pickup stays the one answered by the truck");

    var different = create(new Shipment.Details(42, 7, 10, 20, 31, 40, null, List.of()), null, 10);
    assertEquals("shipment 42 is already known with different content", different.reply().conflict());
    assertTrue(different.hasNoEvents());
  }

  @Test
  void theWholeTripWithADestinationChangedUntilTheTruckLeaves() {
    create(DETAILS, OWNER, 9);
    step(Shipment.Status.EN_ROUTE, 0, 0);
    step(Shipment.Status.WAITING, 10, 20);
    step(Shipment.Status.LOADING, 10, 20);

    var stranger = shipment.<Shipment.ChangeReply>runCommand(replyTo -> new Shipment.ChangeDestination(7, 0, 0, replyTo));
    assertEquals(Shipment.Refusal.NOT_OWNER, stranger.reply().refusal());
    assertTrue(stranger.hasNoEvents());
    var moved = redirect(-1, -2);
    assertEquals(Shipment.Refusal.NONE, moved.reply().refusal());
    assertEquals(List.of(-1, -2), List.of(moved.reply().shipment().destX(), moved.reply().shipment().destY()));
    Shipment.HistoryEntry change = moved.state().history().get(moved.state().history().size() - 1);
    assertEquals(List.of(10, 20), List.of(change.x(), change.y()), "the entry is where the package is");
    assertEquals("destination changed to (-1, -2)", change.detail());

    var left = leave(3);
    assertEquals(new Shipment.Destination(42, -1, -2, true), left.reply());
    assertInstanceOf(Shipment.LeftWarehouse.class, left.event());
    assertEquals(Shipment.Status.OUT_FOR_DELIVERY, left.state().progress().status());
    assertEquals("too late: the package is already out for delivery", redirect(5, 5).reply().reason());
    var leftAgain = leave(3);
    assertEquals(left.reply(), leftAgain.reply(), "leaving is idempotent");
    assertTrue(leftAgain.hasNoEvents());

    var delivered = step(Shipment.Status.DELIVERED, -1, -2);
    assertEquals(Shipment.Status.DELIVERED, delivered.state().progress().status());
    assertTrue(step(Shipment.Status.DELIVERED, -1, -2).hasNoEvents(), "delivered once");
    assertTrue(step(Shipment.Status.EXCEPTION, -1, -2).hasNoEvents(), "nothing after delivery");
    assertEquals("too late: the package was already delivered", redirect(5, 5).reply().reason());
    assertEquals(
        List.of("created", "truck en route to warehouse", "truck waiting for package", "loading", "loading",
            "out for delivery", "delivered"),
        shipment.getState().history().stream().map(Shipment.HistoryEntry::status).toList());
  }

  @Test
  void stepsAreMonotoneAndALateStepFromAnEarlierDispatchIsIgnored() {
    create(DETAILS, null, 9);
    step(Shipment.Status.EN_ROUTE, 0, 0);
    step(Shipment.Status.LOADING, 10, 20); // waiting skipped (a truck re-sending after a crash)
    assertTrue(step(Shipment.Status.WAITING, 10, 20).hasNoEvents(), "an earlier step after a later one");
    assertTrue(step(Shipment.Status.EN_ROUTE, 0, 0).hasNoEvents());

    var refused = step(Shipment.Status.EXCEPTION, 3, 0, 0, 0, "the World refused the pickup");
    assertEquals("the World refused the pickup", refused.state().progress().exceptionReason());
    var another = step(Shipment.Status.EN_ROUTE, 4, 1, 0, 0, null);
    assertEquals(4, another.state().progress().truckId(), "a newer dispatch takes over");
    assertTrue(step(Shipment.Status.WAITING, 3, 0, 10, 20, null).hasNoEvents(), "the first truck is late");
    assertEquals(4, shipment.getState().progress().truckId());
  }

  @Test
  void onlyTheTruckCarryingItMayLeaveWithIt() {
    create(DETAILS, null, 9);
    step(Shipment.Status.EN_ROUTE, 0, 0);
    var other = leave(5);
    assertTrue(other.hasNoEvents());
    assertEquals(Shipment.Status.EN_ROUTE, shipment.getState().progress().status());
    assertEquals(new Shipment.Destination(42, 30, 40, true), other.reply(), "answered with where it goes");
  }

  @Test
  void aTruckMayLeaveWithAShipmentWhoseEarlierStepsHaveNotArrivedYet() {
    create(DETAILS, OWNER, 9);
    var left = leave(3);
    assertEquals(Shipment.Status.OUT_FOR_DELIVERY, left.state().progress().status());
    assertEquals(3, left.state().progress().truckId());
    assertTrue(step(Shipment.Status.LOADING, 10, 20).hasNoEvents(), "the late step is behind");
    assertEquals("too late: the package is already out for delivery", redirect(5, 5).reply().reason());
  }

  @Test
  void anUnknownShipmentAnswersWithoutInventingOne() {
    assertEquals(new Shipment.Destination(42, 0, 0, false), leave(3).reply());
    assertTrue(step(Shipment.Status.EN_ROUTE, 0, 0).hasNoEvents());
    var summary = shipment.<Shipment.Summary>runCommand(Shipment.Get::new).reply();
    assertFalse(summary.exists());
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, ShipmentState, Shipment.ClaimReply> claim(
      long userId, int x, int y) {
    return shipment.runCommand(replyTo -> new Shipment.Claim(userId, x, y, replyTo));
  }

  @Test
  void anUnlinkedPackageIsClaimedWithItsDestinationOnceAndThenBelongsToItsClaimer() {
    create(DETAILS, null, 9);
    var wrong = claim(5, 30, 41);
    assertEquals(Shipment.Refusal.WRONG_PROOF, wrong.reply().refusal());
    assertEquals(Shipment.CLAIM_PROOF_WRONG, wrong.reply().reason());
    assertTrue(wrong.hasNoEvents());
    var claimed = claim(5, 30, 40);
    assertEquals(Shipment.Refusal.NONE, claimed.reply().refusal());
    assertEquals(5L, claimed.reply().shipment().ownerId());
    var again = claim(5, 0, 0);
    assertEquals(Shipment.Refusal.NONE, again.reply().refusal(), "the owner asking again gets the first answer, whatever the proof");
    assertTrue(again.hasNoEvents(), "claiming twice changes nothing");
    var other = claim(6, 0, 0);
    assertEquals(Shipment.Refusal.NOT_OWNER, other.reply().refusal(), "another's package is refused before the proof is looked at");
    var changed = shipment.<Shipment.ChangeReply>runCommand(replyTo -> new Shipment.ChangeDestination(5, 1, 1, replyTo));
    assertEquals(Shipment.Refusal.NONE, changed.reply().refusal());
  }

  @Test
  void theProofIsTheCurrentDestinationAndADeliveredPackageIsNoLongerClaimed() {
    create(DETAILS, null, 9);
    step(Shipment.Status.EN_ROUTE, 10, 20);
    step(Shipment.Status.OUT_FOR_DELIVERY, 10, 20);
    step(Shipment.Status.DELIVERED, 30, 40);
    var late = claim(5, 30, 40);
    assertEquals(Shipment.Refusal.TOO_LATE, late.reply().refusal());
    assertEquals("the package was already delivered", late.reply().reason());
    assertEquals(Shipment.Refusal.TOO_LATE, claim(5, 1, 1).reply().refusal(), "refused before the proof is looked at");
    assertTrue(late.hasNoEvents());
  }

  @Test
  void everyChangeIsPublishedAsASummary() {
    create(DETAILS, null, 9);
    Topic.Command<Shipment.Changed> published = topic.receiveMessage();
    assertEquals(Topic.publish(new Shipment.Changed(shipment.getState().summary())), published);
  }
}
