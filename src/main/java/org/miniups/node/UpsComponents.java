package org.miniups.node;

import com.typesafe.config.Config;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.miniups.AppConfig;
import org.miniups.Placement;
import org.miniups.amazon.AmazonRequestRouter;
import org.miniups.db.DatabaseMonitor;
import org.miniups.db.ReadSideDatabase;
import org.miniups.dispatch.Dispatcher;
import org.miniups.http.LiveUpdateHub;
import org.miniups.http.ServiceMetrics;
import org.miniups.http.TruckPositions;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.shipment.KnownTrackingNumbers;
import org.miniups.shipment.PackageDirectory;
import org.miniups.shipment.PackageIndexProjection;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.TrackingNumberRegister;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.truck.FleetWakeUp;
import org.miniups.truck.Truck;
import org.miniups.user.Accounts;
import org.miniups.user.LoginLimiter;
import org.miniups.user.PasswordHasher;
import org.miniups.user.SessionTokens;
import org.miniups.user.UserRepository;
import org.miniups.world.TruckPoller;
import org.miniups.world.WorldConnection;
import org.miniups.world.WorldEventRouter;
import org.miniups.world.WorldIdentity;

/**
 * The actors of one node, started in dependency order by {@link #init}: what {@code serve} runs
 * and what the testers' kit runs, with the placement and the peer links as the only differences.
 */
