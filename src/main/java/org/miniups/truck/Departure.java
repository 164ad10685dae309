package org.miniups.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck.Cargo;
import org.miniups.truck.Truck.Location;

/** Before a truck leaves, each shipment of its trip fixes its destination (nobody can change it after). */
final class Departure {
  private Departure() {}

  /** The trip's cargo with the destinations its shipments fixed, in cargo order. */
  static CompletionStage<List<Cargo>> fixDestinations(
      ActorSystem<?> system, Truck.Links links, int truckId, List<Cargo> cargo, Duration timeout) {
    List<CompletableFuture<Shipment.Destination>> answers = new ArrayList<>();
    for (Cargo c : cargo) {
      answers.add(
          AskPattern.<Shipment.Command, Shipment.Destination>ask(
                  links.shipments().apply(c.shipId()),
                  replyTo -> new Shipment.LeaveWarehouse(truckId, c.attempt(), replyTo),
                  timeout,
                  system.scheduler())
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
