package org.miniups.node;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.miniups.Placement;
import org.miniups.http.LiveUpdateHub;
import org.miniups.http.TruckPositions;

/**
 * What the web site's live streams read on this node: the fleet's changes gathered by one hub, the
 * trucks' last positions, and the switch that ends every stream at shutdown.
 */
public record LiveUpdates(TruckPositions truckPositions, ActorRef<LiveUpdateHub.Command> hub, SharedKillSwitch streams) {

  public static LiveUpdates init(Placement placement, Fleet fleet, Duration askTimeout, MeterRegistry metrics) {
    TruckPositions truckPositions = new TruckPositions();
    ActorRef<LiveUpdateHub.Command> hub =
        placement.spawn(
            LiveUpdateHub.create(
                fleet.shipmentTopic(), fleet.truckTopic(), fleet.shipments(), askTimeout, truckPositions, metrics),
            "live-update-hub");
    return new LiveUpdates(truckPositions, hub, KillSwitches.shared("live-updates"));
  }
}
