package org.miniups.shipment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.db.ReadSideDatabase;
import org.miniups.persistence.JournalSchema;

/**
 * The package index in slices, on a real journal: every shipment lands in its slice's tag, each
 * slice's instance keeps its own offset, and a restarted instance resumes from that offset rather
 * than reading its slice again (a row changed behind the index's back stays as it is, where
 * reading shipment 1's step again would overwrite it), then applies what happened while it was
 * stopped. Its lag gauges then read 0.
 */
class SlicedPackageIndexTest {
  private static final int SHIPMENTS = 12;

  private ActorTestKit testKit;
  private ReadSideDatabase db;

  @AfterEach
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
    if (db != null) db.close();
  }

  @Test
  void eachSliceResumesFromItsOwnOffsetAfterARestart() throws Exception {
    String url = Database.H2.freshUrl();
    testKit = ActorTestKit.create(TestConfigs.jdbc(url));
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get();
    db = ReadSideDatabase.open(url, testKit.system().settings().config().getString("mini-ups.db.user"), "", 2);
    ActorRef<Topic.Command<Shipment.Changed>> topic = testKit.spawn(Topic.create(Shipment.Changed.class, "changes"));
    List<ActorRef<Shipment.Command>> shipments =
        IntStream.rangeClosed(1, SHIPMENTS).mapToObj(id -> testKit.spawn(Shipment.create(id, topic, Clock.systemUTC()))).toList();
    for (int id = 1; id <= SHIPMENTS; id++) create(id, shipments.get(id - 1));
    sendOnItsWay(shipments.get(0));

    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    List<ActorRef<Void>> slices = startSlices(metrics);
    awaitStatuses(Map.of("created", (long) SHIPMENTS - 1, "truck en route to warehouse", 1L));
    for (int slice = 0; slice < Shipment.SLICES; slice++) {
      assertEquals(lastTagged(Shipment.sliceTag(slice)), PackageIndexProjection.storedOffset(db.dataSource(), PackageIndexProjection.offsetName(slice)),
          "slice " + slice + " stored the last event of its own tag");
    }
    slices.forEach(testKit::stop);

    sql("UPDATE package_index SET status = 'changed behind its back' WHERE ship_id = 1");
    shipments.subList(1, SHIPMENTS).forEach(this::sendOnItsWay);
    startSlices(metrics);
    awaitStatuses(Map.of("changed behind its back", 1L, "truck en route to warehouse", (long) SHIPMENTS - 1));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      for (int slice = 0; slice < Shipment.SLICES; slice++) {
        assertEquals(0.0, metrics.get("ups.projection.lag.events").tag("slice", String.valueOf(slice)).gauge().value());
      }
      return null;
    });
  }

  private List<ActorRef<Void>> startSlices(SimpleMeterRegistry metrics) {
    List<ActorRef<Void>> slices = new ArrayList<>();
    for (int slice = 0; slice < Shipment.SLICES; slice++) {
      slices.add(testKit.spawn(PackageIndexProjection.create(db.dataSource(), slice, metrics)));
    }
    return slices;
  }

  private void create(long shipId, ActorRef<Shipment.Command> shipment) {
    TestProbe<Shipment.CreateReply> reply = testKit.createTestProbe();
    Shipment.Details details = new Shipment.Details(shipId, 1, 2, 3, 4, 5, null, List.of());
    shipment.tell(new Shipment.Create(details, null, shipId, reply.getRef()));
    reply.receiveMessage(Duration.ofSeconds(10));
  }

  private void sendOnItsWay(ActorRef<Shipment.Command> shipment) {
    TestProbe<Done> reply = testKit.createTestProbe();
    Shipment.Step step = new Shipment.Step(Shipment.Status.EN_ROUTE, 1, 1, 0, 0, java.time.Instant.now(), null);
    shipment.tell(new Shipment.Update(step, reply.getRef()));
    reply.receiveMessage(Duration.ofSeconds(10));
  }

  private void awaitStatuses(Map<String, Long> expected) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(new TreeMap<>(expected), statuses());
      return null;
    });
  }

  private Map<String, Long> statuses() throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement st = c.prepareStatement("SELECT status, COUNT(*) FROM package_index GROUP BY status");
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) out.put(rs.getString(1), rs.getLong(2));
    }
    return out;
  }

  private long lastTagged(String tag) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement st = c.prepareStatement("SELECT MAX(\"event_id\") FROM \"event_tag\" WHERE \"tag\" = ?")) {
      st.setString(1, tag);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private void sql(String statement) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement st = c.prepareStatement(statement)) {
      st.executeUpdate();
    }
  }
}
