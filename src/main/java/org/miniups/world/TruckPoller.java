package org.miniups.world;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.miniups.link.ResendSupervisor;

/**
 * Keeps truck positions fresh for tracking: a {@code UQuery} per truck per interval. Queries are
 * volatile in the outbox, and a new one replaces an unanswered one, so a long outage does not
 * pile them up.
 */
public final class TruckPoller {
  private enum Tick {
    INSTANCE
  }

  private TruckPoller() {}

  public static Behavior<Tick> create(
      List<Integer> truckIds, ActorRef<ResendSupervisor.Command> outbox, Duration interval) {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
          return Behaviors.receiveMessage(
              tick -> {
                for (int id : truckIds) {
                  outbox.tell(new ResendSupervisor.SendVolatile("query-" + id, new WorldCommand.Query(id)));
                }
                return Behaviors.same();
              });
        });
  }
}
