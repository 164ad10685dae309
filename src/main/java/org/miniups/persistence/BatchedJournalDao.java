package org.miniups.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import scala.Tuple2;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * pekko-persistence-jdbc's journal DAO with one change, for PostgreSQL: how a batch of rows is
 * written. When a batch carries tagged events the plugin inserts every row on its own (it needs
 * each row's {@code ordering} for the tag rows, and Slick does not batch inserts that return keys),
 * so one tagged shipment event turns a batch of hundreds of rows into hundreds of round trips.
 * Here every batch is at most two statements in one transaction, each with one array parameter per
 * column ({@code INSERT … SELECT FROM unnest(…) RETURNING …}, then the tag rows the same way): the
 * statement text never changes, so PostgreSQL parses it once, and however many rows a batch has it
 * costs two round trips. Reads and deletes are the plugin's own. Configured in
 * {@code conf/postgres.conf}.
 */
public final class BatchedJournalDao extends DefaultJournalDao {
  /** PostgreSQL's type of each journal column written, in the order of the insert's columns. */
  private static final List<String> COLUMN_TYPES =
      List.of("bool", "text", "int8", "text", "int8", "text", "bytea", "int4", "text", "bytea", "int4", "text");

  private final String insertEvents;
  private final String insertTags;

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
    String arrays = String.join(", ", COLUMN_TYPES.stream().map(type -> "?::" + type + "[]").toList());
    this.insertEvents =
        "INSERT INTO " + Sql.table(journal.schemaName(), journal.tableName()) + " (" + Sql.quoted(columns) + ") "
            + "SELECT * FROM unnest(" + arrays + ") "
            + "RETURNING " + Sql.quote(c.ordering()) + ", " + Sql.quote(c.persistenceId()) + ", " + Sql.quote(c.sequenceNumber());
    EventTagTableConfiguration tags = journalConfig.eventTagTableConfiguration();
    this.insertTags =
        "INSERT INTO " + Sql.table(tags.schemaName(), tags.tableName()) + " ("
            + Sql.quote(tags.columnNames().eventId()) + ", " + Sql.quote(tags.columnNames().tag()) + ") "
            + "SELECT * FROM unnest(?::bigint[], ?::text[])";
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      scala.collection.immutable.Seq<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> xs) {
    List<Row> rows = new ArrayList<>();
    for (Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>> x : CollectionConverters.asJava(xs)) {
      rows.add(new Row(x._1(), CollectionConverters.asJava(x._2())));
    }
    // As the plugin does: by sequence number, so each entity's events get increasing orderings.
    rows.sort(Comparator.comparingLong(row -> row.event().sequenceNumber()));
    SimpleJdbcAction<BoxedUnit> action = SimpleJdbcAction.apply(context -> write(context.connection(), rows));
    return Sql.run(db(), action);
  }

  private record Row(JournalPekkoSerializationRow event, Set<String> tags) {
    String key() {
      return key(event.persistenceId(), event.sequenceNumber());
    }

    static String key(String persistenceId, long sequenceNumber) {
      return persistenceId + "#" + sequenceNumber;
    }
  }

  private BoxedUnit write(Connection connection, List<Row> rows) {
    try {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        insertTags(connection, rows, insertEvents(connection, rows));
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

  /** All rows in one statement; the answer maps each row (entity, sequence number) to its ordering. */
  private Map<String, Long> insertEvents(Connection connection, List<Row> rows) throws SQLException {
    int n = rows.size();
    // Typed arrays, as the driver wants them (bytea columns as byte[][]).
    Object[] columns = {
      new Boolean[n], new String[n], new Long[n], new String[n], new Long[n], new String[n],
      new byte[n][], new Integer[n], new String[n], new byte[n][], new Integer[n], new String[n]
    };
    for (int i = 0; i < n; i++) {
      JournalPekkoSerializationRow e = rows.get(i).event();
      ((Boolean[]) columns[0])[i] = e.deleted();
      ((String[]) columns[1])[i] = e.persistenceId();
      ((Long[]) columns[2])[i] = e.sequenceNumber();
      ((String[]) columns[3])[i] = e.writer();
      ((Long[]) columns[4])[i] = e.writeTimestamp();
      ((String[]) columns[5])[i] = e.adapterManifest();
      ((byte[][]) columns[6])[i] = e.eventPayload();
      ((Integer[]) columns[7])[i] = e.eventSerId();
      ((String[]) columns[8])[i] = e.eventSerManifest();
      ((byte[][]) columns[9])[i] = e.metaPayload().isDefined() ? e.metaPayload().get() : null;
      ((Integer[]) columns[10])[i] = e.metaSerId().isDefined() ? (Integer) e.metaSerId().get() : null;
      ((String[]) columns[11])[i] = e.metaSerManifest().isDefined() ? e.metaSerManifest().get() : null;
    }
    Map<String, Long> orderings = new HashMap<>();
    try (PreparedStatement insert = connection.prepareStatement(insertEvents)) {
      for (int column = 0; column < columns.length; column++) {
        insert.setObject(column + 1, connection.createArrayOf(COLUMN_TYPES.get(column), (Object[]) columns[column]));
      }
      try (ResultSet keys = insert.executeQuery()) {
        while (keys.next()) orderings.put(Row.key(keys.getString(2), keys.getLong(3)), keys.getLong(1));
      }
    }
    return orderings;
  }

  private void insertTags(Connection connection, List<Row> rows, Map<String, Long> orderings) throws SQLException {
    List<Long> eventIds = new ArrayList<>();
    List<String> tags = new ArrayList<>();
    for (Row row : rows) {
      for (String tag : row.tags()) {
        Long ordering = orderings.get(row.key());
        if (ordering == null) throw new SQLException("no ordering returned for " + row.key());
        eventIds.add(ordering);
        tags.add(tag);
      }
    }
    if (eventIds.isEmpty()) return;
    try (PreparedStatement insert = connection.prepareStatement(insertTags)) {
      insert.setArray(1, connection.createArrayOf("int8", eventIds.toArray()));
      insert.setArray(2, connection.createArrayOf("text", tags.toArray()));
      insert.executeUpdate();
    }
  }
}
