package org.miniups.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.miniups.shipment.Shipment;

/**
 * A truck's departure being prepared: everything is loaded, and each shipment of the trip fixes its
 * destination (after which nobody can change it); only then does the truck leave, so a change of
 * destination can never race the departure. The answers come back as {@link
 * Truck.DestinationsFixed} or {@link Truck.DepartureFailed} (then the shipments are asked again
 * after a pause). Transient: one is prepared again after recovery.
 */
final class Departure {
  private final ActorContext<Truck.Command> context;
  private final TimerScheduler<Truck.Command> timers;
  private final TruckLinks links;
  private final int truckId;
  private final Duration timeout;
  private boolean asking;

  Departure(
      ActorContext<Truck.Command> context, TimerScheduler<Truck.Command> timers, TruckLinks links, int truckId, Duration timeout) {
    this.context = context;
    this.timers = timers;
    this.links = links;
    this.truckId = truckId;
    this.timeout = timeout;
  }

  /** Asks the shipments, unless the truck is not leaving or their answers are on their way. */
  void prepare(TruckState state) {
    if (!state.trip().isLeaving() || asking) return;
    asking = true;
    context.pipeToSelf(
        fixDestinations(state.trip().cargo()),
        (fixed, failure) -> failure == null ? new Truck.DestinationsFixed(fixed) : new Truck.DepartureFailed(String.valueOf(failure)));
  }

  /** The answers came (or will never come: the state they were asked in is gone). */
  void answered() {
    asking = false;
  }

  /** The shipments did not all answer: asked again after a pause. */
  void failed(String reason) {
    asking = false;
    context.getLog().warn("Truck {} could not fix its destinations ({}); trying again", truckId, reason);
    timers.startSingleTimer(Truck.RetryDeparture.INSTANCE, Truck.RETRY_DELAY);
  }

  /** The trip's cargo with the destinations its shipments fixed, in cargo order. */
  private CompletionStage<List<Cargo>> fixDestinations(List<Cargo> cargo) {
    List<CompletableFuture<Shipment.Destination>> answers = new ArrayList<>();
    for (Cargo c : cargo) {
      answers.add(
          AskPattern.<Shipment.Command, Shipment.Destination>ask(
                  links.shipments().apply(c.shipId()),
                  replyTo -> new Shipment.LeaveWarehouse(truckId, c.attempt(), replyTo),
                  timeout,
                  context.getSystem().scheduler())
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(
            all -> {
              List<Cargo> fixed = new ArrayList<>();
              for (int i = 0; i < cargo.size(); i++) {
                Shipment.Destination to = answers.get(i).join();
                fixed.add(to.known() ? cargo.get(i).goingTo(new Location(to.x(), to.y())) : cargo.get(i));
              }
              return fixed;
            });
  }
}
