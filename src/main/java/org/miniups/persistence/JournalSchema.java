package org.miniups.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.miniups.AppConfig;

/**
 * Creates the journal, tag and snapshot tables when missing (idempotent), from the DDL that ships
 * inside pekko-persistence-jdbc. {@code SchemaUtils.createIfNotExists} would pick the legacy
 * schema as soon as the journal DAO is not the plugin's own (ours on PostgreSQL is {@link
 * BatchedJournalDao}, which uses the same tables), so the script is chosen here by database. An
 * index on the tag table by (tag, event id) follows, for {@link TaggedEventsReadJournalDao}; the
 * plugin's DDL names its tables in lower case, hence the quotes (the same on PostgreSQL).
 */
public final class JournalSchema {
  private static final String TAG_INDEX =
      "CREATE INDEX IF NOT EXISTS event_tag_tag_event_id_idx ON \"event_tag\" (\"tag\", \"event_id\");";

  private JournalSchema() {}

  /** Creates the tables when the journal is this plugin's; another journal (the testkit's) needs none. */
  public static CompletionStage<Done> createIfNotExists(ClassicActorSystemProvider system) {
    if (!AppConfig.usesJdbcJournal(system.classicSystem().settings().config())) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    boolean postgres = AppConfig.usesPostgres(system.classicSystem().settings().config());
    String script = postgres ? "schema/postgres/postgres-create-schema.sql" : "schema/h2/h2-create-schema.sql";
    return SchemaUtils.applyScript(read(script) + "\n" + TAG_INDEX, system);
  }

  private static String read(String resource) {
    try (InputStream in = JournalSchema.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException(resource + " is missing from pekko-persistence-jdbc");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
