package org.miniups.persistence;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;
import org.miniups.truck.TripPlanning;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestCargo;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.link.InboundDedup;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.truck.Truck;
import org.miniups.truck.TruckLinks;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

/**
 * The persistent actors on the real journal, on both databases we support: H2 (a file, the
 * default) and PostgreSQL (a real server, started by .ci/run). Each test restarts an actor and
 * checks what it recovered.
 */
class JdbcPersistenceTest {
  private static final TripPlanning LEAVE_WHEN_LOADED = new TripPlanning(new RoutePlanner(Metric.EUCLIDEAN), 10, Duration.ZERO);
  private ActorTestKit testKit;

  private ActorTestKit start(Database database) throws Exception {
    testKit = ActorTestKit.create("jdbc-" + database.name().toLowerCase(), TestConfigs.jdbc(database.freshUrl()));
    // Twice: creating the schema must be idempotent.
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return testKit;
  }

  @AfterEach
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void sequenceAllocatorNeverReusesNumbersAfterARestart(Database database) throws Exception {
    ActorTestKit kit = start(database);
    PersistenceId id = PersistenceId.ofUniqueId(unique("allocator"));
    TestProbe<SequenceAllocator.Block> probe = kit.createTestProbe();
    Set<Long> issued = new HashSet<>();
    for (int run = 0; run < 3; run++) {
      ActorRef<SequenceAllocator.Command> allocator = kit.spawn(SequenceAllocator.create(id));
      for (int i = 0; i < 4; i++) {
        allocator.tell(new SequenceAllocator.Allocate(25, probe.getRef()));
        SequenceAllocator.Block block = probe.receiveMessage(Duration.ofSeconds(10));
        for (long n = block.first(); n < block.end(); n++) assertTrue(issued.add(n), "reused " + n);
      }
      kit.stop(allocator);
    }
    assertEquals(300, issued.size());
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void outboxKeepsUnackedItemsAcrossARestart(Database database) throws Exception {
    ActorTestKit kit = start(database);
    ActorRef<SequenceAllocator.Command> allocator =
        kit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId(unique("allocator"))));
    PersistenceId id = PersistenceId.ofUniqueId(unique("outbox"));
    ActorRef<ResendSupervisor.Command> outbox =
        kit.spawn(ResendSupervisor.create(id, allocator, Duration.ofSeconds(5), 100));
    TestProbe<ResendSupervisor.Transmit> firstLink = kit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(firstLink.getRef()));
    TestProbe<ResendSupervisor.StoredThrough> stored = kit.createTestProbe();
    outbox.tell(
        new ResendSupervisor.Store(
            new ResendSupervisor.Origin("Truck", "1", 1),
            List.of(new WorldCommand.GoPickup(1, 2), new WorldCommand.Query(1)),
            stored.getRef()));
    assertEquals(2, stored.receiveMessage(Duration.ofSeconds(10)).effectId());
    List<ResendSupervisor.Item> sent = firstLink.receiveMessage(Duration.ofSeconds(10)).items();
    long kept = sent.get(0).seqnum();
    long acked = sent.get(1).seqnum();
    outbox.tell(new ResendSupervisor.Acked(List.of(acked)));
    TestProbe<ResendSupervisor.Status> status = kit.createTestProbe();
    outbox.tell(new ResendSupervisor.GetStatus(status.getRef()));
    assertEquals(1, status.receiveMessage(Duration.ofSeconds(10)).unacked());
    // Acks are recorded late, with the next store.
    outbox.tell(
        new ResendSupervisor.Store(
            new ResendSupervisor.Origin("Truck", "2", 1), List.of(new WorldCommand.Query(2)), stored.getRef()));
    stored.receiveMessage(Duration.ofSeconds(10));
    kit.stop(outbox);

    ActorRef<ResendSupervisor.Command> recovered =
        kit.spawn(ResendSupervisor.create(id, allocator, Duration.ofSeconds(5), 100));
    TestProbe<ResendSupervisor.Transmit> link = kit.createTestProbe();
    recovered.tell(new ResendSupervisor.LinkUp(link.getRef()));
    ResendSupervisor.Transmit transmit = link.receiveMessage(Duration.ofSeconds(10));
    assertEquals(2, transmit.items().size(), transmit.toString());
    assertEquals(kept, transmit.items().get(0).seqnum());
    assertEquals(new WorldCommand.GoPickup(1, 2), transmit.items().get(0).message());
    assertEquals(new WorldCommand.Query(2), transmit.items().get(1).message());
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void inboxRemembersHandledSeqnumsAcrossARestart(Database database) throws Exception {
    ActorTestKit kit = start(database);
    PersistenceId id = PersistenceId.ofUniqueId(unique("inbox"));
    List<Object> handled = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    InboundDedup.Handler handler =
        (seqnum, message) -> {
          handled.add(message);
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
        };
    TestProbe<InboundDedup.Ack> acks = kit.createTestProbe();
    ActorRef<InboundDedup.Command> inbox = kit.spawn(InboundDedup.create(id, "World", 1000, handler));
    WorldEvent.PackageDelivered first = new WorldEvent.PackageDelivered(1, 5);
    inbox.tell(new InboundDedup.Deliver(11, first, acks.getRef()));
    assertEquals(11, acks.receiveMessage(Duration.ofSeconds(10)).seqnum());
    acks.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(List.of(first), handled);
      return null;
    });
    // The next write records that 11 is finished.
    inbox.tell(new InboundDedup.Deliver(12, new WorldEvent.PackageDelivered(1, 6), acks.getRef()));
    assertEquals(12, acks.receiveMessage(Duration.ofSeconds(10)).seqnum());
    kit.stop(inbox);

    ActorRef<InboundDedup.Command> recovered = kit.spawn(InboundDedup.create(id, "World", 1000, handler));
    recovered.tell(new InboundDedup.Deliver(11, first, acks.getRef()));
    assertEquals(11, acks.receiveMessage(Duration.ofSeconds(10)).seqnum());
    assertEquals(1, handled.stream().filter(first::equals).count(), "11 handled once: " + handled);
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void aBurstOfStoresIsWrittenInFewRows(Database database) throws Exception {
    ActorTestKit kit = start(database);
    ActorRef<SequenceAllocator.Command> allocator =
        kit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId(unique("allocator"))));
    PersistenceId id = PersistenceId.ofUniqueId(unique("outbox"));
    ActorRef<ResendSupervisor.Command> outbox = kit.spawn(ResendSupervisor.create(id, allocator, Duration.ofSeconds(5), 1000));
    TestProbe<ResendSupervisor.StoredThrough> stored = kit.createTestProbe();
    int burst = 200;
    for (int truckId = 1; truckId <= burst; truckId++) {
      outbox.tell(
          new ResendSupervisor.Store(
              new ResendSupervisor.Origin("Truck", String.valueOf(truckId), 1),
              List.of(new WorldCommand.GoPickup(truckId, 1)),
              stored.getRef()));
    }
    stored.receiveSeveralMessages(burst, Duration.ofSeconds(30));
    long rows = journalRows(kit, id.id());
    assertTrue(rows >= 1 && rows <= burst / 10, burst + " stores took " + rows + " rows");
  }

  private static long journalRows(ActorTestKit kit, String persistenceId) throws Exception {
    com.typesafe.config.Config db = kit.system().settings().config().getConfig("mini-ups.db");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"));
        java.sql.PreparedStatement count =
            c.prepareStatement("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      count.setString(1, persistenceId);
      try (java.sql.ResultSet rs = count.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void truckRecoversItsTripFromEventsAndSnapshots(Database database) throws Exception {
    ActorTestKit kit = start(database);
    int truckId = Math.abs(UUID.randomUUID().hashCode() % 1_000_000) + 1000;
    TestProbe<ResendSupervisor.Command> outbox = kit.createTestProbe();
    var topic = kit.<org.apache.pekko.actor.typed.pubsub.Topic.Command<Truck.Changed>>createTestProbe();
    TestProbe<Object> elsewhere = kit.createTestProbe(); // shipments and Amazon: not under test
    TruckLinks links =
        new TruckLinks(
            outbox.getRef(),
            elsewhere.getRef().unsafeUpcast(),
            id -> elsewhere.getRef().unsafeUpcast(),
            cargo -> java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance()));
    ActorRef<Truck.Command> truck =
        kit.spawn(Truck.create(truckId, new Location(0, 0), links, topic.getRef(), LEAVE_WHEN_LOADED, Clock.systemUTC()));
    TestProbe<Truck.AssignmentReply> assigned = kit.createTestProbe();
    TestProbe<Done> done = kit.createTestProbe();
    Warehouse warehouse = new Warehouse(4, 40, 41);
    // More than 200 events (a pickup, refused, 105 times): recovery reads a snapshot plus events.
    for (int trip = 1; trip <= 105; trip++) {
      Cargo cargo = TestCargo.of(trip, warehouse, new Location(5, 6));
      truck.tell(new Truck.AssignPickups(List.of(cargo), assigned.getRef()));
      assertEquals(List.of((long) trip), assigned.receiveMessage(Duration.ofSeconds(10)).accepted());
      truck.tell(new Truck.CommandRefused(trip, "error: busy", done.getRef()));
      done.receiveMessage(Duration.ofSeconds(10));
    }
    truck.tell(new Truck.AssignPickups(List.of(TestCargo.of(777, warehouse, new Location(5, 6))), assigned.getRef()));
    assertEquals(List.of(777L), assigned.receiveMessage(Duration.ofSeconds(10)).accepted());
    TestProbe<Truck.Summary> summary = kit.createTestProbe();
    truck.tell(new Truck.GetSummary(summary.getRef()));
    Truck.Summary before = summary.receiveMessage(Duration.ofSeconds(10));
    kit.stop(truck);
    outbox.receiveSeveralMessages(1, Duration.ofSeconds(10)); // the first GoPickup; never confirmed

    ActorRef<Truck.Command> recovered =
        kit.spawn(Truck.create(truckId, new Location(0, 0), links, topic.getRef(), LEAVE_WHEN_LOADED, Clock.systemUTC()));
    recovered.tell(new Truck.GetSummary(summary.getRef()));
    Truck.Summary after = summary.receiveMessage(Duration.ofSeconds(10));
    assertEquals(before, after);
    assertEquals(Truck.Phase.TO_WAREHOUSE, after.phase());
    assertEquals("error: busy", after.lastError());
    // Nothing was ever confirmed by the outbox: recovery sends every pickup again, same numbers.
    ResendSupervisor.Store again = (ResendSupervisor.Store) outbox.receiveMessage(Duration.ofSeconds(10));
    assertEquals(new ResendSupervisor.Origin("Truck", String.valueOf(truckId), 1), again.first());
    assertEquals(106, again.messages().size());
    assertEquals(new WorldCommand.GoPickup(truckId, 4), again.messages().get(105));
  }
}
