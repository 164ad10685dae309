package org.miniups.http;

import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.stream.SharedKillSwitch;
import org.miniups.db.DatabaseMonitor;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.KnownTrackingNumbers;
import org.miniups.shipment.PackageDirectory;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;
import org.miniups.user.Accounts;
import org.miniups.user.SessionTokens;

/**
 * The actors the HTTP routes ask; routes never reach a connection's socket. {@code liveUpdates}
 * ends every live-update stream when the service stops, so browsers see them complete.
 */
public record Backend(
    ActorSystem<?> system,
    Duration askTimeout,
    LongFunction<RecipientRef<Shipment.Command>> shipments,
    IntFunction<RecipientRef<Truck.Command>> trucks,
    List<Integer> truckIds,
    ActorRef<PackageDirectory.Command> directory,
    KnownTrackingNumbers knownTrackingNumbers,
    ActorRef<Accounts.Command> accounts,
    SessionTokens sessions,
    ActorRef<LiveUpdateHub.Command> liveUpdateHub,
    TruckPositions truckPositions,
    Duration liveHeartbeat,
    ActorRef<ResendSupervisor.Command> worldOutbox,
    ActorRef<ResendSupervisor.Command> amazonOutbox,
    SharedKillSwitch liveUpdates,
    ActorRef<DatabaseMonitor.Command> database) {}
