package org.miniups.truck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.amazon.AmazonNotice;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

class TruckTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final Clock clock = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);
  private static final Truck.Warehouse WH = new Truck.Warehouse(7, 10, 20);
  private static final Truck.Warehouse OTHER_WH = new Truck.Warehouse(8, -5, 3);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private TestProbe<ResendSupervisor.Command> outbox;
  private TestProbe<ResendSupervisor.Command> amazonOutbox;
  private TestProbe<Shipment.Command> shipments;
  private TestProbe<Dispatcher.Command> dispatcher;
  private TestProbe<Topic.Command<Truck.Changed>> topic;
  private EventSourcedBehaviorTestKit<Truck.Command, Truck.Event, Truck.State> truck;

  @BeforeEach
  void setUp() {
    outbox = testKit.createTestProbe();
    amazonOutbox = testKit.createTestProbe();
    shipments = testKit.createTestProbe();
    dispatcher = testKit.createTestProbe();
    topic = testKit.createTestProbe();
    Truck.Links links =
        new Truck.Links(outbox.getRef(), amazonOutbox.getRef(), shipId -> shipments.getRef(), dispatcher.getRef());
    truck =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Truck.create(3, new Truck.Location(0, 0), links, topic.getRef(), clock));
  }

  private static Truck.Cargo cargo(long shipId, Truck.Warehouse warehouse) {
    return new Truck.Cargo(shipId, warehouse, new Truck.Location((int) shipId, 1));
  }

  /** No event but confirmations of side effects (which arrive whenever their receivers answer). */
  private static boolean decidedNothing(CommandResultWithReply<Truck.Command, Truck.Event, Truck.State, ?> result) {
    return result.events().stream().allMatch(e -> e instanceof Truck.OutboundConfirmed);
  }

  /** The next step the truck reports to a shipment, answered as the shipment would. */
  private Shipment.Step expectStep(Shipment.Status status) {
    Shipment.Update update = shipments.expectMessageClass(Shipment.Update.class);
    update.replyTo().tell(Done.getInstance());
    assertEquals(status, update.step().status(), update.toString());
    return update.step();
  }

  /** Answers the truck's freeze requests: the shipments keep Amazon's destinations except {@code moved}. */
  private void freezeDestinations(int count, long movedShipId, int movedX, int movedY) {
    for (int i = 0; i < count; i++) {
      Shipment.FreezeDestination freeze = shipments.expectMessageClass(Shipment.FreezeDestination.class);
      assertEquals(3, freeze.truckId());
      // The probe serves every shipment, so answer in the order the truck asked (its cargo order).
      long shipId = truck.getState().cargo().get(i).shipId();
      boolean moved = shipId == movedShipId;
      freeze.replyTo().tell(new Shipment.Frozen(shipId, moved ? movedX : (int) shipId, moved ? movedY : 1, true));
    }
  }

  private CommandResultWithReply<Truck.Command, Truck.Event, Truck.State, Truck.AssignmentReply> assign(
      Truck.Cargo cargo) {
    return truck.runCommand(replyTo -> new Truck.AssignPickup(cargo, replyTo));
  }

  private CommandResultWithReply<Truck.Command, Truck.Event, Truck.State, Done> report(WorldEvent event) {
    return truck.runCommand(replyTo -> new Truck.ReportFromWorld(event, replyTo));
  }

  private CommandResultWithReply<Truck.Command, Truck.Event, Truck.State, Truck.LoadReply> load(long shipId) {
    return truck.runCommand(replyTo -> new Truck.ConfirmLoaded(shipId, replyTo));
  }

  /** The next outbox request, answered as the outbox would once it stored the item. */
  private ResendSupervisor.Store expectStored(long seqnum) {
    ResendSupervisor.Store store = outbox.expectMessageClass(ResendSupervisor.Store.class);
    store.replyTo().tell(new ResendSupervisor.Stored(store.key(), seqnum));
    return store;
  }

  @Test
  void idleTruckTakesAPickupAndSendsOneGoPickup() {
    var result = assign(cargo(100, WH));
    assertTrue(result.reply().accepted());
    assertInstanceOf(Truck.PickupAssigned.class, result.event());
    assertEquals(Truck.Phase.TO_WAREHOUSE, result.state().phase());
    assertEquals("traveling", result.state().status());

    ResendSupervisor.Store store = expectStored(501);
    assertEquals(Truck.outboxKey(3, 1), store.key());
    assertEquals(new WorldCommand.GoPickup(3, 7), store.message());
    assertTrue(topic.receiveMessage().toString().contains("Changed"), "the change is published");
  }

  @Test
  void moreCargoForTheSameWarehouseJoinsTheTripWithoutAnotherPickup() {
    assign(cargo(100, WH));
    expectStored(1);
    var second = assign(cargo(101, WH));
    assertTrue(second.reply().accepted());
    assertEquals(2, second.state().cargo().size());

    var elsewhere = assign(cargo(102, OTHER_WH));
    assertFalse(elsewhere.reply().accepted());
    assertTrue(decidedNothing(elsewhere));
    assertEquals("truck 3 is traveling", elsewhere.reply().reason());

    var repeated = assign(cargo(100, WH));
    assertTrue(repeated.reply().accepted(), "the same shipment again is accepted, idempotently");
    assertTrue(decidedNothing(repeated));
    outbox.expectNoMessage();
  }

  @Test
  void aWholeTripPickupLoadDeliverIdle() {
    assign(cargo(100, WH));
    assign(cargo(101, WH));
    expectStored(1);
    expectStep(Shipment.Status.EN_ROUTE);
    expectStep(Shipment.Status.EN_ROUTE);

    assertFalse(load(100).reply().accepted(), "cannot load before the truck arrives");

    var arrived = report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    assertInstanceOf(Truck.ArrivedAtWarehouse.class, arrived.event());
    assertEquals(Truck.Phase.AT_WAREHOUSE, arrived.state().phase());
    assertEquals(new Truck.Location(10, 20), arrived.state().position());
    ResendSupervisor.Store arrival = amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(new AmazonNotice.TruckArrived(3, 7, List.of(100L, 101L)), arrival.message());
    assertEquals(10, expectStep(Shipment.Status.WAITING).x());
    expectStep(Shipment.Status.WAITING);
    assertTrue(decidedNothing(report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"))), "repeat ignored");

    var first = load(100);
    assertTrue(first.reply().accepted());
    assertEquals(List.of(new Truck.CargoLoaded(100, clock.instant())), first.events());
    expectStep(Shipment.Status.LOADING);
    assertTrue(decidedNothing(load(100)), "loading twice changes nothing");

    var last = load(101);
    assertEquals(List.of(new Truck.CargoLoaded(101, clock.instant())), last.events());
    expectStep(Shipment.Status.LOADING);
    assertFalse(assign(cargo(102, WH)).reply().accepted(), "a truck that is leaving takes no more cargo");

    // The truck leaves only with the destinations its shipments fixed; 101's owner moved it.
    freezeDestinations(2, 101, -4, -5);
    List<WorldCommand.Drop> drops =
        List.of(new WorldCommand.Drop(100, 100, 1), new WorldCommand.Drop(101, -4, -5));
    assertEquals(new WorldCommand.GoDeliver(3, drops), expectStored(2).message());
    assertEquals(Truck.Phase.DELIVERING, truck.getState().phase());
    expectStep(Shipment.Status.OUT_FOR_DELIVERY);
    assertEquals("to (-4, -5)", expectStep(Shipment.Status.OUT_FOR_DELIVERY).detail());

    assertFalse(assign(cargo(102, WH)).reply().accepted(), "a delivering truck takes no pickups");

    report(new WorldEvent.PackageDelivered(3, 100));
    assertTrue(decidedNothing(report(new WorldEvent.PackageDelivered(3, 100))), "delivered once");
    report(new WorldEvent.PackageDelivered(3, 101));
    expectStep(Shipment.Status.DELIVERED);
    Shipment.Step delivered = expectStep(Shipment.Status.DELIVERED);
    assertEquals(List.of(-4, -5), List.of(delivered.x(), delivered.y()));
    var idle = report(new WorldEvent.Finished(3, 101, 1, "idle"));
    assertEquals(Truck.Phase.IDLE, idle.state().phase());
    assertEquals(2, idle.state().deliveredCount());
    assertTrue(idle.state().aboard().isEmpty());
    assertTrue(assign(cargo(102, OTHER_WH)).reply().accepted(), "idle again: takes any pickup");
  }

  @Test
  void cargoAssignedToATruckAlreadyAtTheWarehouseGetsItsOwnArrivalNotice() {
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    var joined = assign(cargo(101, WH));
    assertTrue(joined.reply().accepted());
    ResendSupervisor.Store arrival = amazonOutbox.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(new AmazonNotice.TruckArrived(3, 7, List.of(101L)), arrival.message());
  }

  @Test
  void aDepartureInterruptedByACrashIsPreparedAgainOnRecovery() {
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
    shipments.fishForMessage(
        java.time.Duration.ofSeconds(3),
        m -> m instanceof Shipment.FreezeDestination
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore());
    truck.restart(); // the freeze answer never came
    shipments.fishForMessage(
        java.time.Duration.ofSeconds(3),
        m -> {
          if (m instanceof Shipment.FreezeDestination freeze) {
            freeze.replyTo().tell(new Shipment.Frozen(100, 100, 1, true));
            return FishingOutcomes.complete();
          }
          return FishingOutcomes.continueAndIgnore();
        });
    outbox.fishForMessage(
        java.time.Duration.ofSeconds(3),
        m -> m instanceof ResendSupervisor.Store store && store.message() instanceof WorldCommand.GoDeliver
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore());
    assertEquals(Truck.Phase.DELIVERING, truck.getState().phase());
  }

  @Test
  void idleBeforeTheLastDeliveryReportStillCountsThatDelivery() {
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
    freezeDestinationsIgnoringSteps();
    report(new WorldEvent.Finished(3, 100, 1, "idle"));
    var late = report(new WorldEvent.PackageDelivered(3, 100));
    assertInstanceOf(Truck.PackageDelivered.class, late.event());
    assertEquals(1, late.state().deliveredCount());
  }

  @Test
  void unconfirmedCommandsAreSentAgainAfterARestartUnderTheSameKey() {
    assign(cargo(100, WH));
    ResendSupervisor.Store lost = outbox.expectMessageClass(ResendSupervisor.Store.class);
    // Crash before the outbox confirmed: recovery sends it again, same key.
    truck.restart();
    ResendSupervisor.Store again = outbox.expectMessageClass(ResendSupervisor.Store.class);
    assertEquals(lost.key(), again.key());
    assertEquals(lost.message(), again.message());

    again.replyTo().tell(new ResendSupervisor.Stored(again.key(), 9));
    awaitConfirmed();
    truck.restart();
    outbox.expectNoMessage();
  }

  private void awaitConfirmed() {
    // The shipment hears of the pickup too (twice: once more after the restart); it confirms.
    for (Shipment.Command update : shipments.receiveSeveralMessages(2)) {
      ((Shipment.Update) update).replyTo().tell(Done.getInstance());
    }
    outbox.awaitAssert(
        java.time.Duration.ofSeconds(5),
        () -> {
          assertTrue(truck.getState().unconfirmed().isEmpty());
          return null;
        });
  }

  @Test
  void refusedPickupFreesTheTruckReportsAnExceptionAndDispatchesTheShipmentAgain() {
    assign(cargo(100, WH));
    expectStored(1);
    expectStep(Shipment.Status.EN_ROUTE);
    var failed =
        truck.<Done>runCommand(
            replyTo -> new Truck.CommandRefused(1, "error: no warehouse 7", replyTo));
    assertEquals(Truck.Phase.IDLE, failed.state().phase());
    assertEquals("error: no warehouse 7", failed.state().lastError());
    assertTrue(failed.state().cargo().isEmpty());
    Shipment.Step exception = expectStep(Shipment.Status.EXCEPTION);
    assertEquals("the World refused the pickup: error: no warehouse 7", exception.detail());
    Dispatcher.Dispatch again = dispatcher.expectMessageClass(Dispatcher.Dispatch.class);
    assertEquals(1, again.cargo().attempt());
    assertEquals(100, again.cargo().shipId());
  }

  /** Lets the truck leave, whatever it reported to its shipments on the way. */
  private void freezeDestinationsIgnoringSteps() {
    shipments.fishForMessage(
        java.time.Duration.ofSeconds(3),
        m -> {
          if (m instanceof Shipment.Update update) update.replyTo().tell(Done.getInstance());
          if (m instanceof Shipment.FreezeDestination freeze) {
            long shipId = truck.getState().cargo().get(0).shipId();
            freeze.replyTo().tell(new Shipment.Frozen(shipId, (int) shipId, 1, true));
            return FishingOutcomes.complete();
          }
          return FishingOutcomes.continueAndIgnore();
        });
    outbox.awaitAssert(java.time.Duration.ofSeconds(3), () -> {
      assertEquals(Truck.Phase.DELIVERING, truck.getState().phase());
      return null;
    });
  }

  @Test
  void positionReportsAreRecordedOnlyWhenSomethingChanged() {
    var moved = report(new WorldEvent.TruckReport(3, "idle", 4, 5));
    assertEquals(new Truck.Location(4, 5), moved.state().position());
    assertTrue(decidedNothing(report(new WorldEvent.TruckReport(3, "IDLE", 4, 5))));
  }

  @Test
  void outboxKeysRoundTrip() {
    assertEquals(List.of(12L, 34L), List.of(Truck.parseOutboxKey(Truck.outboxKey(12, 34)).get()[0], Truck.parseOutboxKey(Truck.outboxKey(12, 34)).get()[1]));
    assertTrue(Truck.parseOutboxKey("query-3").isEmpty());
    assertTrue(Truck.parseOutboxKey("truck-x/1").isEmpty());
  }
}
