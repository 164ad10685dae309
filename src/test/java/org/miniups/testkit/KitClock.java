package org.miniups.testkit;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;

/**
 * ManualTime as the kit lets it pass: only once the outboxes and links have handled what the test
 * sent them (an ack is recorded before the resend timers fire), and in steps of at most {@link
 * #STEP}, the outboxes and links catching up after each, so that UPS keeps up with time as it
 * would with the wall clock: an ask of theirs is answered within a step, long before its timeout.
 */
final class KitClock {
  /** Well below every timeout UPS and Pekko keep on the scheduler (asks 10 s, journal calls 10 s). */
  static final Duration STEP = Duration.ofSeconds(1);

  private final ManualTime time;
  private final List<ScriptedPeer> peers;

  KitClock(ManualTime time, List<ScriptedPeer> peers) {
    this.time = time;
    this.peers = List.copyOf(peers);
  }

  void passes(Duration duration) {
    settle();
    Duration left = duration;
    while (left.compareTo(Duration.ZERO) > 0) {
      Duration step = left.compareTo(STEP) < 0 ? left : STEP;
      time.timePasses(step);
      settle();
      left = left.minus(step);
    }
  }

  private void settle() {
    peers.forEach(ScriptedPeer::settle);
  }
}
