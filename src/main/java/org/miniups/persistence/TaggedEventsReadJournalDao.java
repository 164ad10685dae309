package org.miniups.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * pekko-persistence-jdbc's read-journal DAO with one change: the query behind {@code eventsByTag}.
 * The plugin's joins the tag table to a derived table of the whole journal; H2 plans that as a
 * scan of every tag row, probing the journal for each (apache/pekko-persistence-jdbc#105), so
 * each poll of a slice that is up to date read all 600 000 tag rows of a 100 000-package journal,
 * and an idle service on H2 kept both cores busy. Here the tag's event ids come first, from the
 * index on (tag, event id) that {@link JournalSchema} adds, in index order and at most {@code max} of them,
 * and only those journal rows are read: a poll costs what it returns, on H2 and PostgreSQL alike.
 * Gap detection and offsets stay the plugin's (JdbcReadJournal asks this DAO for one page of
 * orderings in (offset, maxOffset]). Configured in {@code conf/persistence.conf}.
 */
public final class TaggedEventsReadJournalDao extends DefaultReadJournalDao {
  private static final Set<String> NO_TAGS = scala.collection.immutable.Set$.MODULE$.empty(); // as the plugin's: unused

  private final Serialization serialization;
  private final String eventsByTag;

  public TaggedEventsReadJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      ReadJournalConfig readJournalConfig,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, readJournalConfig, serialization, ec, mat);
    this.serialization = serialization;
    this.eventsByTag = eventsByTagQuery(readJournalConfig);
  }

  /** Parameters: tag, offset (exclusive), maxOffset (inclusive), max rows. */
  static String eventsByTagQuery(ReadJournalConfig readJournalConfig) {
    EventJournalTableConfiguration journal = readJournalConfig.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    EventTagTableConfiguration tags = readJournalConfig.eventTagTableConfiguration();
    String eventId = Sql.quote(tags.columnNames().eventId());
    String tag = Sql.quote(tags.columnNames().tag());
    // The tag leads the ORDER BY so that H2 reads the index in order and stops at the LIMIT.
    return "SELECT " + Sql.quoted(List.of(
                c.ordering(), c.deleted(), c.persistenceId(), c.sequenceNumber(), c.writer(), c.writeTimestamp(),
                c.adapterManifest(), c.eventPayload(), c.eventSerId(), c.eventSerManifest(), c.metaPayload(),
                c.metaSerId(), c.metaSerManifest()))
            + " FROM " + Sql.table(journal.schemaName(), journal.tableName())
            + " WHERE " + Sql.quote(c.ordering()) + " IN (SELECT " + eventId
            + " FROM " + Sql.table(tags.schemaName(), tags.tableName())
            + " WHERE " + tag + " = ? AND " + eventId + " > ? AND " + eventId + " <= ?"
            + " ORDER BY " + tag + ", " + eventId + " LIMIT ?)"
            + " AND " + Sql.quote(c.deleted()) + " = FALSE"
            + " ORDER BY " + Sql.quote(c.ordering());
  }

  @Override
  public org.apache.pekko.stream.scaladsl.Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(
      String tag, long offset, long maxOffset, long max) {
    long limit = correctMaxForH2Driver(max);
    SimpleJdbcAction<List<JournalPekkoSerializationRow>> page =
        SimpleJdbcAction.apply(context -> read(context.connection(), tag, offset, maxOffset, limit));
    return Source.lazyCompletionStage(() -> FutureConverters.asJava(Sql.run(db(), page)))
        .mapConcat(rows -> rows)
        .map(row -> PekkoSerialization.fromRow(serialization, row)
            .map(event -> new Tuple3<PersistentRepr, Set<String>, Object>(event._1(), NO_TAGS, event._2())))
        .mapMaterializedValue(ignored -> NotUsed.getInstance())
        .asScala();
  }

  private List<JournalPekkoSerializationRow> read(Connection connection, String tag, long offset, long maxOffset, long limit) {
    try (PreparedStatement query = connection.prepareStatement(eventsByTag)) {
      query.setString(1, tag);
      query.setLong(2, offset);
      query.setLong(3, maxOffset);
      query.setLong(4, limit);
      List<JournalPekkoSerializationRow> rows = new ArrayList<>();
      try (ResultSet rs = query.executeQuery()) {
        while (rs.next()) rows.add(row(rs));
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("reading the events tagged " + tag + " after " + offset + " failed: " + e.getMessage(), e);
    }
  }

  private static JournalPekkoSerializationRow row(ResultSet rs) throws SQLException {
    int metaSerId = rs.getInt(12);
    Option<Object> metaSerIdOrNone = rs.wasNull() ? Option.empty() : Option.apply(metaSerId);
    return new JournalPekkoSerializationRow(
        rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getLong(4), rs.getString(5), rs.getLong(6),
        rs.getString(7), rs.getBytes(8), rs.getInt(9), rs.getString(10), Option.apply(rs.getBytes(11)),
        metaSerIdOrNone, Option.apply(rs.getString(13)));
  }
}
