package org.miniups.node;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.miniups.Placement;
import org.miniups.link.LinkConnection;
import org.miniups.truck.Truck;
import org.miniups.world.WorldIdentity;

/**
 * This node's wish that UPS be connected to its peers, and the connections that run here. A
 * connection announces itself when it starts on this node ({@link #announcing}); in a cluster that
 * is the singletons' node, and after a failover another one, where the connection starts closed.
 * Once asked to {@link Connect}, the connector opens every connection running here, at once and
 * whenever one starts later, so the links come up wherever the singletons go without waiting for
 * anyone. The first link up after a connection started wakes the fleet: trucks whose node was lost
 * start on another and re-send what they had decided.
 */
public final class PeerConnector extends AbstractBehavior<PeerConnector.Command> {

  public sealed interface Command {}

  /** Connect now and stay connected (serve, demo). */
  public record Connect() implements Command {}

  /** A connection started on this node. */
  private record LinkStarted(Peer peer, ActorRef<LinkConnection.Command> link) implements Command {}

  private record KnownWorld(long worldId) implements Command {}

  private static final long UNANSWERED = -1;

  /**
   * A link's answer to {@link LinkConnection.Open}: the connector's own, or one somebody else asked
   * for (the e2e tests' {@code UpsService.joinConfiguredWorld}).
   */
  public record LinkOpened(LinkConnection.Opened opened) implements Command {}

  private enum Peer {
    WORLD,
    AMAZON
  }

  /**
   * Starts this node's connector.
   *
   * @param configuredWorld the world to join (0: the one this database belongs to, if any; else
   *     Amazon names it)
   */
  public static ActorRef<Command> init(
      Placement placement,
      long configuredWorld,
      ActorRef<WorldIdentity.Command> worldIdentity,
      List<Integer> truckIds,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      Duration askTimeout) {
    return placement.spawn(create(configuredWorld, worldIdentity, truckIds, trucks, askTimeout), "peer-connector");
  }

  static Behavior<Command> create(
      long configuredWorld,
      ActorRef<WorldIdentity.Command> worldIdentity,
      List<Integer> truckIds,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      Duration askTimeout) {
    return Behaviors.setup(
        context -> new PeerConnector(context, configuredWorld, worldIdentity, truckIds, trucks, askTimeout));
  }

  /** The World's connection, telling {@code connector} when it starts (on whichever node). */
  public static Behavior<LinkConnection.Command> announcingWorld(
      ActorRef<Command> connector, Behavior<LinkConnection.Command> connection) {
    return announcing(connector, Peer.WORLD, connection);
  }

  /** Amazon's connection, telling {@code connector} when it starts (on whichever node). */
  public static Behavior<LinkConnection.Command> announcingAmazon(
      ActorRef<Command> connector, Behavior<LinkConnection.Command> connection) {
    return announcing(connector, Peer.AMAZON, connection);
  }

  private static Behavior<LinkConnection.Command> announcing(
      ActorRef<Command> connector, Peer peer, Behavior<LinkConnection.Command> connection) {
    return Behaviors.setup(
        context -> {
          connector.tell(new LinkStarted(peer, context.getSelf()));
          return connection;
        });
  }

  private final long configuredWorld;
  private final ActorRef<WorldIdentity.Command> worldIdentity;
  private final List<Integer> truckIds;
  private final IntFunction<RecipientRef<Truck.Command>> trucks;
  private final Duration askTimeout;
  private final ActorRef<LinkConnection.Opened> openedAdapter;
  private final Map<Peer, ActorRef<LinkConnection.Command>> links = new HashMap<>();
  private boolean connecting;
  private boolean fleetAwake;

  private PeerConnector(
      ActorContext<Command> context,
      long configuredWorld,
      ActorRef<WorldIdentity.Command> worldIdentity,
      List<Integer> truckIds,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      Duration askTimeout) {
    super(context);
    this.configuredWorld = configuredWorld;
    this.worldIdentity = worldIdentity;
    this.truckIds = truckIds;
    this.trucks = trucks;
    this.askTimeout = askTimeout;
    this.openedAdapter = context.messageAdapter(LinkConnection.Opened.class, LinkOpened::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Connect.class, this::onConnect)
        .onMessage(LinkStarted.class, this::onLinkStarted)
        .onMessage(KnownWorld.class, this::onKnownWorld)
        .onMessage(LinkOpened.class, this::onLinkOpened)
        .build();
  }

  private Behavior<Command> onConnect(Connect connect) {
    if (connecting) return this;
    connecting = true;
    links.keySet().forEach(this::open);
    return this;
  }

  private Behavior<Command> onLinkStarted(LinkStarted started) {
    if (links.containsKey(started.peer())) getContext().getLog().info("The link to {} runs on this node now", started.peer());
    links.put(started.peer(), started.link());
    fleetAwake = false;
    if (connecting) open(started.peer());
    return this;
  }

  private void open(Peer peer) {
    switch (peer) {
      case AMAZON -> links.get(peer).tell(new LinkConnection.Open(0, openedAdapter));
      case WORLD ->
          getContext()
              .ask(
                  WorldIdentity.State.class, worldIdentity, askTimeout, WorldIdentity.Get::new,
                  (known, failure) ->
                      known == null ? new KnownWorld(UNANSWERED) : new KnownWorld(configuredWorld != 0 ? configuredWorld : known.worldId()));
    }
  }

  private Behavior<Command> onKnownWorld(KnownWorld known) {
    if (known.worldId() == UNANSWERED) {
      open(Peer.WORLD); // the identity moves with the singletons too; its ask timed out
      return this;
    }
    // An unknown world waits for Amazon, which names it (see AmazonConnection).
    if (known.worldId() != 0) links.get(Peer.WORLD).tell(new LinkConnection.Open(known.worldId(), openedAdapter));
    return this;
  }

  private Behavior<Command> onLinkOpened(LinkOpened opened) {
    if (opened.opened().accepted() && !fleetAwake) {
      fleetAwake = true;
      wakeTheFleet();
    }
    return this;
  }

  /**
   * Starts every truck that is not running: a truck re-sends on start what it had decided but not
   * handed to an outbox, and that matters only once a peer can hear it. Trucks started before are
   * resident (their shards start them again, see {@link Truck#init}), so this starts the ones that
   * never ran. Any message starts a truck; a summary asks for nothing.
   */
  private void wakeTheFleet() {
    ActorRef<Truck.Summary> nobody = getContext().getSystem().ignoreRef();
    truckIds.forEach(id -> trucks.apply(id).tell(new Truck.GetSummary(nobody)));
  }
}
