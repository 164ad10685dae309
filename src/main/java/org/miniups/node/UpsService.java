package org.miniups.node;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.miniups.dispatch.Dispatcher;
import org.miniups.http.ApiRoutes;
import org.miniups.http.Backend;
import org.miniups.http.HttpServer;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.TrackingNumberRegister;
import org.miniups.truck.Truck;
import org.miniups.user.Accounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mini-UPS node as its users start it: an actor system whose {@link UpsGuardian} prepares the
 * database and starts the {@link UpsComponents} on the cluster ({@link ClusterPlacement}), linked
 * to the World and Amazon over TCP. This handle waits for the guardian's report, then serves HTTP
 * and stops the node on request.
 */
public final class UpsService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpsService.class);
  private static final Duration START_PATIENCE = Duration.ofSeconds(90);

  private final ActorSystem<UpsGuardian.Command> system;
  private final UpsComponents components;

  private UpsService(ActorSystem<UpsGuardian.Command> system, UpsComponents components) {
    this.system = system;
    this.components = components;
  }

  /** Starts a node; returns once its schema exists and its actors are started. */
  public static UpsService start(Config config) {
    CompletableFuture<UpsComponents> started = new CompletableFuture<>();
    ActorSystem<UpsGuardian.Command> system =
        createSystem(
            UpsGuardian.create(ClusterPlacement::joinOrForm, PeerLinks.overTcp(config), Clock.systemUTC(), started),
            config);
    try {
      return new UpsService(system, started.get(START_PATIENCE.toSeconds(), TimeUnit.SECONDS));
    } catch (ExecutionException e) {
      system.terminate();
      throw e.getCause() instanceof IllegalStateException failure ? failure : new IllegalStateException(rootMessage(e), e);
    } catch (TimeoutException e) {
      system.terminate();
      throw new IllegalStateException("the node did not start within " + START_PATIENCE.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      system.terminate();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting", e);
    }
  }

  /**
   * Joins the world given in config (or the one this database belongs to, or a new one). The
   * connection keeps trying after {@code patience}; only the answer is then lost.
   */
  public CompletionStage<LinkConnection.Opened> joinConfiguredWorld(Duration patience) {
    long worldId = system.settings().config().getLong("mini-ups.world.id");
    return AskPattern.<LinkConnection.Command, LinkConnection.Opened>ask(
        components.worldConnection(),
        replyTo -> new LinkConnection.Open(worldId, replyTo),
        patience,
        system.scheduler())
        .thenApply(opened -> {
          components.fleetWakeUp().tell(opened);
          return opened;
        });
  }

  /** See {@link UpsComponents#connectToPeers}. */
  public void connectToPeers() {
    components.connectToPeers();
  }

  /** Serves the tracking API and web site on the configured port (0: any free port). */
  public CompletionStage<ServerBinding> startHttp() {
    Config http = system.settings().config().getConfig("mini-ups.http");
    UpsComponents c = components;
    Backend backend =
        new Backend(
            system, c.askTimeout(), c::shipment, c::truck, c.truckIds(), c.directory(), c.knownTrackingNumbers(),
            c.accounts(), c.sessions(), c.liveUpdateHub(), c.truckPositions(), http.getDuration("live-heartbeat"),
            c.worldOutbox(), c.amazonOutbox(), c.liveUpdates(), c.databaseMonitor());
    return HttpServer.start(system, http.getString("interface"), http.getInt("port"), new ApiRoutes(backend, c.metrics()).routes());
  }

  public static Truck.Location startingPoint(int truckId) {
    return UpsComponents.startingPoint(truckId);
  }

  public UpsComponents components() {
    return components;
  }

  public EntityRef<Truck.Command> truck(int truckId) {
    return ClusterSharding.get(system).entityRefFor(Truck.ENTITY_KEY, String.valueOf(truckId));
  }

  public EntityRef<Shipment.Command> shipment(long shipId) {
    return ClusterSharding.get(system).entityRefFor(Shipment.ENTITY_KEY, String.valueOf(shipId));
  }

  public ActorSystem<UpsGuardian.Command> system() {
    return system;
  }

  public List<Integer> truckIds() {
    return components.truckIds();
  }

  public Duration askTimeout() {
    return components.askTimeout();
  }

  public ActorRef<ResendSupervisor.Command> worldOutbox() {
    return components.worldOutbox();
  }

  public ActorRef<InboundDedup.Command> worldInbox() {
    return components.worldInbox();
  }

  public ActorRef<LinkConnection.Command> worldConnection() {
    return components.worldConnection();
  }

  public ActorRef<SequenceAllocator.Command> allocator() {
    return components.allocator();
  }

  public ActorRef<Topic.Command<Truck.Changed>> truckTopic() {
    return components.truckTopic();
  }

  public ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic() {
    return components.shipmentTopic();
  }

  public ActorRef<ResendSupervisor.Command> amazonOutbox() {
    return components.amazonOutbox();
  }

  public ActorRef<InboundDedup.Command> amazonInbox() {
    return components.amazonInbox();
  }

  public ActorRef<LinkConnection.Command> amazonConnection() {
    return components.amazonConnection();
  }

  public ActorRef<TrackingNumberRegister.Command> trackingNumbers() {
    return components.trackingNumbers();
  }

  public ActorRef<Accounts.Command> accounts() {
    return components.accounts();
  }

  public ActorRef<Dispatcher.Command> dispatcher() {
    return components.dispatcher();
  }

  private static ActorSystem<UpsGuardian.Command> createSystem(Behavior<UpsGuardian.Command> guardian, Config config) {
    try {
      return ActorSystem.create(guardian, "mini-ups", config);
    } catch (RuntimeException e) {
      if (!(rootCause(e) instanceof java.net.BindException)) {
        throw new IllegalStateException("could not start the actor system: " + rootMessage(e), e);
      }
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

  static String rootMessage(Throwable e) {
    Throwable root = rootCause(e);
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private static Throwable rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root;
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
