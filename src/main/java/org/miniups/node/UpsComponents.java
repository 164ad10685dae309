package org.miniups.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.RecipientRef;
import org.miniups.Placement;
import org.miniups.http.ServiceMetrics;
import org.miniups.link.LinkConnection;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;

/**
 * The actors of one node, in the parts {@link UpsGuardian} starts in dependency order: what
 * {@code serve} runs and what the testers' kit runs, with the placement and the peer links as the
 * only differences.
 */
public record UpsComponents(
    Placement placement,
    Duration askTimeout,
    PrometheusMeterRegistry metrics,
    ReadSide readSide,
    Outboxes outboxes,
    Fleet fleet,
    Links links,
    LiveUpdates liveUpdates) {

  public RecipientRef<Truck.Command> truck(int truckId) {
    return fleet.trucks().apply(truckId);
  }

  public RecipientRef<Shipment.Command> shipment(long shipId) {
    return fleet.shipments().apply(shipId);
  }

  /** See {@link Links#connectToPeers}. */
  public void connectToPeers() {
    links.connectToPeers();
  }

  /**
   * On shutdown the links go first (each connection leaves its peer from the node it runs on, see
   * {@link LinkConnection}), so nothing arrives for actors that are stopping; the live
   * updates end before the HTTP server unbinds; the database closes last, once every entity has
   * written what it had.
   */
  void stopInOrder(ServiceMetrics jvmMetrics) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(placement.system());
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "end-live-updates",
        () -> {
          liveUpdates.streams().shutdown();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "close-read-side",
        () -> {
          readSide.database().close();
          jvmMetrics.close();
          io.micrometer.core.instrument.Metrics.removeRegistry(metrics);
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }
}
