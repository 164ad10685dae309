package org.miniups;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Of the service's DEBUG lines, the tests show only a supervisor's restarts (an entity's failed
 * journal write, see {@code JournalFailures}): a restart nobody expected explains a test that then
 * waits in vain. The rest of DEBUG (pekko persistence's own per-actor lines) stays out.
 */
public final class SupervisorRestartsOnly extends Filter<ILoggingEvent> {
  @Override
  public FilterReply decide(ILoggingEvent event) {
    if (event.getLevel().isGreaterOrEqual(Level.INFO)) return FilterReply.NEUTRAL;
    String message = event.getMessage();
    return message != null && message.startsWith("Supervisor ") ? FilterReply.NEUTRAL : FilterReply.DENY;
  }
}
