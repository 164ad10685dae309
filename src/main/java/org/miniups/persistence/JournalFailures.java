package org.miniups.persistence;

import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * How every event-sourced actor meets a journal that fails (the database restarting or away): it
 * restarts with backoff and recovers from what was written, so it goes on by itself once the
 * database is back. Nothing is lost: what was not written was not acknowledged to anyone, and its
 * sender tries again. The restart keeps the actor's instance but cancels its timers: what an actor
 * keeps beside its state (acks not yet recorded, items in flight) and its timers are set anew on
 * {@code RecoveryCompleted}. Each restart is logged at DEBUG only (at INFO it would be a stack
 * trace a second per actor): {@link org.miniups.db.DatabaseMonitor} reports the outage in one line.
 * The tests' logging shows these lines, so that a restart nobody expected is visible.
 */
public final class JournalFailures {
  private JournalFailures() {}

  public static BackoffSupervisorStrategy restartWithBackoff() {
    return SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)
        .withLogLevel(Level.DEBUG);
  }

  /**
   * A snapshot that could not be saved (the database away) costs a longer replay next time, not
   * data: the events are written. One WARN line instead of Pekko's ERROR with a stack trace; the
   * next snapshot is taken after the usual number of events.
   */
  public static void snapshotFailed(Logger log, SnapshotFailed failed) {
    log.warn("Snapshot {} not saved ({}); the events are, and the next snapshot comes later",
        failed.metadata().sequenceNr(), failed.getFailure().getMessage());
  }
}
