package org.miniups.sim.world;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.miniups.sim.SimSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for the course's World simulator: worlds in memory, a UPS port and an Amazon port,
 * speaking PROTOCOL.md's "UPS ⇄ World" and "Amazon ⇄ World". Runs on its own ActorSystem.
 */
public final class SimWorldServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SimWorldServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);


  private final ActorSystem<WorldRegistry.Command> system;
  private final Tcp.ServerBinding upsBinding;
  private final Tcp.ServerBinding amazonBinding;

  private SimWorldServer(
      ActorSystem<WorldRegistry.Command> system,
      Tcp.ServerBinding upsBinding,
      Tcp.ServerBinding amazonBinding) {
    this.system = system;
    this.upsBinding = upsBinding;
    this.amazonBinding = amazonBinding;
  }

  /** Starts the simulator and returns once both ports are bound. */
  public static SimWorldServer start(SimWorldSettings settings) {
    ActorSystem<WorldRegistry.Command> system =
        ActorSystem.create(
            WorldRegistry.create(settings), "sim-world", SimSystem.CONFIG);
    try {
      Tcp.ServerBinding ups = SimSystem.await(bind(system, settings.host(), settings.upsPort(), Side.UPS),
          BIND_TIMEOUT);
      Tcp.ServerBinding amazon =
          SimSystem.await(bind(system, settings.host(), settings.amazonPort(), Side.AMAZON), BIND_TIMEOUT);
      log.info(
          "simulated world listening on {} for UPS and {} for Amazon (flakiness {}%, simspeed {})",
          ups.localAddress(),
          amazon.localAddress(),
          settings.flakinessPercent(),
          settings.simSpeed());
      return new SimWorldServer(system, ups, amazon);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  private static CompletionStage<Tcp.ServerBinding> bind(
      ActorSystem<WorldRegistry.Command> system, String host, int port, Side side) {
    return Tcp.get(system)
        .bind(host, port)
        .to(Sink.foreach(connection -> system.tell(new WorldRegistry.Accept(connection, side))))
        .run(system);
  }

  public int upsPort() {
    return upsBinding.localAddress().getPort();
  }

  public int amazonPort() {
    return amazonBinding.localAddress().getPort();
  }

  /** A snapshot of one world; IllegalArgumentException when there is no such world. */
  public SimWorldStats stats(long worldId) {
    try {
      return SimSystem.await(
          AskPattern.askWithStatus(
              system,
              replyTo -> new WorldRegistry.GetStats(worldId, replyTo),
              ASK_TIMEOUT,
              system.scheduler()),
          ASK_TIMEOUT);
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage error) {
        throw new IllegalArgumentException(error.getMessage(), error);
      }
      throw e;
    }
  }

  public Set<Long> worldIds() {
    return SimSystem.await(
        AskPattern.ask(system, WorldRegistry.ListWorlds::new, ASK_TIMEOUT, system.scheduler()),
        ASK_TIMEOUT);
  }

  /**
   * Aborts every open connection, as a network failure would. Returns once each world has been
   * told, so a peer may join again right away.
   */
  public void dropConnections() {
    List<ActorRef<PeerConnection.Command>> connections =
        SimSystem.await(
            AskPattern.ask(
                system, WorldRegistry.ListConnections::new, ASK_TIMEOUT, system.scheduler()),
            ASK_TIMEOUT);
    CompletableFuture<?>[] dropped =
        connections.stream()
            .map(
                connection ->
                    AskPattern.ask(
                            connection,
                            PeerConnection.Drop::new,
                            ASK_TIMEOUT,
                            system.scheduler())
                        // A connection that stopped meanwhile is already gone: fine.
                        .exceptionally(failure -> null)
                        .toCompletableFuture())
            .toArray(CompletableFuture[]::new);
    SimSystem.await(CompletableFuture.allOf(dropped), ASK_TIMEOUT);
  }

  /** Unbinds both ports and terminates the ActorSystem (every connection closes with it). */
  @Override
  public void close() {
    try {
      SimSystem.await(upsBinding.unbind(), ASK_TIMEOUT);
      SimSystem.await(amazonBinding.unbind(), ASK_TIMEOUT);
    } finally {
      system.terminate();
      SimSystem.await(system.getWhenTerminated(), ASK_TIMEOUT);
    }
  }

}
