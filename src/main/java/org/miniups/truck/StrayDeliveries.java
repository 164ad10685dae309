package org.miniups.truck;

import java.time.Duration;
import java.util.function.LongFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldEvent;

/**
 * The World delivered a shipment this truck does not have aboard. The World acts only on commands
 * that were written first, so either this is a repeat of a drop the truck recorded, or the
 * truck's journal holds a departure this incarnation lacks (another incarnation, on a node
 * leaving the cluster, wrote it after this one recovered). Acking the second would lose the
 * delivery: the truck stops unanswered instead, and the report, asked again, meets an incarnation
 * that reads the whole journal.
 */
final class StrayDeliveries {
  private final ActorContext<Truck.Command> context;
  private final EffectFactories<Truck.Event, TruckState> effect;
  private final int truckId;
  private final LongFunction<RecipientRef<Shipment.Command>> shipments;
  private final Duration timeout;

  StrayDeliveries(
      ActorContext<Truck.Command> context, EffectFactories<Truck.Event, TruckState> effect, int truckId,
      LongFunction<RecipientRef<Shipment.Command>> shipments, Duration timeout) {
    this.context = context;
    this.effect = effect;
    this.truckId = truckId;
    this.shipments = shipments;
    this.timeout = timeout;
  }

  /**
   * Cargo not sent out yet means a departure this state lacks. Cargo unknown to the truck is a
   * recorded drop repeated, or else the shipment, which records for good which truck it left with,
   * tells a repeat from a trip of another incarnation ({@link Truck.DeliveryChecked}).
   */
  ReplyEffect<Truck.Event, TruckState> check(TruckState state, WorldEvent.PackageDelivered delivered, ActorRef<Done> replyTo) {
    long shipId = delivered.packageId();
    if (state.cargo(shipId).isPresent()) return behindTheJournal(shipId);
    if (state.recordedDelivery(shipId)) return effect.reply(replyTo, Done.getInstance());
    context.ask(Shipment.Summary.class, shipments.apply(shipId), timeout, Shipment.Get::new,
        (shipment, failure) -> new Truck.DeliveryChecked(delivered, failure == null ? shipment : null, replyTo));
    return effect.noReply();
  }

  ReplyEffect<Truck.Event, TruckState> onChecked(Truck.DeliveryChecked checked) {
    Shipment.Summary shipment = checked.shipment();
    if (shipment == null) return effect.noReply(); // the World's report is asked again
    if (shipment.status() == Shipment.Status.OUT_FOR_DELIVERY && shipment.truckId() == truckId) {
      return behindTheJournal(shipment.shipId());
    }
    return effect.reply(checked.replyTo(), Done.getInstance());
  }

  private ReplyEffect<Truck.Event, TruckState> behindTheJournal(long shipId) {
    context.getLog().warn(
        "Truck {}: the World delivered shipment {}, which this truck has not sent out; reading the journal again",
        truckId, shipId);
    return effect.stop().thenNoReply();
  }
}
