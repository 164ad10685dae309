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
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.miniups.http.ApiRoutes;
import org.miniups.http.Backend;
import org.miniups.http.HttpServer;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
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
   * connection keeps trying after {@code patience}; only the answer is then lost. The connector
   * hears the answer too, so an accepted one wakes the fleet as a link it opened would.
   */
  public CompletionStage<LinkConnection.Opened> joinConfiguredWorld(Duration patience) {
    long worldId = system.settings().config().getLong("mini-ups.world.id");
    return AskPattern.<LinkConnection.Command, LinkConnection.Opened>ask(
        components.links().worldConnection(),
        replyTo -> new LinkConnection.Open(worldId, replyTo),
        patience,
        system.scheduler())
        .thenApply(opened -> {
          components.links().peerConnector().tell(new PeerConnector.LinkOpened(opened));
          return opened;
        });
  }

  /** See {@link Links#connectToPeers}. */
  public void connectToPeers() {
    components.connectToPeers();
  }

  /** Serves the tracking API and web site on the configured port (0: any free port). */
  public CompletionStage<ServerBinding> startHttp() {
    Config http = system.settings().config().getConfig("mini-ups.http");
    UpsComponents c = components;
    ReadSide readSide = c.readSide();
    LiveUpdates live = c.liveUpdates();
    Backend backend =
        new Backend(
            system, c.askTimeout(), c::shipment, c::truck, c.fleet().truckIds(), readSide.directory(),
            readSide.knownTrackingNumbers(), readSide.accounts(), readSide.sessions(), live.hub(), live.truckPositions(),
            http.getDuration("live-heartbeat"), c.outboxes().world(), c.outboxes().amazon(), live.streams(),
            readSide.databaseMonitor());
    return HttpServer.start(system, http.getString("interface"), http.getInt("port"), new ApiRoutes(backend, c.metrics()).routes());
  }

  public ActorSystem<UpsGuardian.Command> system() {
    return system;
  }

  public EntityRef<Truck.Command> truck(int truckId) {
    return ClusterSharding.get(system).entityRefFor(Truck.ENTITY_KEY, String.valueOf(truckId));
  }

  public EntityRef<Shipment.Command> shipment(long shipId) {
    return ClusterSharding.get(system).entityRefFor(Shipment.ENTITY_KEY, String.valueOf(shipId));
  }

  public List<Integer> truckIds() {
    return components.fleet().truckIds();
  }

  public ActorRef<ResendSupervisor.Command> worldOutbox() {
    return components.outboxes().world();
  }

  public ActorRef<ResendSupervisor.Command> amazonOutbox() {
    return components.outboxes().amazon();
  }

  public ActorRef<InboundDedup.Command> worldInbox() {
    return components.links().worldInbox();
  }

  public ActorRef<LinkConnection.Command> worldConnection() {
    return components.links().worldConnection();
  }

  public ActorRef<TrackingNumberRegister.Command> trackingNumbers() {
    return components.readSide().trackingNumbers();
  }

  public ActorRef<Accounts.Command> accounts() {
    return components.readSide().accounts();
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
