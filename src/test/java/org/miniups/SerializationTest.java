package org.miniups;

import org.miniups.shipment.ShipmentState;
import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.jsontype.NamedType;

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
import org.miniups.node.StoredTypeNames;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.truck.Truck;
import org.miniups.truck.TruckEffect;
import org.miniups.truck.TruckState;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;
import org.miniups.world.WorldIdentity;
import org.miniups.effects.EffectLog;

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
    for (NamedType type : StoredTypeNames.PERSISTED) {
      if (type.getType().isSealed()) families.add(type.getType());
      else assertEquals(null, byName.put(type.getName(), type.getType()), "name used twice: " + type.getName());
    }
    families.addAll(StoredTypeNames.PEER_MESSAGES);
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

  /** A message a developer forgot to mark: Java serialization would take it, were it allowed. */
  record Unmarked(String text) implements java.io.Serializable {}

  /**
   * Java serialization is off: a message that is neither CborSerializable nor Persisted cannot
   * leave the node or be stored, and says why; a marked one goes through jackson-cbor.
   */
  @Test
  void aMessageThatIsNotCborSerializableIsRefused() {
    org.apache.pekko.serialization.Serialization pekko =
        org.apache.pekko.serialization.SerializationExtension.get(testKit.system());
    scala.util.Try<byte[]> refused = pekko.serialize(new Unmarked("hello"));
    assertTrue(refused.isFailure(), "an unmarked message is not serialized");
    assertTrue(
        refused.failed().get().getMessage().startsWith("Attempted to serialize message using Java serialization"),
        refused.failed().get().getMessage());
    assertTrue(pekko.serialize(new Object()).isFailure(), "nor is an object without any binding");
    assertEquals(
        "org.apache.pekko.serialization.jackson.JacksonCborSerializer",
        pekko.findSerializerFor(new SequenceAllocator.Block(1, 1000)).getClass().getName());
  }

  private static void roundTrip(Object... objects) {
    for (Object o : objects) assertEquals(o, serialization.verifySerialization(o, false), o.toString());
  }

  @Test
  void linkEventsAndStates() {
    ResendSupervisor.Origin origin = new ResendSupervisor.Origin("Truck", "1", 2);
    ResendSupervisor.Item item = new ResendSupervisor.Item(7, origin, new WorldCommand.GoPickup(1, 3));
    roundTrip(
        new SequenceAllocator.Reserved(1001),
        new SequenceAllocator.State(1001),
        new SequenceAllocator.Block(1, 1000),
        new InboundDedup.Recorded(
            List.of(new InboundDedup.Received(42, new WorldEvent.PackageDelivered(1, 9))), List.of(41L)),
        new ResendSupervisor.Recorded(List.of(item), List.of(6L)),
        new ResendSupervisor.StoredThrough("Truck", "1", 2),
        new ResendSupervisor.Sender(java.util.Optional.of(origin)),
        new WorldIdentity.WorldClaimed(5),
        new WorldIdentity.State(5));

    InboundDedup.State inbox =
        InboundDedup.State.of(List.of(3L, 1L), List.of(new InboundDedup.Received(3, new WorldEvent.Finished(1, 2, 3, "idle"))), 10);
    InboundDedup.State inboxBack = (InboundDedup.State) serialization.verifySerialization(inbox, false);
    assertEquals(inbox.seenList(), inboxBack.seenList());
    assertEquals(inbox.unfinishedList(), inboxBack.unfinishedList());
    assertEquals(10, inboxBack.capacity());

    ResendSupervisor.State outbox =
        ResendSupervisor.State.of(
            List.of(new ResendSupervisor.Item(5, origin, new WorldCommand.GoDeliver(1, List.of(new WorldCommand.Drop(9, 1, 2))))),
            List.of(new ResendSupervisor.Item(4, new ResendSupervisor.Origin("answer", "status/3", 0), null)),
            java.util.Map.of("Truck/1", 2L),
            16);
    ResendSupervisor.State outboxBack = (ResendSupervisor.State) serialization.verifySerialization(outbox, false);
    assertEquals(outbox.pendingItems(), outboxBack.pendingItems());
    assertEquals(outbox.recentlyAckedItems(), outboxBack.recentlyAckedItems());
    assertEquals(outbox.storedThrough(), outboxBack.storedThrough());
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
    Warehouse wh = new Warehouse(1, 2, 3);
    Cargo cargo = new Cargo(10, wh, new Location(4, 5), "1Z0123456789ABCDEF", true, 77, 1, 2);
    EffectLog<TruckEffect.Destination, TruckEffect> effects =
        EffectLog.<TruckEffect.Destination, TruckEffect>empty()
            .add(TruckEffect.Destination.WORLD_OUTBOX, new TruckEffect.ToWorld(new WorldCommand.GoPickup(1, 1)))
            .add(TruckEffect.Destination.AMAZON_OUTBOX, new TruckEffect.ToAmazon(new AmazonNotice.TruckArrived(1, 1, List.of(10L))))
            .add(TruckEffect.Destination.SHIPMENTS, new TruckEffect.ToShipment(10, new Shipment.Step(Shipment.Status.WAITING, 1, 0, 2, 3, AT, null)))
            .add(TruckEffect.Destination.DISPATCHER, new TruckEffect.Redispatch(cargo));
    roundTrip(
        new Truck.PickupsAssigned(List.of(cargo), AT),
        new Truck.ArrivedAtWarehouse(2, 3, AT),
        new Truck.CargoLoaded(10, AT),
        new Truck.DeliveryStarted(List.of(cargo), AT),
        new Truck.PackageDelivered(10, AT),
        new Truck.BecameIdle(4, 5, AT),
        new Truck.CommandFailed(3, "error", AT),
        new Truck.EffectsSettled(List.of(1L, 2L)),
        new Truck.LoadingClosed(AT));
    TruckState state =
        new TruckState(
            1, new TruckState.Trip(Truck.Phase.TO_WAREHOUSE, wh, List.of(cargo), List.of(10L), 1, true),
            new TruckState.Route(List.of(cargo), 2, 0), new Location(0, 0), AT, null, List.of("10#1"), effects, 12.5);
    Truck.Summary summary =
        new Truck.Summary(
            1, Truck.Phase.TO_WAREHOUSE, "traveling", new Location(0, 0), 1, 1, 1, 1, 2, null, AT, false,
            List.of(wh.location(), new Location(4, 5)), 0);
    roundTrip(state, new Truck.Changed(summary));

    TestProbe<Truck.AssignmentReply> probe = testKit.createTestProbe();
    roundTrip(new Truck.AssignPickups(List.of(cargo), probe.getRef()), new Truck.AssignmentReply(List.of(10L), null, summary));
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper CBOR =
      new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper();

  /** What the journal holds for a persisted object: the payload, read as a tree. */
  private static com.fasterxml.jackson.databind.JsonNode stored(Object persisted) throws Exception {
    return CBOR.readTree(org.apache.pekko.serialization.SerializationExtension.get(testKit.system()).serialize(persisted).get());
  }

  /** A payload as the journal holds it, read back the way recovery reads it. */
  private static Object replayed(com.fasterxml.jackson.databind.JsonNode payload, Class<?> type) throws Exception {
    org.apache.pekko.serialization.Serialization pekko = org.apache.pekko.serialization.SerializationExtension.get(testKit.system());
    int id = testKit.system().settings().config().getInt("pekko.actor.serialization-identifiers.jackson-cbor-named");
    return pekko.deserialize(CBOR.writeValueAsBytes(payload), id, "").get();
  }

  /**
   * A truck snapshot keeps the flat shape it was written in before the state was split into a
   * trip and a route: written so (with the fields added since at the end), and a snapshot of the old
   * shape (as an older node wrote it, without loadingClosed) is read.
   */
  @Test
  void aTruckSnapshotKeepsItsStoredShape() throws Exception {
    Warehouse wh = new Warehouse(1, 2, 3);
    Cargo cargo = new Cargo(10, wh, new Location(4, 5), "1Z0123456789ABCDEF", false, 77, 0, 0);
    EffectLog<TruckEffect.Destination, TruckEffect> effects =
        EffectLog.<TruckEffect.Destination, TruckEffect>empty()
            .add(TruckEffect.Destination.WORLD_OUTBOX, new TruckEffect.ToWorld(new WorldCommand.GoPickup(1, 1)))
            .add(TruckEffect.Destination.DISPATCHER, new TruckEffect.Redispatch(cargo));
    TruckState state =
        new TruckState(
            1, new TruckState.Trip(Truck.Phase.AT_WAREHOUSE, wh, List.of(cargo), List.of(10L), 1, false),
            new TruckState.Route(List.of(), 2, 0), new Location(2, 3), AT, "error", List.of("10#0"), effects, 0);

    com.fasterxml.jackson.databind.JsonNode written = stored(state);
    List<String> names = new java.util.ArrayList<>();
    written.fieldNames().forEachRemaining(names::add);
    assertEquals(
        List.of("type", "truckId", "phase", "position", "updatedAt", "warehouse", "cargo", "loaded", "aboard", "deliveredCount",
            "pickupCommand", "deliveryCommand", "lastError", "taken", "effects", "loadingClosed", "unitsDriven"),
        names);
    assertEquals(false, written.get("loadingClosed").asBoolean());
    assertEquals("truck.state", written.get("type").asText());
    assertEquals("AT_WAREHOUSE", written.get("phase").asText());
    assertEquals(1, written.get("effects").get("lastNumber").get("world").asLong());
    assertEquals(1, written.get("effects").get("lastNumber").get("dispatch").asLong());
    assertEquals("world", written.get("effects").get("open").get(0).get("destination").asText());
    assertEquals("truck.to-world", written.get("effects").get("open").get(0).get("effect").get("type").asText());
    assertEquals("dispatch", written.get("effects").get("open").get(1).get("destination").asText());

    com.fasterxml.jackson.databind.node.ObjectNode old = CBOR.createObjectNode();
    old.put("type", "truck.state").put("truckId", 1).put("phase", "AT_WAREHOUSE");
    old.set("position", CBOR.valueToTree(new Location(2, 3)));
    old.set("updatedAt", written.get("updatedAt"));
    old.set("warehouse", CBOR.valueToTree(wh));
    old.set("cargo", written.get("cargo"));
    old.set("loaded", CBOR.createArrayNode().add(10));
    old.set("aboard", CBOR.createArrayNode());
    old.put("deliveredCount", 2).put("pickupCommand", 1).put("deliveryCommand", 0).put("lastError", "error");
    old.set("taken", CBOR.createArrayNode().add("10#0"));
    com.fasterxml.jackson.databind.node.ObjectNode log = old.putObject("effects").put("nextId", 3);
    log.putObject("lastNumber").put("world", 1).put("dispatch", 1);
    log.set("open", written.get("effects").get("open"));
    assertEquals(state, replayed(old, TruckState.class));
  }

  /** A shipment state keeps the flat shape it had before it was split into an order and its progress. */
  @Test
  void aShipmentStateKeepsItsStoredShape() throws Exception {
    Shipment.Details details = new Shipment.Details(10, 1, 2, 3, 4, 5, null, List.of(new Shipment.Item(1, "book", 2)));
    ShipmentState state =
        new ShipmentState(
            10, new ShipmentState.Order(details, "1Z0123456789ABCDEF", 9), 77L,
            new ShipmentState.Progress(Shipment.Status.EXCEPTION, 1, 2, "refused"), new ShipmentState.Place(6, 7),
            List.of(new Shipment.HistoryEntry("created", AT, 2, 3, 0, null)), 3);
    com.fasterxml.jackson.databind.JsonNode written = stored(state);
    List<String> names = new java.util.ArrayList<>();
    written.fieldNames().forEachRemaining(names::add);
    assertEquals(
        List.of("type", "shipId", "details", "trackingNumber", "pickupSeqnum", "ownerId", "status", "truckId", "attempt", "destX",
            "destY", "history", "exceptionReason", "revision"),
        names);

    com.fasterxml.jackson.databind.node.ObjectNode old = CBOR.createObjectNode();
    old.put("type", "shipment.state").put("shipId", 10);
    old.set("details", written.get("details"));
    old.put("trackingNumber", "1Z0123456789ABCDEF").put("pickupSeqnum", 9).put("ownerId", 77).put("status", "EXCEPTION");
    old.put("truckId", 1).put("attempt", 2).put("destX", 6).put("destY", 7);
    old.set("history", written.get("history"));
    old.put("exceptionReason", "refused").put("revision", 3);
    assertEquals(state, replayed(old, ShipmentState.class));
    ShipmentState none =
        new ShipmentState(5, null, null, new ShipmentState.Progress(null, 0, 0, null), new ShipmentState.Place(0, 0), List.of(), 0);
    assertEquals(none, serialization.verifySerialization(none, false), "before any pickup created it");
  }

  @Test
  void shipmentWarehouseAndDispatcherEventsAndStates() {
    Shipment.Details details =
        new Shipment.Details(10, 1, 2, 3, 4, 5, 77L, List.of(new Shipment.Item(1, "book", 2)));
    Shipment.Step step = new Shipment.Step(Shipment.Status.WAITING, 1, 0, 2, 3, AT, null);
    List<Shipment.HistoryEntry> history = List.of(new Shipment.HistoryEntry("created", AT, 2, 3, 0, null));
    Cargo cargo = new Cargo(10, new Warehouse(1, 2, 3), new Location(4, 5), "1Z0123456789ABCDEF", false, 9, 0, 0);
    Dispatcher.Offer offer = new Dispatcher.Offer(1, List.of(10L));
    roundTrip(
        new Shipment.Created(details, "1Z0123456789ABCDEF", null, 9, AT),
        new Shipment.Stepped(step),
        new Shipment.LeftWarehouse(1, 0, 4, 5, AT),
        new Shipment.DestinationChanged(6, 7, AT),
        new Shipment.Claimed(5, AT),
        new ShipmentState(
            10, new ShipmentState.Order(details, "1Z0123456789ABCDEF", 9), 77L,
            new ShipmentState.Progress(Shipment.Status.WAITING, 1, 0, null), new ShipmentState.Place(4, 5), history, 3),
        new Shipment.Changed(
            new Shipment.Summary(10, details, "1Z0123456789ABCDEF", 9, 77L, Shipment.Status.WAITING, 1, 4, 5, history, null, 3)),
        new WarehouseRegistry.WarehouseAdded(1, 2, 3),
        new WarehouseRegistry.State(java.util.Map.of(1, "2,3")),
        new Dispatcher.Queued(List.of(cargo)),
        new Dispatcher.Offered(List.of(offer)),
        new Dispatcher.Answered(List.of(new Dispatcher.Answer(offer, List.of(10L)))),
        new Dispatcher.State(List.of(cargo), List.of(offer), List.of("9#0")),
        new Dispatcher.QueueView(List.of(11L), java.util.Map.of(1, List.of(10L))));
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
        new ResendSupervisor.Recorded(
            List.of(new ResendSupervisor.Item(1, new ResendSupervisor.Origin("Truck", "1", 1), new AmazonNotice.Delivered(10, 4, 5))),
            List.of()),
        new AmazonNotice.Status(10, "delivered", 4, 5),
        new AmazonRequest.Pickup(10, new AmazonRequest.Warehouse(1, 2, 3), 4, 5, null, List.of(new AmazonRequest.Item(1, "book", 2))),
        new AmazonRequest.Loaded(10, 1),
        new AmazonRequest.Query(10),
        new AmazonRequest.Refused("no", 3));
  }
}
