package org.miniups.sim.world;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
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
 * speaking PROTOCOL.md's "UPS ⇄ World" and "Amazon ⇄ World". Runs on its own ActorSystem. With a
 * state dir its worlds survive a kill: a new server on the same dir resumes them.
 */
public final class SimWorldServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SimWorldServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);


  private final ActorSystem<WorldRegistry.Command> system;
  private final Tcp.ServerBinding upsBinding;
  private final Tcp.ServerBinding amazonBinding;
  private final SimWorldSettings settings;
  private final List<Long> resumedWorldIds;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SimWorldServer(
      ActorSystem<WorldRegistry.Command> system,
      Tcp.ServerBinding upsBinding,
      Tcp.ServerBinding amazonBinding,
      SimWorldSettings settings,
      List<Long> resumedWorldIds) {
    this.system = system;
    this.upsBinding = upsBinding;
    this.amazonBinding = amazonBinding;
    this.settings = settings;
    this.resumedWorldIds = resumedWorldIds;
  }

  /**
   * Starts the simulator and returns once both ports are bound; with a state dir that holds
   * worlds, those are resumed first.
   */
  public static SimWorldServer start(SimWorldSettings settings) {
    List<SavedWorld> saved = settings.stateDir().map(SavedWorld::loadAll).orElse(List.of());
    ActorSystem<WorldRegistry.Command> system =
        ActorSystem.create(
            WorldRegistry.create(settings, saved), "sim-world", SimSystem.CONFIG);
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
      List<Long> resumed = saved.stream().map(SavedWorld::worldId).toList();
      if (!resumed.isEmpty()) {
        log.info("resumed worlds {} from {}", resumed, settings.stateDir().orElseThrow());
      }
      return new SimWorldServer(system, ups, amazon, settings, resumed);
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

  /** The worlds this server took over from its state dir, in id order (empty when none). */
  public List<Long> resumedWorldIds() {
    return resumedWorldIds;
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

  /**
   * Writes the report one last time (with a report file), unbinds both ports and terminates the
   * ActorSystem (every connection closes with it). Closing again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    try {
      if (settings.reportFile().isPresent()) writeFinalReport();
      SimSystem.await(upsBinding.unbind(), ASK_TIMEOUT);
      SimSystem.await(amazonBinding.unbind(), ASK_TIMEOUT);
    } finally {
      terminate();
    }
  }

  /**
   * Stops at once, as a SIGKILL would: no final report, and nothing saved that was not saved
   * already (saving never waits for a close). For tests that restart from the state dir.
   */
  public void kill() {
    if (closed.compareAndSet(false, true)) terminate();
  }

  private void writeFinalReport() {
    List<SimWorldReport.WorldEntry> entries =
        worldIds().stream().map(id -> SimWorldReport.WorldEntry.of(stats(id))).toList();
    SimSystem.await(
        AskPattern.<WorldRegistry.Command, Done>ask(
            system,
            replyTo -> new WorldRegistry.FinalReport(entries, replyTo),
            ASK_TIMEOUT,
            system.scheduler()),
        ASK_TIMEOUT);
  }

  private void terminate() {
    system.terminate();
    SimSystem.await(system.getWhenTerminated(), ASK_TIMEOUT);
  }

}
