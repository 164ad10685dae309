package org.miniups.relay;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.miniups.link.ResendSupervisor;
import org.miniups.truck.Truck;
import org.miniups.world.WorldCommand;

/**
 * Keeps the positions of moving trucks fresh for tracking: a {@code UQuery} per truck on a trip
 * per interval. An idle truck stands where it last stopped (its truck knows where), so a fleet at
 * rest is not polled at all: no queries, no seqnums, no writes. Queries are volatile in the
 * outbox, and a new one replaces an unanswered one, so a long outage does not pile them up.
 */
public final class TruckPoller {
  private TruckPoller() {}

  private sealed interface Message {}

  private enum Tick implements Message {
    INSTANCE
  }

  private record Changed(Truck.Summary truck) implements Message {}

  public static Behavior<?> create(
      ActorRef<Topic.Command<Truck.Changed>> trucks, ActorRef<ResendSupervisor.Command> outbox, Duration interval) {
    return Behaviors.<Message>setup(
        context -> {
          trucks.tell(Topic.subscribe(context.messageAdapter(Truck.Changed.class, c -> new Changed(c.truck()))));
          Set<Integer> onATrip = new TreeSet<>();
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                return Behaviors.receiveMessage(
                    message -> {
                      if (message instanceof Changed changed) {
                        if (changed.truck().phase() == Truck.Phase.IDLE) onATrip.remove(changed.truck().truckId());
                        else onATrip.add(changed.truck().truckId());
                      } else {
                        for (int id : onATrip) {
                          outbox.tell(new ResendSupervisor.SendVolatile("query-" + id, new WorldCommand.Query(id)));
                        }
                      }
                      return Behaviors.same();
                    });
              });
        });
  }
}
