package org.miniups.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Option;
import scala.Tuple2;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.dbio.NoStream;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * pekko-persistence-jdbc's journal DAO with one change, for PostgreSQL: how a batch is written
 * when it carries tagged events. The plugin then inserts every row of the batch on its own (it
 * needs each row's {@code ordering} for the tag rows, and Slick does not batch inserts that return
 * keys), so one tagged shipment event turns a batch of hundreds of rows into hundreds of round
 * trips. Here such a batch is two statements in one transaction: all rows in one multi-row
 * {@code INSERT … RETURNING}, then all tag rows in one JDBC batch. Reads, deletes and batches
 * without tags are the plugin's own. Configured in {@code conf/postgres.conf}.
 */
public final class BatchedJournalDao extends DefaultJournalDao {
  /** PostgreSQL takes at most 65 535 parameters per statement; a row binds 12. */
  private static final int MAX_ROWS_PER_INSERT = 5000;

  private final String insertEvents;
  private final String rowValues;
  private final String returning;
  private final String insertTag;

  public BatchedJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      JournalConfig journalConfig,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    EventJournalTableConfiguration journal = journalConfig.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    List<String> columns =
        List.of(
            c.deleted(), c.persistenceId(), c.sequenceNumber(), c.writer(), c.writeTimestamp(), c.adapterManifest(),
            c.eventPayload(), c.eventSerId(), c.eventSerManifest(), c.metaPayload(), c.metaSerId(), c.metaSerManifest());
    this.insertEvents =
        "INSERT INTO " + table(journal.schemaName(), journal.tableName()) + " (" + quoted(columns) + ") VALUES ";
    this.rowValues = "(" + String.join(", ", columns.stream().map(column -> "?").toList()) + ")";
    this.returning = " RETURNING " + quote(c.ordering()) + ", " + quote(c.persistenceId()) + ", " + quote(c.sequenceNumber());
    EventTagTableConfiguration tags = journalConfig.eventTagTableConfiguration();
    this.insertTag =
        "INSERT INTO " + table(tags.schemaName(), tags.tableName()) + " ("
            + quote(tags.columnNames().eventId()) + ", " + quote(tags.columnNames().tag()) + ") VALUES (?, ?)";
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      scala.collection.immutable.Seq<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> xs) {
    List<Row> rows = new ArrayList<>();
    boolean tagged = false;
    for (Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>> x : CollectionConverters.asJava(xs)) {
      Set<String> tags = CollectionConverters.asJava(x._2());
      tagged |= !tags.isEmpty();
      rows.add(new Row(x._1(), tags));
    }
    if (!tagged) return super.writeJournalRows(xs); // the plugin batches those well
    // As the plugin does: by sequence number, so each entity's events get increasing orderings.
    rows.sort(Comparator.comparingLong(row -> row.event().sequenceNumber()));
    SimpleJdbcAction<BoxedUnit> action = SimpleJdbcAction.apply(context -> write(context.connection(), rows));
    return run(action);
  }

  /**
   * Scala's DBIOAction is contravariant in its effect type (run takes "any effect"), which Java
   * generics cannot express: the raw call is safe.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Future<BoxedUnit> run(DBIOAction<BoxedUnit, NoStream, ?> action) {
    return (Future<BoxedUnit>) db().run((DBIOAction) action);
  }

  private record Row(JournalPekkoSerializationRow event, Set<String> tags) {
    String key() {
      return event.persistenceId() + "\u0000" + event.sequenceNumber();
    }
  }

  private BoxedUnit write(Connection connection, List<Row> rows) {
    try {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        Map<String, Long> orderings = new HashMap<>();
        for (int from = 0; from < rows.size(); from += MAX_ROWS_PER_INSERT) {
          orderings.putAll(insertEvents(connection, rows.subList(from, Math.min(rows.size(), from + MAX_ROWS_PER_INSERT))));
        }
        insertTags(connection, rows, orderings);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
      return BoxedUnit.UNIT;
    } catch (SQLException e) {
      throw new IllegalStateException("writing " + rows.size() + " journal rows failed: " + e.getMessage(), e);
    }
  }

  /** One statement for all rows; the answer maps each row (entity, sequence number) to its ordering. */
  private Map<String, Long> insertEvents(Connection connection, List<Row> rows) throws SQLException {
    String sql = insertEvents + String.join(", ", rows.stream().map(row -> rowValues).toList()) + returning;
    Map<String, Long> orderings = new HashMap<>();
    try (PreparedStatement insert = connection.prepareStatement(sql)) {
      int p = 1;
      for (Row row : rows) {
        JournalPekkoSerializationRow e = row.event();
        insert.setBoolean(p++, e.deleted());
        insert.setString(p++, e.persistenceId());
        insert.setLong(p++, e.sequenceNumber());
        insert.setString(p++, e.writer());
        insert.setLong(p++, e.writeTimestamp());
        insert.setString(p++, e.adapterManifest());
        insert.setBytes(p++, e.eventPayload());
        insert.setInt(p++, e.eventSerId());
        insert.setString(p++, e.eventSerManifest());
        setOptional(insert, p++, e.metaPayload(), Types.BINARY);
        setOptional(insert, p++, e.metaSerId(), Types.INTEGER);
        setOptional(insert, p++, e.metaSerManifest(), Types.VARCHAR);
      }
      try (ResultSet keys = insert.executeQuery()) {
        while (keys.next()) orderings.put(keys.getString(2) + "\u0000" + keys.getLong(3), keys.getLong(1));
      }
    }
    return orderings;
  }

  private void insertTags(Connection connection, List<Row> rows, Map<String, Long> orderings) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(insertTag)) {
      for (Row row : rows) {
        for (String tag : row.tags()) {
          Long ordering = orderings.get(row.key());
          if (ordering == null) throw new SQLException("no ordering returned for " + row.key().replace('\u0000', '#'));
          insert.setLong(1, ordering);
          insert.setString(2, tag);
          insert.addBatch();
        }
      }
      insert.executeBatch();
    }
  }

  private static void setOptional(PreparedStatement statement, int index, Option<?> value, int sqlType)
      throws SQLException {
    if (value.isEmpty()) statement.setNull(index, sqlType);
    else statement.setObject(index, value.get());
  }

  private static String table(Option<String> schema, String name) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(name) : quote(name);
  }

  private static String quoted(List<String> names) {
    return String.join(", ", names.stream().map(BatchedJournalDao::quote).toList());
  }

  private static String quote(String name) {
    return "\"" + name + "\"";
  }
}
