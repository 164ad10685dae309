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
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResult;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.amazon.AmazonNotice;
import org.miniups.link.ResendSupervisor;

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

  private TestProbe<ResendSupervisor.Command> amazon;
  private EventSourcedBehaviorTestKit<Shipment.Command, Shipment.Event, Shipment.State> shipment;

  @BeforeEach
  void setUp() {
    amazon = testKit.createTestProbe();
    TestProbe<Topic.Command<Shipment.Changed>> topic = testKit.createTestProbe();
    shipment =
        EventSourcedBehaviorTestKit.create(testKit.system(), Shipment.create(42, amazon.getRef(), topic.getRef(), clock));
  }

  private final TestProbe<Object> answers = testKit.createTestProbe();

  /** Sends a command without waiting for its answer, which waits for Amazon's notices to be stored. */
  private CommandResult<Shipment.Command, Shipment.Event, Shipment.State> send(Shipment.Command command) {
    return shipment.runCommand(command);
  }

  private CommandResult<Shipment.Command, Shipment.Event, Shipment.State> create(
      Shipment.Details details, long amazonSeqnum) {
    return create(details, null, amazonSeqnum);
  }

  private CommandResult<Shipment.Command, Shipment.Event, Shipment.State> create(
      Shipment.Details details, Long owner, long amazonSeqnum) {
    return send(new Shipment.Create(details, owner, amazonSeqnum, answers.getRef().unsafeUpcast()));
  }

  private Shipment.CreateReply createReply() {
    return answers.expectMessageClass(Shipment.CreateReply.class);
  }

  private CommandResult<Shipment.Command, Shipment.Event, Shipment.State> step(
      Shipment.Status status, int truckId, int x, int y) {
    return send(
        new Shipment.Update(new Shipment.Step(status, truckId, x, y, clock.instant(), null), answers.getRef().unsafeUpcast()));
  }

  private CommandResultWithReply<Shipment.Command, Shipment.Event, Shipment.State, Shipment.ChangeReply> redirect(
      int x, int y) {
    return shipment.runCommand(replyTo -> new Shipment.ChangeDestination(OWNER, x, y, replyTo));
  }

  /** The next notice for Amazon, confirmed as the outbox would once stored. */
  private AmazonNotice expectNotice() {
    ResendSupervisor.Store store = amazon.expectMessageClass(ResendSupervisor.Store.class);
    store.replyTo().tell(new ResendSupervisor.Stored(store.key(), 1));
    return (AmazonNotice) store.message();
  }

  private static boolean decidedNothing(CommandResult<Shipment.Command, Shipment.Event, Shipment.State> r) {
    return r.events().stream().allMatch(e -> e instanceof Shipment.NoticeConfirmed);
  }

  @Test
  void aPickupCreatesTheShipmentOnceWithAnUnguessableTrackingNumber() {
    var created = create(DETAILS, 9);
    assertTrue(createReply().isNew());
    assertEquals(Shipment.Status.CREATED, created.state().status());
    String tracking = created.state().trackingNumber();
    assertTrue(TrackingNumbers.looksValid(tracking), tracking);

    var again = create(DETAILS, 9);
    Shipment.CreateReply againReply = createReply();
    assertFalse(againReply.isNew());
    assertNull(againReply.conflict());
    assertTrue(decidedNothing(again), "the same pickup again changes nothing");
    assertEquals(tracking, again.state().trackingNumber());

    var different = create(new Shipment.Details(42, 7, 10, 20, 31, 40, null, List.of()), 10);
    assertEquals("shipment 42 is already known with different content", createReply().conflict());
    assertTrue(different.hasNoEvents());
    amazon.expectNoMessage();
  }

  @Test
  void everyPickupIsAcceptedOnceATruckIsOnItsWay() {
    create(DETAILS, 9);
    var repeated = create(DETAILS, 11); // same content, new seqnum: answered too
    assertInstanceOf(Shipment.PickupRepeated.class, repeated.event());
    amazon.expectNoMessage(); // no truck yet: nothing to answer with

    step(Shipment.Status.EN_ROUTE, 3, 0, 0);
    String tracking = shipment.getState().trackingNumber();
    assertEquals(new AmazonNotice.PickupAccepted(42, tracking, 3, false), expectNotice());
    assertEquals(new AmazonNotice.PickupAccepted(42, tracking, 3, false), expectNotice());

    create(DETAILS, 12); // a truck is known now: answered at once
    assertEquals(new AmazonNotice.PickupAccepted(42, tracking, 3, false), expectNotice());
    assertTrue(decidedNothing(step(Shipment.Status.EN_ROUTE, 3, 0, 0)), "a repeated step changes nothing");
    amazon.expectNoMessage();
  }

  @Test
  void theWholeTripWithADestinationChangedUntilTheTruckLeaves() {
    create(DETAILS, OWNER, 9);
    step(Shipment.Status.EN_ROUTE, 3, 0, 0);
    expectNotice();
    step(Shipment.Status.WAITING, 3, 10, 20);
    step(Shipment.Status.LOADING, 3, 10, 20);

    var stranger = shipment.<Shipment.ChangeReply>runCommand(replyTo -> new Shipment.ChangeDestination(7, 0, 0, replyTo));
    assertEquals(Shipment.Refusal.NOT_OWNER, stranger.reply().refusal());
    assertTrue(stranger.hasNoEvents());
    var moved = redirect(-1, -2);
    assertEquals(Shipment.Refusal.NONE, moved.reply().refusal());
    assertEquals(List.of(-1, -2), List.of(moved.state().destX(), moved.state().destY()));
    Shipment.HistoryEntry change = moved.state().history().get(moved.state().history().size() - 1);
    assertEquals(List.of(10, 20), List.of(change.x(), change.y()), "the entry is where the package is");
    assertEquals("destination changed to (-1, -2)", change.detail());

    answers.receiveSeveralMessages(4); // every step so far answered, its notices stored
    var frozen = shipment.<Shipment.Frozen>runCommand(replyTo -> new Shipment.FreezeDestination(3, replyTo));
    assertEquals(new Shipment.Frozen(42, -1, -2, true), frozen.reply());
    assertEquals("too late: the truck is leaving the warehouse with the package", redirect(5, 5).reply().reason());
    var frozenAgain = shipment.<Shipment.Frozen>runCommand(replyTo -> new Shipment.FreezeDestination(3, replyTo));
    assertEquals(frozen.reply(), frozenAgain.reply(), "freezing is idempotent");

    step(Shipment.Status.OUT_FOR_DELIVERY, 3, 10, 20);
    assertEquals(new AmazonNotice.OutForDelivery(42, -1, -2), expectNotice());
    assertEquals("too late: the package is already out for delivery", redirect(5, 5).reply().reason());

    var delivered = step(Shipment.Status.DELIVERED, 3, -1, -2);
    assertEquals(Shipment.Status.DELIVERED, delivered.state().status());
    assertEquals(new AmazonNotice.Delivered(42, -1, -2), expectNotice());
    assertTrue(decidedNothing(step(Shipment.Status.DELIVERED, 3, -1, -2)), "delivered once");
    assertEquals(Shipment.Refusal.TOO_LATE, redirect(5, 5).reply().refusal());
    assertEquals("too late: the package was already delivered", redirect(5, 5).reply().reason());
    assertEquals(
        List.of("created", "truck en route to warehouse", "truck waiting for package", "loading", "loading",
            "out for delivery", "delivered"),
        shipment.getState().history().stream().map(Shipment.HistoryEntry::status).toList());
    amazon.expectNoMessage();
  }

  @Test
  void anUnlinkedPackageCanBeClaimedOnceAndThenBelongsToItsClaimer() {
    create(DETAILS, 9);
    var claimed = shipment.<Shipment.ClaimReply>runCommand(replyTo -> new Shipment.Claim(5, replyTo));
    assertEquals(Shipment.Refusal.NONE, claimed.reply().refusal());
    assertEquals(5L, claimed.state().ownerId());
    var again = shipment.<Shipment.ClaimReply>runCommand(replyTo -> new Shipment.Claim(5, replyTo));
    assertTrue(again.hasNoEvents(), "claiming twice changes nothing");
    var other = shipment.<Shipment.ClaimReply>runCommand(replyTo -> new Shipment.Claim(6, replyTo));
    assertEquals(Shipment.Refusal.NOT_OWNER, other.reply().refusal());
    var changed = shipment.<Shipment.ChangeReply>runCommand(replyTo -> new Shipment.ChangeDestination(5, 1, 1, replyTo));
    assertEquals(Shipment.Refusal.NONE, changed.reply().refusal());
  }

  @Test
  void aWorldErrorIsAnExceptionToldToAmazonAndAnotherTruckMayTakeOver() {
    create(DETAILS, 9);
    step(Shipment.Status.EN_ROUTE, 3, 0, 0);
    expectNotice();
    var failed =
        send(
            new Shipment.Update(
                new Shipment.Step(Shipment.Status.EXCEPTION, 3, 0, 0, clock.instant(), "the World refused the pickup"),
                answers.getRef().unsafeUpcast()));
    assertEquals("the World refused the pickup", failed.state().exceptionReason());
    assertEquals(new AmazonNotice.Error("shipment 42: the World refused the pickup", 9), expectNotice());

    var again = step(Shipment.Status.EN_ROUTE, 4, 0, 0);
    assertEquals(4, again.state().truckId());
    amazon.expectNoMessage(); // the pickup was answered already
  }

  @Test
  void noticesNotYetStoredAreSentAgainAfterARestartUnderTheSameKey() {
    create(DETAILS, 9);
    createReply();
    step(Shipment.Status.EN_ROUTE, 3, 0, 0);
    ResendSupervisor.Store lost = amazon.expectMessageClass(ResendSupervisor.Store.class);
    answers.expectNoMessage(); // the truck is not told "done" before Amazon's notice is safe
    shipment.restart();
    ResendSupervisor.Store again = amazon.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(lost.key(), again.key());
    assertEquals(lost.message(), again.message());
    again.replyTo().tell(new ResendSupervisor.Stored(again.key(), 5));
    amazon.awaitAssert(() -> {
      assertTrue(shipment.getState().unconfirmed().isEmpty());
      return null;
    });
    step(Shipment.Status.EN_ROUTE, 3, 0, 0); // the truck asks again: now it hears "done"
    answers.expectMessage(Done.getInstance());
    shipment.restart();
    amazon.expectNoMessage();
  }
}
