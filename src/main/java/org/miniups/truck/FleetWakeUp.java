package org.miniups.truck;

import java.util.List;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.RecipientRef;
import org.miniups.link.LinkConnection;

/**
 * Starts every truck once, the first time a link to a peer opens: a truck re-sends on start what
 * it had decided but not handed to an outbox, and that matters only once a peer can hear it.
 * Trucks started before are resident (their shards start them again, see {@link Truck#init}), so
 * this starts the ones that never ran.
 */
public final class FleetWakeUp {
  private FleetWakeUp() {}

  public static Behavior<LinkConnection.Opened> create(List<Integer> truckIds, IntFunction<RecipientRef<Truck.Command>> truck) {
    return Behaviors.setup(
        context ->
            Behaviors.receive(LinkConnection.Opened.class)
                .onMessage(
                    LinkConnection.Opened.class,
                    LinkConnection.Opened::accepted,
                    opened -> {
                      wake(truckIds, truck, context.getSystem());
                      return Behaviors.ignore(); // later openings: the fleet is running
                    })
                .onMessage(LinkConnection.Opened.class, refused -> Behaviors.same())
                .build());
  }

  /** Starts every truck that is not running (any message does; a summary asks for nothing). */
  public static void wake(List<Integer> truckIds, IntFunction<RecipientRef<Truck.Command>> truck, ActorSystem<?> system) {
    truckIds.forEach(id -> truck.apply(id).tell(new Truck.GetSummary(system.ignoreRef())));
  }
}
