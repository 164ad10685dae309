package org.miniups.testkit;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;

/**
 * ManualTime as the kit lets it pass: only once both links have handed on what the test sent them,
 * so that an ack or an item of the test's is in its actor's mailbox before any timer the jump fires
 * (an ack sent just before a jump is recorded before the resend ticks, never after them). The
 * outboxes are not waited for here: one restarting after a failed write waits for the jump itself.
 */
final class KitClock {
  private final ManualTime time;
  private final List<ScriptedPeer> peers;

  KitClock(ManualTime time, List<ScriptedPeer> peers) {
    this.time = time;
    this.peers = List.copyOf(peers);
  }

  void passes(Duration duration) {
    peers.forEach(ScriptedPeer::syncLink);
    time.timePasses(duration);
  }
}
