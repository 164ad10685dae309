package org.miniups.link;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Seqnums a link's persistent actor has marked done but not written yet (the outbox's acked items,
 * the inbox's finished ones). They ride along with the actor's next write or, on a quiet link, go
 * in a write of their own once {@code delay} has passed. Until then they count as done in memory;
 * a crash only forgets the marks, so those items come round again and are recognised then.
 *
 * @param <C> the actor's command type (its flush message is one)
 */
final class UnwrittenMarks<C> {
  private final List<Long> toWrite = new ArrayList<>();
  private final Set<Long> marked = new HashSet<>();
  private final TimerScheduler<C> timers;
  private final String timerKey;
  private final C flush;
  private final Duration delay;

  UnwrittenMarks(TimerScheduler<C> timers, String timerKey, C flush, Duration delay) {
    this.timers = timers;
    this.timerKey = timerKey;
    this.flush = flush;
    this.delay = delay;
  }

  /** Marks {@code seqnum} done (once); the write follows within {@code delay}. */
  void mark(long seqnum) {
    if (marked.add(seqnum)) toWrite.add(seqnum);
    if (!toWrite.isEmpty() && !timers.isTimerActive(timerKey)) timers.startSingleTimer(timerKey, flush, delay);
  }

  boolean contains(long seqnum) {
    return marked.contains(seqnum);
  }

  /** Marked and not written yet. */
  int size() {
    return marked.size();
  }

  /** A write is about to be made: the marks it takes along, in marking order. */
  List<Long> takeForWrite() {
    timers.cancel(timerKey);
    List<Long> batch = List.copyOf(toWrite);
    toWrite.clear();
    return batch;
  }

  /** The write that took {@code written} along succeeded: the state has them now. */
  void written(List<Long> written) {
    written.forEach(marked::remove);
  }

  /** After a (re)start: what the state holds is all that counts. */
  void forget() {
    toWrite.clear();
    marked.clear();
  }
}
