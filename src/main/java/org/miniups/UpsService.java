package org.miniups;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.miniups.amazon.AmazonConnection;
import org.miniups.amazon.AmazonRequestRouter;
import org.miniups.dispatch.DispatchPolicy;
import org.miniups.dispatch.Dispatcher;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.miniups.db.DatabaseMonitor;
import org.miniups.db.ReadSideDatabase;
import org.miniups.http.ApiRoutes;
import org.miniups.http.Backend;
import org.miniups.http.HttpServer;
import org.miniups.http.LiveUpdateHub;
import org.miniups.http.TruckPositions;
import org.miniups.http.ServiceMetrics;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.persistence.JournalSchema;
import org.miniups.shipment.KnownTrackingNumbers;
import org.miniups.shipment.PackageDirectory;
import org.miniups.shipment.TrackingNumberRegister;
import org.miniups.shipment.PackageIndexProjection;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.truck.FleetWakeUp;
import org.miniups.truck.Truck;
import org.miniups.user.Accounts;
import org.miniups.user.LoginLimiter;
import org.miniups.user.SessionTokens;
import org.miniups.user.UserRepository;
import org.miniups.world.TruckPoller;
import org.miniups.world.WorldConnection;
import org.miniups.world.WorldEventRouter;
import org.miniups.world.WorldIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mini-UPS node: the actor system, its database schema, and the actors of the design. The
 * connections, outboxes, inboxes and allocator are cluster singletons; trucks are sharded.
 */
