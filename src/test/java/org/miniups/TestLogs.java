package org.miniups;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;

/** What a test's list appender caught so far, read safely while actors go on logging. */
public final class TestLogs {
  private TestLogs() {}

  public static List<ILoggingEvent> seen(ListAppender<ILoggingEvent> logs) {
    synchronized (logs) { // the appender appends under its own lock, from the actors' threads
      return List.copyOf(logs.list);
    }
  }
}
