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
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.link.ResendSupervisor;
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
  private TestProbe<Topic.Command<Truck.Changed>> topic;
  private EventSourcedBehaviorTestKit<Truck.Command, Truck.Event, Truck.State> truck;

  @BeforeEach
  void setUp() {
    outbox = testKit.createTestProbe();
    topic = testKit.createTestProbe();
    truck =
        EventSourcedBehaviorTestKit.create(
            testKit.system(),
            Truck.create(3, new Truck.Location(0, 0), outbox.getRef(), topic.getRef(), clock));
  }

  private static Truck.Cargo cargo(long shipId, Truck.Warehouse warehouse) {
    return new Truck.Cargo(shipId, warehouse, new Truck.Location((int) shipId, 1), false);
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
    assertTrue(elsewhere.hasNoEvents());
    assertEquals("truck 3 is traveling", elsewhere.reply().reason());

    var repeated = assign(cargo(100, WH));
    assertTrue(repeated.reply().accepted(), "the same shipment again is accepted, idempotently");
    assertTrue(repeated.hasNoEvents());
    outbox.expectNoMessage();
  }

  @Test
  void aWholeTripPickupLoadDeliverIdle() {
    assign(cargo(100, WH));
    assign(cargo(101, WH));
    expectStored(1);

    assertFalse(load(100).reply().accepted(), "cannot load before the truck arrives");

    var arrived = report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    assertInstanceOf(Truck.ArrivedAtWarehouse.class, arrived.event());
    assertEquals(Truck.Phase.AT_WAREHOUSE, arrived.state().phase());
    assertEquals(new Truck.Location(10, 20), arrived.state().position());
    assertTrue(report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse")).hasNoEvents(), "repeat ignored");

    var first = load(100);
    assertTrue(first.reply().accepted());
    assertEquals(List.of(new Truck.CargoLoaded(100, clock.instant())), first.events());
    assertTrue(load(100).hasNoEvents(), "loading twice changes nothing");

    var last = load(101);
    assertEquals(2, last.events().size());
    Truck.DeliveryStarted started = (Truck.DeliveryStarted) last.events().get(1);
    List<WorldCommand.Drop> drops =
        List.of(new WorldCommand.Drop(100, 100, 1), new WorldCommand.Drop(101, 101, 1));
    assertEquals(drops, started.drops());
    assertEquals(Truck.Phase.DELIVERING, last.state().phase());
    assertEquals(new WorldCommand.GoDeliver(3, drops), expectStored(2).message());

    assertFalse(assign(cargo(102, WH)).reply().accepted(), "a delivering truck takes no pickups");

    report(new WorldEvent.PackageDelivered(3, 100));
    assertTrue(report(new WorldEvent.PackageDelivered(3, 100)).hasNoEvents(), "delivered once");
    report(new WorldEvent.PackageDelivered(3, 101));
    var idle = report(new WorldEvent.Finished(3, 101, 1, "idle"));
    assertEquals(Truck.Phase.IDLE, idle.state().phase());
    assertEquals(2, idle.state().deliveredCount());
    assertTrue(idle.state().aboard().isEmpty());
    assertTrue(assign(cargo(102, OTHER_WH)).reply().accepted(), "idle again: takes any pickup");
  }

  @Test
  void idleBeforeTheLastDeliveryReportStillCountsThatDelivery() {
    assign(cargo(100, WH));
    report(new WorldEvent.Finished(3, 10, 20, "arrive warehouse"));
    load(100);
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
    outbox.awaitAssert(
        java.time.Duration.ofSeconds(5),
        () -> {
          assertTrue(truck.getState().unconfirmed().isEmpty());
          return null;
        });
  }

  @Test
  void refusedPickupFreesTheTruck() {
    assign(cargo(100, WH));
    expectStored(1);
    var failed =
        truck.<Done>runCommand(
            replyTo -> new Truck.CommandRefused(1, "error: no warehouse 7", replyTo));
    assertEquals(Truck.Phase.IDLE, failed.state().phase());
    assertEquals("error: no warehouse 7", failed.state().lastError());
    assertTrue(failed.state().cargo().isEmpty());
  }

  @Test
  void positionReportsAreRecordedOnlyWhenSomethingChanged() {
    var moved = report(new WorldEvent.TruckReport(3, "idle", 4, 5));
    assertEquals(new Truck.Location(4, 5), moved.state().position());
    assertTrue(report(new WorldEvent.TruckReport(3, "IDLE", 4, 5)).hasNoEvents());
  }

  @Test
  void outboxKeysRoundTrip() {
    assertEquals(List.of(12L, 34L), List.of(Truck.parseOutboxKey(Truck.outboxKey(12, 34)).get()[0], Truck.parseOutboxKey(Truck.outboxKey(12, 34)).get()[1]));
    assertTrue(Truck.parseOutboxKey("query-3").isEmpty());
    assertTrue(Truck.parseOutboxKey("truck-x/1").isEmpty());
  }
}
