package org.miniups.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldIdentity;

/**
 * What lands in the journal names its types, never a Java class: the manifest column is empty and
 * the payload carries a type name. A row written by hand with nothing but that name is replayed.
 */
class StoredFormatTest {
  private static final ObjectMapper CBOR = new CBORMapper();

  private ActorTestKit testKit;
  private String url;

  private ActorTestKit start(Database database) throws Exception {
    url = database.freshUrl();
    testKit = ActorTestKit.create("stored-" + database.name().toLowerCase(), TestConfigs.jdbc(url));
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return testKit;
  }

  @AfterEach
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  private record Row(String persistenceId, String manifest, byte[] payload) {}

  @ParameterizedTest
  @EnumSource(Database.class)
  void journalRowsCarryTypeNamesAndNoClassNames(Database database) throws Exception {
    ActorTestKit kit = start(database);
    String suffix = UUID.randomUUID().toString();
    ActorRef<SequenceAllocator.Command> allocator =
        kit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId("allocator-" + suffix)));
    ActorRef<ResendSupervisor.Command> outbox =
        kit.spawn(
            ResendSupervisor.create(PersistenceId.ofUniqueId("outbox-" + suffix), allocator, Duration.ofSeconds(5), 10));
    TestProbe<ResendSupervisor.StoredThrough> stored = kit.createTestProbe();
    outbox.tell(
        new ResendSupervisor.Store(
            new ResendSupervisor.Origin("Truck", "1", 1), List.of(new WorldCommand.GoPickup(1, 3)), stored.getRef()));
    stored.receiveMessage(Duration.ofSeconds(10));

    List<Row> rows = rows("outbox-" + suffix, "allocator-" + suffix);
    assertEquals(2, rows.size(), "one reservation, one queued item");
    for (Row row : rows) {
      assertEquals("", row.manifest(), row.persistenceId() + ": no manifest");
      String raw = new String(row.payload(), StandardCharsets.ISO_8859_1);
      assertFalse(raw.contains("org.miniups"), row.persistenceId() + " payload names a Java class: " + raw);
    }
    JsonNode queued = CBOR.readTree(rows("outbox-" + suffix).get(0).payload());
    assertEquals("outbox.recorded", queued.get("type").asText());
    assertEquals("world.go-pickup", queued.get("queued").get(0).get("message").get("type").asText());
    assertEquals("allocator.reserved", CBOR.readTree(rows("allocator-" + suffix).get(0).payload()).get("type").asText());
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void anEventWrittenByTypeNameAloneIsReplayed(Database database) throws Exception {
    ActorTestKit kit = start(database);
    String persistenceId = "world-identity-" + UUID.randomUUID();
    byte[] payload = CBOR.writeValueAsBytes(CBOR.createObjectNode().put("type", "world-identity.world-claimed").put("worldId", 77));
    try (Connection c = connect();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO \"event_journal\" (\"deleted\", \"persistence_id\", \"sequence_number\", \"writer\", "
                    + "\"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") "
                    + "VALUES (false, ?, 1, 'test', 0, '', ?, ?, '')")) {
      insert.setString(1, persistenceId);
      insert.setBytes(2, payload);
      insert.setInt(3, namedSerializerId(kit));
      insert.executeUpdate();
    }

    ActorRef<WorldIdentity.Command> identity = kit.spawn(WorldIdentity.create(PersistenceId.ofUniqueId(persistenceId)));
    TestProbe<WorldIdentity.State> probe = kit.createTestProbe();
    identity.tell(new WorldIdentity.Get(probe.getRef()));
    assertEquals(77, probe.receiveMessage(Duration.ofSeconds(10)).worldId());
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void snapshotStatesAreWrittenWithoutAManifest(Database database) throws Exception {
    ActorTestKit kit = start(database);
    Serialization serialization = SerializationExtension.get(kit.system());
    for (Object state : List.of(new SequenceAllocator.State(5), new WorldIdentity.State(3))) {
      assertEquals("", Serializers.manifestFor(serialization.findSerializerFor(state), state), state.toString());
      assertEquals(namedSerializerId(kit), serialization.findSerializerFor(state).identifier());
    }
  }

  private static int namedSerializerId(ActorTestKit kit) {
    return kit.system().settings().config().getInt("pekko.actor.serialization-identifiers.jackson-cbor-named");
  }

  private Connection connect() throws Exception {
    com.typesafe.config.Config db = testKit.system().settings().config().getConfig("mini-ups.db");
    return DriverManager.getConnection(url, db.getString("user"), db.getString("password"));
  }

  private List<Row> rows(String... persistenceIds) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (Connection c = connect();
        PreparedStatement query =
            c.prepareStatement(
                "SELECT \"persistence_id\", \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\" "
                    + "WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
      for (String id : persistenceIds) {
        query.setString(1, id);
        try (ResultSet rs = query.executeQuery()) {
          while (rs.next()) rows.add(new Row(rs.getString(1), rs.getString(2), rs.getBytes(3)));
        }
      }
    }
    return rows;
  }
}
