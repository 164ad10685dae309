package org.miniups.relay;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.RecipientRef;
import org.miniups.link.InboundDedup;
import org.miniups.link.PeerMessage;
import org.miniups.link.ResendSupervisor;
import org.miniups.truck.Truck;
import org.miniups.world.WorldEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each new World item to the truck it concerns. A World error names only the seqnum of the
 * failed command; the outbox knows which truck sent it.
 */
public final class WorldEventRouter implements InboundDedup.Handler {
  private static final Logger log = LoggerFactory.getLogger(WorldEventRouter.class);

  private final ActorSystem<?> system;
  private final IntFunction<RecipientRef<Truck.Command>> trucks;
  private final Set<Integer> fleet;
  private final ActorRef<ResendSupervisor.Command> outbox;
  private final Duration timeout;

  public WorldEventRouter(
      ActorSystem<?> system,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      Set<Integer> fleet,
      ActorRef<ResendSupervisor.Command> outbox,
      Duration timeout) {
    this.system = system;
    this.trucks = trucks;
    this.fleet = Set.copyOf(fleet);
    this.outbox = outbox;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<?> handle(long seqnum, PeerMessage message) {
    if (message instanceof WorldEvent.CommandFailed failed) return routeError(failed);
    WorldEvent event = (WorldEvent) message;
    if (!fleet.contains(event.truckId())) {
      log.warn("World reported on truck {}, which is not in our fleet; ignored: {}", event.truckId(), event);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return AskPattern.<Truck.Command, Done>ask(
        trucks.apply(event.truckId()), replyTo -> new Truck.ReportFromWorld(event, replyTo), timeout, system.scheduler());
  }

  /** A truck's position only refreshes what people see: no record needed to handle it once. */
  @Override
  public boolean needsRecord(PeerMessage message) {
    return !(message instanceof WorldEvent.TruckReport);
  }

  private CompletionStage<?> routeError(WorldEvent.CommandFailed failed) {
    return AskPattern.<ResendSupervisor.Command, ResendSupervisor.Sender>ask(
            outbox,
            replyTo -> new ResendSupervisor.WhoSent(failed.originSeqnum(), replyTo),
            timeout,
            system.scheduler())
        .thenCompose(
            sender -> {
              Optional<ResendSupervisor.Origin> origin = sender.origin();
              Optional<Integer> truck = origin.flatMap(WorldEventRouter::truckOf).filter(fleet::contains);
              if (truck.isEmpty()) {
                log.warn(
                    "World error for our command {} ({}): {}",
                    failed.originSeqnum(),
                    origin.map(o -> o.entityType() + " " + o.entityId()).orElse("sender no longer known"),
                    failed.error());
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              return AskPattern.<Truck.Command, Done>ask(
                  trucks.apply(truck.get()),
                  replyTo -> new Truck.CommandRefused(origin.get().effectId(), failed.error(), replyTo),
                  timeout,
                  system.scheduler());
            });
  }

  /** Whether a stored item came from a truck, and which: how a World error finds its truck. */
  private static Optional<Integer> truckOf(ResendSupervisor.Origin origin) {
    if (!Truck.ENTITY_KEY.name().equals(origin.entityType())) return Optional.empty();
    return Optional.of(Integer.parseInt(origin.entityId()));
  }
}