public final class UpsService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpsService.class);
  private static final String DATABASE_HINT =
      " (is the database running? check DB_URL, e.g. jdbc:postgresql://host:5432/db or jdbc:h2:file:./data/ups,"
          + " DB_USER and DB_PASSWORD)";

  private final ActorSystem<SpawnProtocol.Command> system;
  private final List<Integer> truckIds;
  private final Duration askTimeout;
  private final ActorRef<SequenceAllocator.Command> allocator;
  private final ActorRef<ResendSupervisor.Command> worldOutbox;
  private final ActorRef<InboundDedup.Command> worldInbox;
  private final ActorRef<LinkConnection.Command> worldConnection;
  private final ActorRef<Topic.Command<Truck.Changed>> truckTopic;
  private final ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic;
  private final ActorRef<WorldIdentity.Command> worldIdentity;
  private final ActorRef<ResendSupervisor.Command> amazonOutbox;
  private final ActorRef<InboundDedup.Command> amazonInbox;
  private final ActorRef<Dispatcher.Command> dispatcher;
  private final ActorRef<LinkConnection.Command> amazonConnection;
  private final ActorRef<LinkConnection.Opened> fleetWakeUp;
  private final ReadSideDatabase readSide;
  private final ActorRef<PackageDirectory.Command> directory;
  private final KnownTrackingNumbers knownTrackingNumbers;
  private final ActorRef<TrackingNumberRegister.Command> trackingNumbers;
  private final ActorRef<DatabaseMonitor.Command> databaseMonitor;
  private final ActorRef<Accounts.Command> accounts;
  private final SessionTokens sessions;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final SharedKillSwitch liveUpdates = KillSwitches.shared("live-updates");
  private final TruckPositions truckPositions = new TruckPositions();
  private final ActorRef<LiveUpdateHub.Command> liveUpdateHub;

  private UpsService(Config config) {
    this.system = createSystem(config);
    Config app = config.getConfig("mini-ups");
    this.askTimeout = app.getDuration("ask-timeout");
    int fleetSize = app.getInt("fleet.trucks");
    this.truckIds = IntStream.rangeClosed(1, fleetSize).boxed().toList();

    joinClusterIfAlone();
    createSchema();
    io.micrometer.core.instrument.Metrics.addRegistry(metrics);
    readSide = openReadSide(config);
    Clock clock = Clock.systemUTC();
    Config accountSettings = app.getConfig("accounts");
    sessions =
        SessionTokens.fromConfig(
            accountSettings.getString("session-secret"), accountSettings.getDuration("session-lifetime"), clock);
    accounts =
        spawn(
            Accounts.create(
                new UserRepository(readSide.dataSource(), accountSettings.getInt("bcrypt-cost"), clock),
                sessions,
                new LoginLimiter(
                    accountSettings.getInt("login-max-failures"), accountSettings.getDuration("login-window"), clock)),
            "accounts");
    directory = spawn(PackageDirectory.create(readSide.dataSource()), "package-directory");
    knownTrackingNumbers = new KnownTrackingNumbers(app.getLong("read-side.tracking-cache-size"));
    trackingNumbers =
        spawn(TrackingNumberRegister.create(readSide.dataSource(), knownTrackingNumbers), "tracking-numbers");
    databaseMonitor =
        spawn(
            DatabaseMonitor.create(
                readSide.dataSource(), config.getString(AppConfig.DB_URL), app.getDuration("db.check-interval"), clock),
            "database-monitor");

    ClusterSingleton singletons = ClusterSingleton.get(system);
    Duration resendInterval = app.getDuration("link.resend-interval");
    int blockSize = app.getInt("link.seqnum-block-size");
    allocator = singletons.init(SingletonActor.of(SequenceAllocator.create(), "sequence-allocator"));
    worldIdentity = singletons.init(SingletonActor.of(WorldIdentity.create(), "world-identity"));
    worldOutbox =
        singletons.init(
            SingletonActor.of(
                ResendSupervisor.create(
                    PersistenceId.ofUniqueId("outbox-world"), allocator, resendInterval, blockSize),
                "world-outbox"));
    amazonOutbox =
        singletons.init(
            SingletonActor.of(
                ResendSupervisor.create(
                    PersistenceId.ofUniqueId("outbox-amazon"), allocator, resendInterval, blockSize),
                "amazon-outbox"));
    truckTopic = spawn(Topic.create(Truck.Changed.class, Truck.TOPIC_NAME), "truck-topic");
    shipmentTopic = spawn(Topic.create(Shipment.Changed.class, Shipment.TOPIC_NAME), "shipment-topic");
    Shipment.init(system, shipmentTopic, clock);
    liveUpdateHub = spawn(LiveUpdateHub.create(shipmentTopic, truckTopic, this::shipment, askTimeout, truckPositions, metrics), "live-update-hub");
    dispatcher =
        singletons.init(
            SingletonActor.of(
                Dispatcher.create(
                    Dispatcher.PERSISTENCE_ID,
                    DispatchPolicy.fillTripsThenNearest(app.getInt("dispatch.max-shipments-per-trip")),
                    truckIds,
                    this::truck,
                    truckTopic,
                    askTimeout),
                "dispatcher"));
    Truck.init(
        system,
        UpsService::startingPoint,
        new Truck.Links(
            worldOutbox,
            amazonOutbox,
            this::shipment,
            cargo ->
                AskPattern.<Dispatcher.Command, Done>ask(
                    dispatcher, replyTo -> new Dispatcher.Dispatch(cargo, replyTo), askTimeout, system.scheduler())),
        truckTopic,
        clock);

    WorldEventRouter worldRouter =
        new WorldEventRouter(system, this::truck, Set.copyOf(truckIds), worldOutbox, askTimeout);
    worldInbox =
        singletons.init(
            SingletonActor.of(
                InboundDedup.create(
                    PersistenceId.ofUniqueId("inbox-world"),
                    "the World",
                    app.getInt("link.dedup-capacity"),
                    worldRouter),
                "world-inbox"));
    List<WorldConnection.TruckInit> fleet =
        truckIds.stream()
            .map(id -> new WorldConnection.TruckInit(id, startingPoint(id).x(), startingPoint(id).y()))
            .toList();
    worldConnection =
        singletons.init(
            SingletonActor.of(
                WorldConnection.create(
                    WorldConnection.settings(config), fleet, worldOutbox, worldInbox, worldIdentity),
                "world-connection"));

    ActorRef<WarehouseRegistry.Command> warehouses =
        singletons.init(SingletonActor.of(WarehouseRegistry.create(), "warehouses"));
    AmazonRequestRouter amazonRouter =
        new AmazonRequestRouter(
            system, warehouses, this::shipment, this::truck, Set.copyOf(truckIds), dispatcher, amazonOutbox,
            profileId ->
                AskPattern.<Accounts.Command, Boolean>ask(
                    accounts, replyTo -> new Accounts.Exists(profileId, replyTo), askTimeout, system.scheduler()),
            (trackingNumber, shipId) ->
                AskPattern.<TrackingNumberRegister.Command, StatusReply<Done>>ask(
                        trackingNumbers, replyTo -> new TrackingNumberRegister.Register(trackingNumber, shipId, replyTo),
                        askTimeout, system.scheduler())
                    .thenApply(StatusReply::getValue),
            askTimeout);
    amazonInbox =
        singletons.init(
            SingletonActor.of(
                InboundDedup.create(
                    PersistenceId.ofUniqueId("inbox-amazon"), "Amazon", app.getInt("link.dedup-capacity"), amazonRouter),
                "amazon-inbox"));
    amazonConnection =
        singletons.init(
            SingletonActor.of(
                AmazonConnection.create(
                    AmazonConnection.settings(config), worldConnection, askTimeout.multipliedBy(3), amazonOutbox, amazonInbox),
                "amazon-connection"));
    spawn(TruckPoller.create(truckTopic, worldOutbox, app.getDuration("fleet.query-interval")), "truck-poller");
    PackageIndexProjection.init(system, readSide.dataSource(), metrics);

    ServiceMetrics jvmMetrics = ServiceMetrics.bindTo(metrics);

    // On shutdown the links go first, so nothing arrives for actors that are stopping; the
    // database closes last, once every entity has written what it had.
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    for (var link : List.of(amazonConnection, worldConnection)) {
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceUnbind(),
          "leave-" + link.path().name(),
          () -> AskPattern.ask(link, LinkConnection.Leave::new, Duration.ofSeconds(5), system.scheduler()));
    }
    // Before the HTTP server unbinds and then terminates its connections: the streams end first.
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
    fleetWakeUp = spawn(FleetWakeUp.create(truckIds, this::truck), "fleet-wake-up");
  }

  /** Starts a node; returns once its schema exists and its actors are spawned. */
  public static UpsService start(Config config) {
    return new UpsService(config);
  }

  /**
   * Joins the world given in config (or the one this database belongs to, or a new one). The
   * connection keeps trying after {@code patience}; only the answer is then lost.
   */
  public CompletionStage<LinkConnection.Opened> joinConfiguredWorld(Duration patience) {
    long worldId = system.settings().config().getLong("mini-ups.world.id");
    return AskPattern.<LinkConnection.Command, LinkConnection.Opened>ask(
        worldConnection,
        replyTo -> new LinkConnection.Open(worldId, replyTo),
        patience,
        system.scheduler())
        .thenApply(opened -> {
          fleetWakeUp.tell(opened);
          return opened;
        });
  }

  /**
   * Runs as a UPS does in production: rejoins the world this database belongs to right away (so
   * trucks keep moving while Amazon is away) and keeps connecting to Amazon, which names the world.
   */
  public void connectToPeers() {
    long configured = system.settings().config().getLong("mini-ups.world.id");
    AskPattern.<WorldIdentity.Command, WorldIdentity.State>ask(
            worldIdentity, WorldIdentity.Get::new, askTimeout, system.scheduler())
        .thenAccept(
            known -> {
              long world = configured != 0 ? configured : known.worldId();
              if (world != 0) worldConnection.tell(new LinkConnection.Open(world, fleetWakeUp));
            });
    amazonConnection.tell(new LinkConnection.Open(0, fleetWakeUp));
  }

  /** Serves the tracking API and web site on the configured port (0: any free port). */
  public CompletionStage<ServerBinding> startHttp() {
    Config http = system.settings().config().getConfig("mini-ups.http");
    Backend backend =
        new Backend(
            system, askTimeout, this::shipment, this::truck, truckIds, directory, knownTrackingNumbers, accounts, sessions,
            liveUpdateHub, truckPositions, http.getDuration("live-heartbeat"), worldOutbox, amazonOutbox, liveUpdates,
            databaseMonitor);
    return HttpServer.start(system, http.getString("interface"), http.getInt("port"), new ApiRoutes(backend, metrics).routes());
  }

  /** Trucks start on a small grid near the origin, five to a row. */
  public static Truck.Location startingPoint(int truckId) {
    return new Truck.Location(((truckId - 1) % 5) * 2, ((truckId - 1) / 5) * 2);
  }

  public EntityRef<Truck.Command> truck(int truckId) {
    return ClusterSharding.get(system).entityRefFor(Truck.ENTITY_KEY, String.valueOf(truckId));
  }

  public ActorSystem<SpawnProtocol.Command> system() {
    return system;
  }

  public List<Integer> truckIds() {
    return truckIds;
  }

  public Duration askTimeout() {
    return askTimeout;
  }

  public ActorRef<ResendSupervisor.Command> worldOutbox() {
    return worldOutbox;
  }

  public ActorRef<InboundDedup.Command> worldInbox() {
    return worldInbox;
  }

  public ActorRef<LinkConnection.Command> worldConnection() {
    return worldConnection;
  }

  public ActorRef<SequenceAllocator.Command> allocator() {
    return allocator;
  }

  public ActorRef<Topic.Command<Truck.Changed>> truckTopic() {
    return truckTopic;
  }

  public ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic() {
    return shipmentTopic;
  }

  public EntityRef<Shipment.Command> shipment(long shipId) {
    return ClusterSharding.get(system).entityRefFor(Shipment.ENTITY_KEY, String.valueOf(shipId));
  }

  public ActorRef<ResendSupervisor.Command> amazonOutbox() {
    return amazonOutbox;
  }

  public ActorRef<InboundDedup.Command> amazonInbox() {
    return amazonInbox;
  }

  public ActorRef<LinkConnection.Command> amazonConnection() {
    return amazonConnection;
  }

  public ActorRef<TrackingNumberRegister.Command> trackingNumbers() {
    return trackingNumbers;
  }

  public ActorRef<Accounts.Command> accounts() {
    return accounts;
  }

  public ActorRef<Dispatcher.Command> dispatcher() {
    return dispatcher;
  }

  public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
    try {
      return AskPattern.<SpawnProtocol.Command, ActorRef<T>>ask(
              system,
              replyTo -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), replyTo),
              Duration.ofSeconds(10),
              system.scheduler())
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not start " + name, e);
    }
  }

  private static ActorSystem<SpawnProtocol.Command> createSystem(Config config) {
    try {
      return ActorSystem.create(SpawnProtocol.create(), "mini-ups", config);
    } catch (RuntimeException e) {
      String address =
          config.getString("pekko.remote.artery.canonical.hostname")
              + ":"
              + config.getInt("pekko.remote.artery.canonical.port");
      throw new IllegalStateException(
          "could not open the cluster port " + address + " (" + rootMessage(e)
              + "); is another mini-UPS running? Set CLUSTER_PORT to use another port",
          e);
    }
  }

  private void joinClusterIfAlone() {
    if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  private ReadSideDatabase openReadSide(Config config) {
    try {
      return ReadSideDatabase.open(
          config.getString(AppConfig.DB_URL),
          config.getString("mini-ups.db.user"),
          config.getString("mini-ups.db.password"),
          config.getInt("mini-ups.read-side.pool-size"));
    } catch (RuntimeException e) {
      system.terminate();
      throw new IllegalStateException(
          "Could not prepare the read-side tables at " + config.getString(AppConfig.DB_URL) + ": " + rootMessage(e)
              + DATABASE_HINT, e);
    }
  }

  /** Creates the journal and snapshot tables when missing (idempotent on H2 and PostgreSQL). */
  private void createSchema() {
    try {
      JournalSchema.createIfNotExists(system).toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException(
          "Could not prepare the database at " + system.settings().config().getString(AppConfig.DB_URL)
              + ": " + rootMessage(e) + DATABASE_HINT, e);
    }
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /** Stops the node as SIGTERM does (coordinated shutdown), and waits until it has stopped. */
  @Override
  public void close() {
    try {
      CoordinatedShutdown.get(system)
          .runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Actor system did not stop in time: {}", rootMessage(e));
    }
  }
}
