package org.miniups.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;

import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.link.SequenceAllocator;
import org.miniups.shipment.Shipment;

/**
 * The PostgreSQL journal DAO: tagged and untagged events written at the same time by many entities
 * (so batches mix them) all land, each tagged one with its tag row on its own ordering, readable
 * by tag in order and by recovery.
 */
class BatchedJournalDaoTest {
  private ActorTestKit testKit;

  @AfterEach
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  @Test
  void mixedBatchesOfTaggedAndUntaggedEventsLandWithTheirTags() throws Exception {
    String url = Database.POSTGRES.freshUrl();
    testKit = ActorTestKit.create("batched-journal", TestConfigs.jdbc(url));
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    String run = UUID.randomUUID().toString().substring(0, 8);
    TestProbe<Topic.Command<Shipment.Changed>> topic = testKit.createTestProbe();
    TestProbe<Shipment.CreateReply> created = testKit.createTestProbe();
    TestProbe<SequenceAllocator.Block> blocks = testKit.createTestProbe();
    int entities = 60;
    List<ActorRef<Shipment.Command>> shipments = new ArrayList<>();
    for (int i = 1; i <= entities; i++) {
      ActorRef<Shipment.Command> shipment = testKit.spawn(Shipment.create(i, topic.getRef(), Clock.systemUTC()));
      shipments.add(shipment);
      Shipment.Details details = new Shipment.Details(i, 1, 2, 3, 4, 5, null, List.of());
      shipment.tell(new Shipment.Create(details, null, 100 + i, created.getRef()));
      testKit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId("allocator-" + run + "-" + i)))
          .tell(new SequenceAllocator.Allocate(10, blocks.getRef()));
    }
    created.receiveSeveralMessages(entities, Duration.ofSeconds(30));
    blocks.receiveSeveralMessages(entities, Duration.ofSeconds(30));
    TestProbe<Done> stepped = testKit.createTestProbe();
    for (int i = 0; i < entities; i++) {
      shipments.get(i).tell(new Shipment.Update(
          new Shipment.Step(Shipment.Status.EN_ROUTE, 7, 0, 0, 0, java.time.Instant.now(), null), stepped.getRef()));
    }
    stepped.receiveSeveralMessages(entities, Duration.ofSeconds(30));

    com.typesafe.config.Config db = testKit.system().settings().config().getConfig("mini-ups.db");
    try (Connection c = DriverManager.getConnection(url, db.getString("user"), db.getString("password"));
        Statement st = c.createStatement()) {
      assertEquals(3L * entities, count(st, "SELECT COUNT(*) FROM event_journal"));
      assertEquals(2L * entities, count(st, "SELECT COUNT(*) FROM event_tag WHERE tag LIKE 'shipment-%'"));
      assertEquals(
          2L * entities,
          count(st, "SELECT COUNT(*) FROM event_tag t JOIN event_journal j ON j.ordering = t.event_id WHERE j.persistence_id LIKE 'Shipment|%'"),
          "every tag row points at its shipment event");
    }

    JdbcReadJournal journal = PersistenceQuery.get(testKit.system()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<EventEnvelope> tagged = new java.util.ArrayList<>();
    for (int slice = 0; slice < Shipment.SLICES; slice++) {
      tagged.addAll(journal.currentEventsByTag(Shipment.sliceTag(slice), Offset.noOffset()).runWith(Sink.seq(), testKit.system())
          .toCompletableFuture().get(30, TimeUnit.SECONDS));
    }
    assertEquals(2 * entities, tagged.size());
    for (int i = 1; i <= entities; i++) {
      String pid = Shipment.persistenceId(i).id();
      List<Long> seqNrs = tagged.stream().filter(e -> e.persistenceId().equals(pid)).map(EventEnvelope::sequenceNr).toList();
      assertEquals(List.of(1L, 2L), seqNrs, pid + " in order");
    }

    testKit.stop(shipments.get(0));
    ActorRef<Shipment.Command> recovered = testKit.spawn(Shipment.create(1, topic.getRef(), Clock.systemUTC()));
    TestProbe<Shipment.Summary> summary = testKit.createTestProbe();
    recovered.tell(new Shipment.Get(summary.getRef()));
    assertEquals(Shipment.Status.EN_ROUTE, summary.receiveMessage(Duration.ofSeconds(10)).status());
  }

  private static long count(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
