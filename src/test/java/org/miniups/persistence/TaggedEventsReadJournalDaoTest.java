package org.miniups.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.stream.javadsl.Sink;
import com.typesafe.config.Config;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;

/**
 * Events by tag through our DAO on a real H2 journal: the tag's events only, in journal order,
 * from an offset; and a page of a tag's events reads about as many rows as it returns, where the
 * plugin's own query reads every tag row of the journal.
 */
class TaggedEventsReadJournalDaoTest {
  private static final int PER_TAG = 20;
  private static final int PAGE = 5;

  private ActorTestKit testKit;

  @AfterEach
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  @Test
  void aTagsEventsComeInJournalOrderFromAnOffsetAndAPollReadsOnlyWhatItReturns() throws Exception {
    Config config = TestConfigs.jdbc(Database.H2.freshUrl());
    testKit = ActorTestKit.create(config);
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get();
    String url = config.getString("mini-ups.db.url");

    ActorRef<Append> first = testKit.spawn(TaggedLog.create("log-1"));
    ActorRef<Append> second = testKit.spawn(TaggedLog.create("log-2"));
    TestProbe<Done> stored = testKit.createTestProbe();
    for (int i = 0; i < PER_TAG; i++) {
      (i % 2 == 0 ? first : second).tell(new Append("a" + i, stored.getRef()));
      stored.receiveMessage();
      (i % 2 == 0 ? second : first).tell(new Append("b" + i, stored.getRef()));
      stored.receiveMessage();
    }

    JdbcReadJournal journal = PersistenceQuery.get(testKit.system()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<EventEnvelope> all = currentEventsByTag(journal, "a", 0);
    assertEquals(expected(0), all.stream().map(e -> e.event().toString()).toList());
    for (int i = 1; i < all.size(); i++) {
      assertTrue(ordering(all.get(i)) > ordering(all.get(i - 1)), "journal order at " + i);
    }
    long tenth = ordering(all.get(9));
    assertEquals(expected(10), currentEventsByTag(journal, "a", tenth).stream().map(e -> e.event().toString()).toList());

    long last = ordering(all.get(all.size() - 1));
    String query = TaggedEventsReadJournalDao.eventsByTagQuery(new ReadJournalConfig(config.getConfig("jdbc-read-journal")));
    try (Connection c = DriverManager.getConnection(url, config.getString("mini-ups.db.user"), "");
        PreparedStatement explain = c.prepareStatement("EXPLAIN ANALYZE " + query)) {
      explain.setString(1, "a");
      explain.setLong(2, 0);
      explain.setLong(3, last);
      explain.setLong(4, PAGE);
      try (ResultSet plan = explain.executeQuery()) {
        plan.next();
        String text = plan.getString(1);
        List<Integer> scanned = new ArrayList<>();
        Matcher m = Pattern.compile("scanCount: (\\d+)").matcher(text);
        while (m.find()) scanned.add(Integer.parseInt(m.group(1)));
        assertTrue(!scanned.isEmpty() && scanned.stream().allMatch(n -> n <= PAGE + 1),
            "a page of " + PAGE + " of the " + 2 * PER_TAG + " events scans at most " + (PAGE + 1) + " rows per table, scanned "
                + scanned + " in\n" + text);
      }
    }
  }

  private static List<String> expected(int from) {
    List<String> events = new ArrayList<>();
    for (int i = from; i < PER_TAG; i++) events.add("a" + i);
    return events;
  }

  private static long ordering(EventEnvelope envelope) {
    return ((Sequence) envelope.offset()).value();
  }

  private List<EventEnvelope> currentEventsByTag(JdbcReadJournal journal, String tag, long offset) throws Exception {
    return journal.currentEventsByTag(tag, Offset.sequence(offset))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture()
        .get(Duration.ofSeconds(30).toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
  }

  record Append(String event, ActorRef<Done> replyTo) {}

  /** Persists each event, a string tagged with its first letter. */
  static final class TaggedLog extends EventSourcedBehavior<Append, String, List<String>> {
    static Behavior<Append> create(String id) {
      return new TaggedLog(PersistenceId.ofUniqueId(id));
    }

    private TaggedLog(PersistenceId id) {
      super(id);
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public CommandHandler<Append, String, List<String>> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Append.class, (state, append) -> Effect().persist(append.event())
              .thenRun(ignored -> append.replyTo().tell(Done.getInstance())))
          .build();
    }

    @Override
    public EventHandler<List<String>, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state);
    }

    @Override
    public Set<String> tagsFor(String event) {
      return Set.of(event.substring(0, 1)); // "a7" is tagged "a"
    }
  }
}
