package org.miniups.sim.amazon;

import java.time.Duration;
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
 * Runs on its own local ActorSystem.
 */
public final class SimAmazonServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SimAmazonServer.class);
  private static final Duration WORLD_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);


  private final ActorSystem<SimAmazon.Command> system;
  private final Tcp.ServerBinding upsBinding;
  private final long worldId;

  private SimAmazonServer(
      ActorSystem<SimAmazon.Command> system, Tcp.ServerBinding upsBinding, long worldId) {
    this.system = system;
    this.upsBinding = upsBinding;
    this.worldId = worldId;
  }

  /** Returns once the world is created (its id known) and the UPS port is bound. */
  public static SimAmazonServer start(SimAmazonSettings settings) {
    ActorSystem<SimAmazon.Command> system =
        ActorSystem.create(
            SimAmazon.create(settings), "sim-amazon", SimSystem.CONFIG);
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
      return new SimAmazonServer(system, binding, worldId);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  public long worldId() {
    return worldId;
  }

  public int upsPort() {
    return upsBinding.localAddress().getPort();
  }

  /** A consistent snapshot, taken by the Amazon actor between two messages. */
  public SimAmazonStats stats() {
    return SimSystem.await(
        AskPattern.ask(system, SimAmazon.GetStats::new, ASK_TIMEOUT, system.scheduler()),
        ASK_TIMEOUT);
  }

  /** Unbinds the UPS port and terminates the ActorSystem (every connection closes with it). */
  @Override
  public void close() {
    try {
      SimSystem.await(upsBinding.unbind(), ASK_TIMEOUT);
    } finally {
      system.terminate();
      SimSystem.await(system.getWhenTerminated(), ASK_TIMEOUT);
    }
  }

}
