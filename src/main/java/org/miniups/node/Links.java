package org.miniups.node;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.miniups.Placement;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.relay.AmazonRequestRouter;
import org.miniups.relay.TruckPoller;
import org.miniups.relay.WorldEventRouter;
import org.miniups.shipment.TrackingNumberRegister;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.user.Accounts;
import org.miniups.world.WorldConnection;
import org.miniups.world.WorldIdentity;

/**
 * The links to the World and Amazon beyond their outboxes: the inboxes that route what a peer
 * says to the fleet, the connections ({@link PeerLinks} makes them) and this node's {@link
 * PeerConnector}.
 */
public record Links(
    ActorRef<InboundDedup.Command> worldInbox,
    ActorRef<LinkConnection.Command> worldConnection,
    ActorRef<PeerConnector.Command> peerConnector) {

  /**
   * Starts both links on {@code placement}: the inboxes route to the {@code fleet}; Amazon's
   * requests check accounts and register tracking numbers on the {@code readSide}.
   */
  public static Links init(
      Placement placement, PeerLinks links, Outboxes outboxes, Fleet fleet, ReadSide readSide, Duration askTimeout) {
    Config app = placement.system().settings().config().getConfig("mini-ups");
    List<Integer> truckIds = fleet.truckIds();
    ActorRef<WorldIdentity.Command> worldIdentity = WorldIdentity.init(placement);

    // The World link: inbox, connection, and the queries that keep truck positions fresh.
    ActorRef<InboundDedup.Command> worldInbox =
        InboundDedup.init(
            placement,
            "world",
            "the World",
            new WorldEventRouter(placement.system(), fleet.trucks(), Set.copyOf(truckIds), outboxes.world(), askTimeout));
    List<WorldConnection.TruckInit> trucksAtStart =
        truckIds.stream()
            .map(id -> new WorldConnection.TruckInit(id, Fleet.startingPoint(id).x(), Fleet.startingPoint(id).y()))
            .toList();
    ActorRef<PeerConnector.Command> peerConnector =
        PeerConnector.init(placement, app.getLong("world.id"), worldIdentity, truckIds, fleet.trucks(), askTimeout);
    ActorRef<LinkConnection.Command> worldConnection =
        placement.singleton(
            PeerConnector.announcingWorld(
                peerConnector,
                links.world(new PeerLinks.Ends(outboxes.world(), worldInbox), trucksAtStart, worldIdentity)),
            "world-connection");
    // One poller in the cluster: every truck is asked once per interval, however many nodes.
    placement.singleton(
        TruckPoller.create(fleet.truckTopic(), outboxes.world(), app.getDuration("fleet.query-interval")), "truck-poller");

    // The Amazon link.
    ActorRef<WarehouseRegistry.Command> warehouses = WarehouseRegistry.init(placement);
    AmazonRequestRouter amazonRouter =
        new AmazonRequestRouter(
            placement.system(), warehouses, fleet.shipments(), fleet.trucks(), Set.copyOf(truckIds), fleet.dispatcher(),
            outboxes.amazon(),
            profileId ->
                AskPattern.<Accounts.Command, Boolean>ask(
                    readSide.accounts(),
                    replyTo -> new Accounts.Exists(profileId, replyTo),
                    askTimeout,
                    placement.system().scheduler()),
            (trackingNumber, shipId) ->
                AskPattern.<TrackingNumberRegister.Command, StatusReply<Done>>ask(
                        readSide.trackingNumbers(),
                        replyTo -> new TrackingNumberRegister.Register(trackingNumber, shipId, replyTo),
                        askTimeout,
                        placement.system().scheduler())
                    .thenApply(StatusReply::getValue),
            askTimeout);
    ActorRef<InboundDedup.Command> amazonInbox = InboundDedup.init(placement, "amazon", "Amazon", amazonRouter);
    placement.singleton(
        PeerConnector.announcingAmazon(
            peerConnector, links.amazon(new PeerLinks.Ends(outboxes.amazon(), amazonInbox), worldConnection)),
        "amazon-connection");
    return new Links(worldInbox, worldConnection, peerConnector);
  }

  /**
   * Runs as a UPS does in production: rejoins the world this database belongs to right away (so
   * trucks keep moving while Amazon is away) and keeps connecting to Amazon, which names the world.
   * The fleet starts with the first link that opens. In a cluster every node asks; the links open
   * wherever the singletons run, also after they moved (see {@link PeerConnector}).
   */
  public void connectToPeers() {
    peerConnector.tell(new PeerConnector.Connect());
  }
}
