package org.miniups.sim.amazon;

import java.util.function.BiConsumer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.miniups.sim.SimSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for another team's Amazon: it creates a world with its warehouses, listens for UPS,
 * emits pickups and loads trucks, speaking PROTOCOL.md's "Amazon ⇄ World" and "UPS ⇄ Amazon".
 * Runs on its own local ActorSystem. With a state dir it survives a kill: a new server on the same
 * dir goes on with the same world, shipments and seqnums.
 */
public final class SimAmazonServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SimAmazonServer.class);
  private static final Duration WORLD_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);


  private final ActorSystem<SimAmazon.Command> system;
  private final Tcp.ServerBinding upsBinding;
  private final long worldId;
  private final boolean resumed;
  private final SimAmazonSettings settings;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SimAmazonServer(
      ActorSystem<SimAmazon.Command> system,
      Tcp.ServerBinding upsBinding,
      long worldId,
      boolean resumed,
      SimAmazonSettings settings) {
    this.system = system;
    this.upsBinding = upsBinding;
    this.worldId = worldId;
    this.resumed = resumed;
    this.settings = settings;
  }

  /**
   * Returns once the world is created (its id known) and the UPS port is bound. With a state dir
   * that holds a saved run, that run goes on: its world id is known at once, and the world is
   * rejoined in the background.
   */
  public static SimAmazonServer start(SimAmazonSettings settings) {
    Optional<SavedAmazon> saved = settings.stateDir().flatMap(SavedAmazon::load);
    ActorSystem<SimAmazon.Command> system =
        ActorSystem.create(
            SimAmazon.create(settings, saved), "sim-amazon", SimSystem.CONFIG);
    try {
      long worldId;
      try {
        worldId =
            SimSystem.await(
                AskPattern.ask(system, SimAmazon.AwaitWorld::new, WORLD_TIMEOUT, system.scheduler()),
                WORLD_TIMEOUT);
      } catch (IllegalStateException e) {
        throw new IllegalStateException(
            "could not create a world at " + settings.worldHost() + ":" + settings.worldPort()
                + " within " + WORLD_TIMEOUT.toSeconds() + " s (is the World running?)",
            e);
      }
      Tcp.ServerBinding binding =
          SimSystem.await(
              Tcp.get(system)
                  .bind(settings.host(), settings.upsPort())
                  .to(Sink.foreach(connection -> system.tell(new SimAmazon.Accept(connection))))
                  .run(system),
              ASK_TIMEOUT);
      log.info(
          "simulated Amazon: world {} at {}:{}, listening for UPS on {} ({} warehouses, {} pickups at {}/s)",
          worldId,
          settings.worldHost(),
          settings.worldPort(),
          binding.localAddress(),
          settings.warehouses(),
          settings.packages(),
          settings.rate());
      return new SimAmazonServer(system, binding, worldId, saved.isPresent(), settings);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  public long worldId() {
    return worldId;
  }

  /** Whether this server went on with a run saved in its state dir. */
  public boolean resumed() {
    return resumed;
  }

  public int upsPort() {
    return upsBinding.localAddress().getPort();
  }

  /**
   * Calls {@code watcher} (on Amazon's actor: it must not block) with the shipid and tracking
   * number of each shipment's first UAPickupAccepted, as Amazon reads it.
   */
  public void watchPickupsAccepted(BiConsumer<Long, String> watcher) {
    system.tell(new SimAmazon.WatchPickupsAccepted(watcher));
  }

  /** A consistent snapshot, taken by the Amazon actor between two messages. */
  public SimAmazonStats stats() {
    return SimSystem.await(
        AskPattern.ask(system, SimAmazon.GetStats::new, ASK_TIMEOUT, system.scheduler()),
        ASK_TIMEOUT);
  }

  /**
   * Writes the report one last time (with a report file), unbinds the UPS port and terminates
   * the ActorSystem (every connection closes with it). Closing again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    try {
      if (settings.reportFile().isPresent()) {
        SimSystem.await(
            AskPattern.<SimAmazon.Command, Done>ask(
                system, SimAmazon.FinalReport::new, ASK_TIMEOUT, system.scheduler()),
            ASK_TIMEOUT);
      }
      SimSystem.await(upsBinding.unbind(), ASK_TIMEOUT);
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

  private void terminate() {
    system.terminate();
    SimSystem.await(system.getWhenTerminated(), ASK_TIMEOUT);
  }

}
