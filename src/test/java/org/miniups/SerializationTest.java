package org.miniups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonSubTypes;

import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.amazon.AmazonNotice;
import org.miniups.amazon.AmazonRequest;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.InboundDedup;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
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

  /**
   * Every persisted type and every peer message is stored under a name of its own: each member of
   * each sealed family is listed, and no name is used twice (a name, once written, is forever).
   */
  @Test
  void everyPersistedTypeAndPeerMessageHasAUniqueTypeName() {
    java.util.Map<String, Class<?>> byName = new java.util.HashMap<>();
    java.util.List<Class<?>> families = new java.util.ArrayList<>();
    for (JsonSubTypes.Type type : Persisted.class.getAnnotation(JsonSubTypes.class).value()) {
      if (type.value().isSealed()) families.add(type.value());
      else assertEquals(null, byName.put(type.name(), type.value()), "name used twice: " + type.name());
    }
    families.addAll(List.of(WorldCommand.class, WorldEvent.class, AmazonNotice.class, AmazonRequest.class));
    for (Class<?> family : families) {
      java.util.Map<Class<?>, String> named = new java.util.HashMap<>();
      for (JsonSubTypes.Type type : family.getAnnotation(JsonSubTypes.class).value()) named.put(type.value(), type.name());
      for (Class<?> member : family.getPermittedSubclasses()) {
        String name = named.get(member);
        assertTrue(name != null && !name.isBlank(), member.getName() + " has no type name in " + family.getName());
        assertEquals(null, byName.put(name, member), "name used twice: " + name);
      }
    }
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
    Truck.Cargo cargo = new Truck.Cargo(10, wh, new Truck.Location(4, 5), false, 1);
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
            List.of(
                new Truck.PendingOutbound(3, new Truck.ToWorld(new WorldCommand.GoPickup(1, 1))),
                new Truck.PendingOutbound(4, new Truck.ToAmazon(new AmazonNotice.TruckArrived(1, 1, List.of(10L)))),
                new Truck.PendingOutbound(
                    5, new Truck.ToShipment(10, new Shipment.Step(Shipment.Status.WAITING, 1, 2, 3, AT, null))),
                new Truck.PendingOutbound(6, new Truck.ToDispatcher(cargo))),
            List.of(new Truck.PendingOutbound(3, new Truck.ToWorld(new WorldCommand.GoPickup(1, 1)))),
            null);
    roundTrip(state, new Truck.Changed(state));

    TestProbe<Truck.AssignmentReply> probe = testKit.createTestProbe();
    roundTrip(new Truck.AssignPickup(cargo, probe.getRef()), new Truck.AssignmentReply(true, "assigned", state));
  }

  @Test
  void shipmentWarehouseAndDispatcherEventsAndStates() {
    Shipment.Details details =
        new Shipment.Details(10, 1, 2, 3, 4, 5, 77L, List.of(new Shipment.Item(1, "book", 2)));
    Shipment.Step step = new Shipment.Step(Shipment.Status.OUT_FOR_DELIVERY, 1, 2, 3, AT, "to (4, 5)");
    roundTrip(
        new Shipment.Created(details, "1Z0123456789ABCDEF", null, 9, AT),
        new Shipment.PickupRepeated(11),
        new Shipment.Stepped(step),
        new Shipment.DestinationFrozen(1, 4, 5),
        new Shipment.DestinationChanged(6, 7, AT),
        new Shipment.NoticeConfirmed(2),
        new Shipment.Claimed(5, AT),
        new Shipment.State(
            10, details, "1Z0123456789ABCDEF", 77L, List.of(9L, 11L), 1, Shipment.Status.OUT_FOR_DELIVERY, 1, 4, 5,
            true, List.of(new Shipment.HistoryEntry("created", AT, 2, 3, 0, null)), null, 3,
            List.of(
                new Shipment.PendingNotice(1, new AmazonNotice.PickupAccepted(10, "1Z0123456789ABCDEF", 1, true)),
                new Shipment.PendingNotice(2, new AmazonNotice.OutForDelivery(10, 4, 5)),
                new Shipment.PendingNotice(3, new AmazonNotice.Error("shipment 10: refused", 9)))),
        new WarehouseRegistry.WarehouseAdded(1, 2, 3),
        new WarehouseRegistry.State(java.util.Map.of(1, "2,3")),
        new Dispatcher.Queued(new Truck.Cargo(10, new Truck.Warehouse(1, 2, 3), new Truck.Location(4, 5))),
        new Dispatcher.Offered(10, 1),
        new Dispatcher.Assigned(10, 1),
        new Dispatcher.Declined(10, 1),
        new Dispatcher.State(List.of(new Truck.Cargo(10, new Truck.Warehouse(1, 2, 3), new Truck.Location(4, 5))), 10L, 1, List.of("9#0")));
  }

  @Test
  void packageDirectoryAnswers() {
    roundTrip(
        new org.miniups.shipment.PackageDirectory.Found(10L, null),
        new org.miniups.shipment.PackageDirectory.Page(
            List.of(new org.miniups.shipment.PackageDirectory.Summary("1Z0123456789ABCDEF", 10, "created", 4, 5, AT)),
            0, 20, 1, null),
        new org.miniups.shipment.PackageDirectory.Counts(java.util.Map.of("created", 3L), null));
  }

  @Test
  void amazonMessagesKeepTheirConcreteTypeInsidePersistedItems() {
    roundTrip(
        new ResendSupervisor.Queued(new ResendSupervisor.Item("k", 1, new AmazonNotice.Delivered(10, 4, 5))),
        new AmazonNotice.Status(10, "delivered", 4, 5),
        new AmazonRequest.Pickup(10, new AmazonRequest.Warehouse(1, 2, 3), 4, 5, null, List.of(new AmazonRequest.Item(1, "book", 2))),
        new AmazonRequest.Loaded(10, 1),
        new AmazonRequest.Query(10),
        new AmazonRequest.Refused("no", 3));
  }
}
