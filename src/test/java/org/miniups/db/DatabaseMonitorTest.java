package org.miniups.db;

import org.miniups.TestLogs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The database monitor, on a data source that can be switched off, with manual time. */
class DatabaseMonitorTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config());
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final Duration INTERVAL = Duration.ofSeconds(2);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** An H2 database in memory whose connections are refused while {@code away} is set. */
  private static DataSource switchable(AtomicBoolean away) {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getConnection") && away.get()) throw new SQLException("Connection refused");
              return method.invoke(h2, args);
            });
  }

  private static DatabaseMonitor.Status statusAfterACheck(ActorRef<DatabaseMonitor.Command> monitor, boolean reachable) {
    TestProbe<DatabaseMonitor.Status> probe = testKit.createTestProbe();
    return probe.awaitAssert(() -> {
      time.timePasses(INTERVAL);
      monitor.tell(new DatabaseMonitor.GetStatus(probe.getRef()));
      DatabaseMonitor.Status status = probe.receiveMessage();
      assertEquals(reachable, status.reachable());
      return status;
    });
  }

  @Test
  void anOutageIsReportedOnceWhenItStartsAndOnceWhenItEnds() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(DatabaseMonitor.class)).addAppender(logs);
    AtomicBoolean away = new AtomicBoolean(false);
    ActorRef<DatabaseMonitor.Command> monitor =
        testKit.spawn(DatabaseMonitor.create(switchable(away), "jdbc:test", INTERVAL, Clock.systemUTC()));
    assertTrue(statusAfterACheck(monitor, true).reachable());

    away.set(true);
    DatabaseMonitor.Status down = statusAfterACheck(monitor, false);
    assertEquals("Connection refused", down.error());
    for (int check = 0; check < 5; check++) time.timePasses(INTERVAL); // still away: nothing more to say
    assertFalse(statusAfterACheck(monitor, false).reachable());

    away.set(false);
    statusAfterACheck(monitor, true);
    List<String> said = TestLogs.seen(logs).stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(2, said.size(), "one line when it went, one when it came back: " + said);
    assertTrue(said.get(0).startsWith("The database at jdbc:test is unreachable (Connection refused)"), said.get(0));
    assertTrue(said.get(1).startsWith("The database at jdbc:test is reachable again after"), said.get(1));
  }
}
