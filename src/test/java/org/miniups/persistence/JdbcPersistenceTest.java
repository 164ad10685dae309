package org.miniups.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.link.InboundDedup;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.truck.Truck;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

/**
 * The persistent actors on the real journal, on both databases we support: H2 (a file, the
 * default) and PostgreSQL (a real server, started by .ci/run). Each test restarts an actor and
 * checks what it recovered.
 */
class JdbcPersistenceTest {
  private ActorTestKit testKit;

  private ActorTestKit start(Database database) throws Exception {
    testKit = ActorTestKit.create("jdbc-" + database.name().toLowerCase(), TestConfigs.jdbc(database.freshUrl()));
    // Twice: creating the schema must be idempotent.
    SchemaUtils.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    SchemaUtils.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
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
    TestProbe<ResendSupervisor.Stored> stored = kit.createTestProbe();
    outbox.tell(new ResendSupervisor.Store("a", new WorldCommand.GoPickup(1, 2), stored.getRef()));
    long kept = stored.receiveMessage(Duration.ofSeconds(10)).seqnum();
    outbox.tell(new ResendSupervisor.Store("b", new WorldCommand.Query(1), stored.getRef()));
    long acked = stored.receiveMessage(Duration.ofSeconds(10)).seqnum();
    outbox.tell(new ResendSupervisor.Acked(List.of(acked)));
    TestProbe<ResendSupervisor.Status> status = kit.createTestProbe();
    outbox.tell(new ResendSupervisor.GetStatus(status.getRef()));
    assertEquals(1, status.receiveMessage(Duration.ofSeconds(10)).unacked());
    kit.stop(outbox);

    ActorRef<ResendSupervisor.Command> recovered =
        kit.spawn(ResendSupervisor.create(id, allocator, Duration.ofSeconds(5), 100));
    TestProbe<ResendSupervisor.Transmit> link = kit.createTestProbe();
    recovered.tell(new ResendSupervisor.LinkUp(link.getRef()));
    ResendSupervisor.Transmit transmit = link.receiveMessage(Duration.ofSeconds(10));
    assertEquals(1, transmit.items().size());
    assertEquals(kept, transmit.items().get(0).seqnum());
    assertEquals(new WorldCommand.GoPickup(1, 2), transmit.items().get(0).message());
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
    inbox.tell(new InboundDedup.Deliver(11, new WorldEvent.PackageDelivered(1, 5), acks.getRef()));
    assertEquals(11, acks.receiveMessage(Duration.ofSeconds(10)).seqnum());
    kit.stop(inbox);

    ActorRef<InboundDedup.Command> recovered = kit.spawn(InboundDedup.create(id, "World", 1000, handler));
    recovered.tell(new InboundDedup.Deliver(11, new WorldEvent.PackageDelivered(1, 5), acks.getRef()));
    assertEquals(11, acks.receiveMessage(Duration.ofSeconds(10)).seqnum());
    assertEquals(1, handled.size());
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void truckRecoversItsTripFromEventsAndSnapshots(Database database) throws Exception {
    ActorTestKit kit = start(database);
    int truckId = Math.abs(UUID.randomUUID().hashCode() % 1_000_000) + 1000;
    TestProbe<ResendSupervisor.Command> outbox = kit.createTestProbe();
    var topic = kit.<org.apache.pekko.actor.typed.pubsub.Topic.Command<Truck.Changed>>createTestProbe();
    TestProbe<Object> elsewhere = kit.createTestProbe(); // shipments, Amazon, dispatcher: not under test
    Truck.Links links =
        new Truck.Links(outbox.getRef(), elsewhere.getRef().unsafeUpcast(), id -> elsewhere.getRef().unsafeUpcast(), elsewhere.getRef().unsafeUpcast());
    ActorRef<Truck.Command> truck =
        kit.spawn(Truck.create(truckId, new Truck.Location(0, 0), links, topic.getRef(), Clock.systemUTC()));
    TestProbe<Done> done = kit.createTestProbe();
    // More than 200 events: the truck snapshots, so recovery reads a snapshot plus events.
    for (int i = 0; i < 210; i++) {
      truck.tell(new Truck.ReportFromWorld(new WorldEvent.TruckReport(truckId, "idle", i, i), done.getRef()));
      done.receiveMessage(Duration.ofSeconds(10));
    }
    TestProbe<Truck.AssignmentReply> assigned = kit.createTestProbe();
    Truck.Warehouse warehouse = new Truck.Warehouse(4, 40, 41);
    truck.tell(new Truck.AssignPickup(new Truck.Cargo(77, warehouse, new Truck.Location(5, 6)), assigned.getRef()));
    assertTrue(assigned.receiveMessage(Duration.ofSeconds(10)).accepted());
    outbox.expectMessageClass(ResendSupervisor.Store.class, Duration.ofSeconds(10));
    TestProbe<Truck.State> state = kit.createTestProbe();
    truck.tell(new Truck.GetState(state.getRef()));
    Truck.State before = state.receiveMessage(Duration.ofSeconds(10));
    kit.stop(truck);

    ActorRef<Truck.Command> recovered =
        kit.spawn(Truck.create(truckId, new Truck.Location(0, 0), links, topic.getRef(), Clock.systemUTC()));
    recovered.tell(new Truck.GetState(state.getRef()));
    Truck.State after = state.receiveMessage(Duration.ofSeconds(10));
    assertEquals(before, after);
    assertEquals(Truck.Phase.TO_WAREHOUSE, after.phase());
    assertEquals(new Truck.Location(209, 209), after.position());
    // The pickup was never confirmed by the outbox: recovery sends it again.
    ResendSupervisor.Store again = outbox.expectMessageClass(ResendSupervisor.Store.class, Duration.ofSeconds(10));
    assertEquals(new WorldCommand.GoPickup(truckId, 4), again.message());
  }
}
