package org.miniups;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.link.InboundDedup;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.truck.Truck;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;
import org.miniups.world.WorldIdentity;
import org.pcollections.TreePSet;

/** Every persisted event, state (snapshot) and remote message goes through jackson-cbor and back. */
class SerializationTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final SerializationTestKit serialization = testKit.serializationTestKit();
  private static final Instant AT = Instant.parse("2026-11-24T12:00:00Z");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static void roundTrip(Object... objects) {
    for (Object o : objects) assertEquals(o, serialization.verifySerialization(o, false), o.toString());
  }

  @Test
  void linkEventsAndStates() {
    roundTrip(
        new SequenceAllocator.Reserved(1001),
        new SequenceAllocator.State(1001),
        new SequenceAllocator.Block(1, 1000),
        new InboundDedup.Handled(42),
        new ResendSupervisor.Queued(new ResendSupervisor.Item("truck-1/2", 7, new WorldCommand.GoPickup(1, 3))),
        new ResendSupervisor.ItemsAcked(List.of(7L, 8L)),
        new WorldIdentity.WorldClaimed(5),
        new WorldIdentity.State(5));

    InboundDedup.State dedup = new InboundDedup.State(TreePSet.<Long>empty().plus(3L).plus(1L), 10);
    InboundDedup.State dedupBack = (InboundDedup.State) serialization.verifySerialization(dedup, false);
    assertEquals(dedup.handledList(), dedupBack.handledList());
    assertEquals(10, dedupBack.capacity());

    ResendSupervisor.State outbox =
        ResendSupervisor.State.of(
            List.of(new ResendSupervisor.Item("a", 5, new WorldCommand.GoDeliver(1, List.of(new WorldCommand.Drop(9, 1, 2))))),
            List.of(new ResendSupervisor.Item("b", 4, null)),
            16);
    ResendSupervisor.State outboxBack = (ResendSupervisor.State) serialization.verifySerialization(outbox, false);
    assertEquals(outbox.pendingItems(), outboxBack.pendingItems());
    assertEquals(outbox.recentlyAckedItems(), outboxBack.recentlyAckedItems());
  }

  @Test
  void worldMessagesKeepTheirConcreteTypeInsidePersistedItems() {
    roundTrip(
        new WorldCommand.GoPickup(1, 2),
        new WorldCommand.GoDeliver(1, List.of(new WorldCommand.Drop(5, 6, 7))),
        new WorldCommand.Query(3),
        new WorldEvent.Finished(1, 2, 3, "arrive warehouse"),
        new WorldEvent.PackageDelivered(1, 9),
        new WorldEvent.TruckReport(1, "idle", 0, 0),
        new WorldEvent.CommandFailed("error: busy", 12));
  }

  @Test
  void truckEventsStateAndCommands() {
    Truck.Warehouse wh = new Truck.Warehouse(1, 2, 3);
    Truck.Cargo cargo = new Truck.Cargo(10, wh, new Truck.Location(4, 5), false);
    roundTrip(
        new Truck.PickupAssigned(cargo, AT),
        new Truck.ArrivedAtWarehouse(2, 3, AT),
        new Truck.CargoLoaded(10, AT),
        new Truck.DeliveryStarted(List.of(new WorldCommand.Drop(10, 4, 5)), AT),
        new Truck.PackageDelivered(10, AT),
        new Truck.BecameIdle(4, 5, AT),
        new Truck.PositionReported("idle", 4, 5, AT),
        new Truck.OutboundConfirmed(3),
        new Truck.CommandFailed(3, "error", AT));
    Truck.State state =
        new Truck.State(
            1, Truck.Phase.TO_WAREHOUSE, "traveling", new Truck.Location(0, 0), AT, wh, List.of(cargo),
            List.of(new WorldCommand.Drop(8, 1, 1)), 2, 4,
            List.of(new Truck.PendingOutbound(3, new Truck.ToWorld(new WorldCommand.GoPickup(1, 1)))),
            List.of(new Truck.PendingOutbound(3, new Truck.ToWorld(new WorldCommand.GoPickup(1, 1)))),
            null);
    roundTrip(state, new Truck.Changed(state));

    TestProbe<Truck.AssignmentReply> probe = testKit.createTestProbe();
    roundTrip(new Truck.AssignPickup(cargo, probe.getRef()), new Truck.AssignmentReply(true, "assigned"));
  }
}
