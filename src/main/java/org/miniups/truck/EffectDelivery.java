package org.miniups.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.miniups.amazon.AmazonNotice;
import org.miniups.effects.EffectLog.Decided;
import org.miniups.effects.EffectRunner;
import org.miniups.link.PeerMessage;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.truck.TruckEffect.Destination;
import org.miniups.world.WorldCommand;

/**
 * How a truck's effects reach their receivers: World and Amazon effects go to their outbox in one
 * batch, numbered on this truck's channel; shipments and the dispatcher get one message each.
 */
final class EffectDelivery implements EffectRunner.Delivery<Destination, TruckEffect> {
  private final ActorSystem<?> system;
  private final int truckId;
  private final TruckLinks links;
  private final Duration timeout;

  EffectDelivery(ActorSystem<?> system, int truckId, TruckLinks links, Duration timeout) {
    this.system = system;
    this.truckId = truckId;
    this.links = links;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Long> deliver(Destination destination, List<Decided<Destination, TruckEffect>> batch) {
    Sending sending = new Sending();
    batch.forEach(decided -> decided.effect().sendTo(sending));
    long first = batch.get(0).number();
    long last = batch.get(batch.size() - 1).number();
    return switch (destination) {
      case WORLD_OUTBOX -> store(links.worldOutbox(), first, sending.messages);
      case AMAZON_OUTBOX -> store(links.amazonOutbox(), first, sending.messages);
      case SHIPMENTS, DISPATCHER ->
          CompletableFuture.allOf(sending.answers.toArray(CompletableFuture[]::new)).thenApply(done -> last);
    };
  }

  private CompletionStage<Long> store(ActorRef<ResendSupervisor.Command> outbox, long first, List<PeerMessage> messages) {
    ResendSupervisor.Origin origin = new ResendSupervisor.Origin(Truck.ENTITY_KEY.name(), String.valueOf(truckId), first);
    return AskPattern.<ResendSupervisor.Command, ResendSupervisor.StoredThrough>ask(
            outbox, replyTo -> new ResendSupervisor.Store(origin, messages, replyTo), timeout, system.scheduler())
        .thenApply(ResendSupervisor.StoredThrough::effectId);
  }

  /** One batch on its way: the outbox messages it holds, or the answers it waits for. */
  private final class Sending implements TruckEffect.Receiver {
    final List<PeerMessage> messages = new ArrayList<>();
    final List<CompletableFuture<Done>> answers = new ArrayList<>();

    @Override
    public void world(WorldCommand command) {
      messages.add(command);
    }

    @Override
    public void amazon(AmazonNotice notice) {
      messages.add(notice);
    }

    @Override
    public void shipment(long shipId, Shipment.Step step) {
      answers.add(
          AskPattern.<Shipment.Command, Done>ask(
                  links.shipments().apply(shipId), replyTo -> new Shipment.Update(step, replyTo), timeout, system.scheduler())
              .toCompletableFuture());
    }

    @Override
    public void dispatcher(Cargo cargo) {
      answers.add(links.redispatch().apply(cargo).toCompletableFuture());
    }
  }
}