public record UpsComponents(
    Placement placement,
    List<Integer> truckIds,
    Duration askTimeout,
    ActorRef<SequenceAllocator.Command> allocator,
    ActorRef<WorldIdentity.Command> worldIdentity,
    ActorRef<ResendSupervisor.Command> worldOutbox,
    ActorRef<InboundDedup.Command> worldInbox,
    ActorRef<LinkConnection.Command> worldConnection,
    ActorRef<ResendSupervisor.Command> amazonOutbox,
    ActorRef<InboundDedup.Command> amazonInbox,
    ActorRef<LinkConnection.Command> amazonConnection,
    ActorRef<Dispatcher.Command> dispatcher,
    ActorRef<Topic.Command<Truck.Changed>> truckTopic,
    ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic,
    ActorRef<LinkConnection.Opened> fleetWakeUp,
    ActorRef<PeerConnector.Command> peerConnector,
    ReadSideDatabase readSide,
    ActorRef<Accounts.Command> accounts,
    SessionTokens sessions,
    ActorRef<PackageDirectory.Command> directory,
    KnownTrackingNumbers knownTrackingNumbers,
    ActorRef<TrackingNumberRegister.Command> trackingNumbers,
    ActorRef<DatabaseMonitor.Command> databaseMonitor,
    PrometheusMeterRegistry metrics,
    TruckPositions truckPositions,
    ActorRef<LiveUpdateHub.Command> liveUpdateHub,
    SharedKillSwitch liveUpdates) {

  /**
   * Starts every component on {@code placement}; the journal's tables and the read side must exist.
   * Must run inside the guardian (it spawns the node's own actors as its children).
   */
  public static UpsComponents init(Placement placement, PeerLinks links, ReadSideDatabase readSide, Clock clock) {
    Config app = placement.system().settings().config().getConfig("mini-ups");
    Duration askTimeout = app.getDuration("ask-timeout");
    List<Integer> truckIds = IntStream.rangeClosed(1, app.getInt("fleet.trucks")).boxed().toList();
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    // Read side: accounts, tracking numbers, the package index and the database's health.
    Config accountSettings = app.getConfig("accounts");
    SessionTokens sessions =
        SessionTokens.fromConfig(
            accountSettings.getString("session-secret"), accountSettings.getDuration("session-lifetime"), clock);
    ActorRef<Accounts.Command> accounts =
        placement.spawn(
            Accounts.create(
                new UserRepository(readSide.dataSource(), clock),
                new PasswordHasher(
                    accountSettings.getInt("bcrypt-cost"), accountSettings.getInt("bcrypt-threads"), accountSettings.getInt("bcrypt-queue")),
                sessions,
                new LoginLimiter(
                    accountSettings.getInt("login-max-failures"), accountSettings.getDuration("login-window"),
                    accountSettings.getLong("login-limiter-size"), clock)),
            "accounts");
    ActorRef<PackageDirectory.Command> directory =
        placement.spawn(PackageDirectory.create(readSide.dataSource()), "package-directory");
    KnownTrackingNumbers known = new KnownTrackingNumbers(app.getLong("read-side.tracking-cache-size"));
    ActorRef<TrackingNumberRegister.Command> trackingNumbers =
        placement.spawn(TrackingNumberRegister.create(readSide.dataSource(), known), "tracking-numbers");
    ActorRef<DatabaseMonitor.Command> databaseMonitor =
        placement.spawn(
            DatabaseMonitor.create(
                readSide.dataSource(),
                placement.system().settings().config().getString(AppConfig.DB_URL),
                app.getDuration("db.check-interval"),
                clock),
            "database-monitor");

    // The links' durable ends, then the entities that write to them.
    ActorRef<SequenceAllocator.Command> allocator = SequenceAllocator.init(placement);
    ActorRef<WorldIdentity.Command> worldIdentity = WorldIdentity.init(placement);
    ActorRef<ResendSupervisor.Command> worldOutbox = ResendSupervisor.init(placement, "world", allocator);
    ActorRef<ResendSupervisor.Command> amazonOutbox = ResendSupervisor.init(placement, "amazon", allocator);
    ActorRef<Topic.Command<Truck.Changed>> truckTopic = Truck.initTopic(placement);
    ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic = Shipment.initTopic(placement);
    LongFunction<RecipientRef<Shipment.Command>> shipments = id -> Shipment.entity(placement, id);
    IntFunction<RecipientRef<Truck.Command>> trucks = id -> Truck.entity(placement, id);
    Shipment.init(placement, shipmentTopic, clock);
    ActorRef<Dispatcher.Command> dispatcher = Dispatcher.init(placement, truckIds, trucks, truckTopic, askTimeout, metrics);
    Truck.init(
        placement,
        UpsComponents::startingPoint,
        new Truck.Links(
            worldOutbox,
            amazonOutbox,
            shipments,
            cargo ->
                AskPattern.<Dispatcher.Command, Done>ask(
                    dispatcher,
                    replyTo -> new Dispatcher.Dispatch(cargo, replyTo),
                    askTimeout,
                    placement.system().scheduler())),
        truckTopic,
        clock);

    // The World link: inbox, connection, and the queries that keep truck positions fresh.
    ActorRef<InboundDedup.Command> worldInbox =
        InboundDedup.init(
            placement,
            "world",
            "the World",
            new WorldEventRouter(placement.system(), trucks, Set.copyOf(truckIds), worldOutbox, askTimeout));
    List<WorldConnection.TruckInit> fleet =
        truckIds.stream()
            .map(id -> new WorldConnection.TruckInit(id, startingPoint(id).x(), startingPoint(id).y()))
            .toList();
    ActorRef<PeerConnector.Command> peerConnector =
        PeerConnector.init(placement, app.getLong("world.id"), worldIdentity, truckIds, trucks, askTimeout);
    ActorRef<LinkConnection.Command> worldConnection =
        placement.singleton(
            PeerConnector.announcingWorld(
                peerConnector, links.world(new PeerLinks.Ends(worldOutbox, worldInbox), fleet, worldIdentity)),
            "world-connection");
    // One poller in the cluster: every truck is asked once per interval, however many nodes.
    placement.singleton(TruckPoller.create(truckTopic, worldOutbox, app.getDuration("fleet.query-interval")), "truck-poller");

    // The Amazon link.
    ActorRef<WarehouseRegistry.Command> warehouses = WarehouseRegistry.init(placement);
    AmazonRequestRouter amazonRouter =
        new AmazonRequestRouter(
            placement.system(), warehouses, shipments, trucks, Set.copyOf(truckIds), dispatcher, amazonOutbox,
            profileId ->
                AskPattern.<Accounts.Command, Boolean>ask(
                    accounts, replyTo -> new Accounts.Exists(profileId, replyTo), askTimeout, placement.system().scheduler()),
            (trackingNumber, shipId) ->
                AskPattern.<TrackingNumberRegister.Command, StatusReply<Done>>ask(
                        trackingNumbers,
                        replyTo -> new TrackingNumberRegister.Register(trackingNumber, shipId, replyTo),
                        askTimeout,
                        placement.system().scheduler())
                    .thenApply(StatusReply::getValue),
            askTimeout);
    ActorRef<InboundDedup.Command> amazonInbox = InboundDedup.init(placement, "amazon", "Amazon", amazonRouter);
    ActorRef<LinkConnection.Command> amazonConnection =
        placement.singleton(
            PeerConnector.announcingAmazon(
                peerConnector, links.amazon(new PeerLinks.Ends(amazonOutbox, amazonInbox), worldConnection)),
            "amazon-connection");
    ActorRef<LinkConnection.Opened> fleetWakeUp = placement.spawn(FleetWakeUp.create(truckIds, trucks), "fleet-wake-up");

    // The package index follows the journal's tags, which only the JDBC journal can be asked for.
    if (AppConfig.usesJdbcJournal(placement.system().settings().config())) {
      PackageIndexProjection.init(placement, readSide.dataSource(), metrics);
    }
    TruckPositions truckPositions = new TruckPositions();
    ActorRef<LiveUpdateHub.Command> liveUpdateHub =
        placement.spawn(
            LiveUpdateHub.create(shipmentTopic, truckTopic, shipments, askTimeout, truckPositions, metrics),
            "live-update-hub");

    io.micrometer.core.instrument.Metrics.addRegistry(metrics);
    ServiceMetrics jvmMetrics = ServiceMetrics.bindTo(metrics);
    UpsComponents components =
        new UpsComponents(
            placement, truckIds, askTimeout, allocator, worldIdentity, worldOutbox, worldInbox, worldConnection,
            amazonOutbox, amazonInbox, amazonConnection, dispatcher, truckTopic, shipmentTopic, fleetWakeUp, peerConnector, readSide,
            accounts, sessions, directory, known, trackingNumbers, databaseMonitor, metrics, truckPositions,
            liveUpdateHub, KillSwitches.shared("live-updates"));
    components.stopInOrder(jvmMetrics);
    return components;
  }

  /** Trucks start on a small grid near the origin, five to a row. */
  public static Truck.Location startingPoint(int truckId) {
    return new Truck.Location(((truckId - 1) % 5) * 2, ((truckId - 1) / 5) * 2);
  }

  public RecipientRef<Truck.Command> truck(int truckId) {
    return Truck.entity(placement, truckId);
  }

  public RecipientRef<Shipment.Command> shipment(long shipId) {
    return Shipment.entity(placement, shipId);
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

  /**
   * On shutdown the links go first (each connection leaves its peer from the node it runs on, see
   * {@link LinkConnection}), so nothing arrives for actors that are stopping; the live
   * updates end before the HTTP server unbinds; the database closes last, once every entity has
   * written what it had.
   */
  private void stopInOrder(ServiceMetrics jvmMetrics) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(placement.system());
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "end-live-updates",
        () -> {
          liveUpdates.shutdown();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "close-read-side",
        () -> {
          readSide.close();
          jvmMetrics.close();
          io.micrometer.core.instrument.Metrics.removeRegistry(metrics);
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }
}
