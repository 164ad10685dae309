package org.miniups.relay;

import org.miniups.truck.Warehouse;
import org.miniups.truck.Location;
import org.miniups.truck.Cargo;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.miniups.amazon.AmazonNotice;
import org.miniups.amazon.AmazonRequest;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.InboundDedup;
import org.miniups.link.PeerMessage;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.truck.Truck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out each new Amazon item: pickups become shipments queued for a truck, loads go to the
 * truck, queries are answered. Every answer that is not part of a shipment's own story (errors,
 * statuses, the answer to a pickup repeated under a new seqnum) is stored in the Amazon outbox
 * under a key made of Amazon's seqnum, so handling the same item again after a crash sends
 * nothing twice. The shipment's own story (accepted, arrived, out for delivery, delivered) comes
 * from its truck, in order.
 */
public final class AmazonRequestRouter implements InboundDedup.Handler {
  private static final Logger log = LoggerFactory.getLogger(AmazonRequestRouter.class);

  /** Whether a UPS profile id names an account; accounts live elsewhere. */
  @FunctionalInterface
  public interface Accounts {
    CompletionStage<Boolean> exists(long profileId);
  }

  /** Makes a tracking number resolvable; completes once it is durable. */
  @FunctionalInterface
  public interface TrackingIndex {
    CompletionStage<Done> register(String trackingNumber, long shipId);
  }

  private final ActorSystem<?> system;
  private final ActorRef<WarehouseRegistry.Command> warehouses;
  private final LongFunction<RecipientRef<Shipment.Command>> shipments;
  private final IntFunction<RecipientRef<Truck.Command>> trucks;
  private final Set<Integer> fleet;
  private final RecipientRef<Dispatcher.Command> dispatcher;
  private final ActorRef<ResendSupervisor.Command> outbox;
  private final Accounts accounts;
  private final TrackingIndex trackingIndex;
  private final Duration timeout;

  public AmazonRequestRouter(
      ActorSystem<?> system,
      ActorRef<WarehouseRegistry.Command> warehouses,
      LongFunction<RecipientRef<Shipment.Command>> shipments,
      IntFunction<RecipientRef<Truck.Command>> trucks,
      Set<Integer> fleet,
      RecipientRef<Dispatcher.Command> dispatcher,
      ActorRef<ResendSupervisor.Command> outbox,
      Accounts accounts,
      TrackingIndex trackingIndex,
      Duration timeout) {
    this.system = system;
    this.warehouses = warehouses;
    this.shipments = shipments;
    this.trucks = trucks;
    this.fleet = Set.copyOf(fleet);
    this.dispatcher = dispatcher;
    this.outbox = outbox;
    this.accounts = accounts;
    this.trackingIndex = trackingIndex;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<?> handle(long seqnum, PeerMessage message) {
    if (message instanceof AmazonRequest.Pickup pickup) return pickup(seqnum, pickup);
    if (message instanceof AmazonRequest.Loaded loaded) return loaded(seqnum, loaded);
    if (message instanceof AmazonRequest.Query query) return query(seqnum, query);
    if (message instanceof AmazonRequest.Refused refused) {
      log.warn("Amazon could not use our message {}: {}", refused.originSeqnum(), refused.error());
      return done();
    }
    return CompletableFuture.failedFuture(new IllegalArgumentException("not an Amazon request: " + message));
  }

  /** Pickups (each creates a shipment) in one lane; loads and queries, quick and urgent, in another. */
  @Override
  public String lane(PeerMessage message) {
    return message instanceof AmazonRequest.Pickup ? "pickups" : "trucks";
  }

  private CompletionStage<Done> pickup(long seqnum, AmazonRequest.Pickup pickup) {
    AmazonRequest.Warehouse wh = pickup.warehouse();
    return this.<WarehouseRegistry.Command, WarehouseRegistry.Registered>ask(
            warehouses, replyTo -> new WarehouseRegistry.Register(wh.id(), wh.x(), wh.y(), replyTo))
        .thenCompose(
            registered -> {
              if (registered.refusal() != null) return refuse(seqnum, registered.refusal());
              return owner(pickup.upsUserId()).thenCompose(owner -> create(seqnum, pickup, owner));
            });
  }

  private CompletionStage<Long> owner(Long upsUserId) {
    if (upsUserId == null) return CompletableFuture.completedFuture(null);
    return accounts.exists(upsUserId).thenApply(exists -> exists ? upsUserId : null);
  }

  private CompletionStage<Done> create(long seqnum, AmazonRequest.Pickup pickup, Long owner) {
    AmazonRequest.Warehouse wh = pickup.warehouse();
    Shipment.Details details =
        new Shipment.Details(
            pickup.shipId(), wh.id(), wh.x(), wh.y(), pickup.destX(), pickup.destY(), pickup.upsUserId(),
            pickup.items().stream().map(i -> new Shipment.Item(i.productId(), i.description(), i.count())).toList());
    return this.<Shipment.Command, Shipment.CreateReply>ask(
            shipments.apply(pickup.shipId()), replyTo -> new Shipment.Create(details, owner, seqnum, replyTo))
        .thenCompose(
            reply -> {
              if (reply.conflict() != null) return refuse(seqnum, reply.conflict());
              Shipment.Summary shipment = reply.shipment();
              if (shipment.pickupSeqnum() != seqnum) return answerRepeat(seqnum, shipment);
              // Until a truck took it, (re-)queue it: the dispatcher ignores what it already has.
              if (shipment.status() != Shipment.Status.CREATED) return done();
              Cargo cargo =
                  new Cargo(
                      pickup.shipId(), new Warehouse(wh.id(), wh.x(), wh.y()),
                      new Location(pickup.destX(), pickup.destY()), shipment.trackingNumber(),
                      shipment.ownerId() != null, seqnum, 0, 0);
              // The truck tells Amazon the number once dispatched: it must resolve by then.
              return trackingIndex.register(shipment.trackingNumber(), shipment.shipId())
                  .thenCompose(indexed -> this.<Dispatcher.Command, Done>ask(dispatcher, replyTo -> new Dispatcher.Dispatch(cargo, replyTo)));
            });
  }

  /**
   * Amazon asked again under a new seqnum: the same answer, once the shipment has its truck (the
   * first answer comes from that truck; this one is ours, keyed by the new seqnum).
   */
  private CompletionStage<Done> answerRepeat(long seqnum, Shipment.Summary shipment) {
    if (shipment.truckId() == 0) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("shipment " + shipment.shipId() + " has no truck yet; answered once it has"));
    }
    return store(
        "accepted/" + seqnum,
        new AmazonNotice.PickupAccepted(shipment.shipId(), shipment.trackingNumber(), shipment.truckId(), shipment.ownerId() != null));
  }

  private CompletionStage<Done> loaded(long seqnum, AmazonRequest.Loaded loaded) {
    if (!fleet.contains(loaded.truckId())) {
      return refuse(seqnum, "truck " + loaded.truckId() + " is not one of ours");
    }
    return this.<Truck.Command, Truck.LoadReply>ask(
            trucks.apply(loaded.truckId()), replyTo -> new Truck.ConfirmLoaded(loaded.shipId(), replyTo))
        .thenCompose(reply -> reply.accepted() ? done() : loadedEarlier(seqnum, loaded, reply.reason()));
  }

  /**
   * The truck does not (or no longer) carry the shipment. An AULoaded naming the truck that
   * collected it is valid whatever happened since (PROTOCOL.md), e.g. one handled again after a
   * crash, once the shipment was delivered: the shipment, which keeps its truck for good, decides.
   */
  private CompletionStage<Done> loadedEarlier(long seqnum, AmazonRequest.Loaded loaded, String truckRefusal) {
    return this.<Shipment.Command, Shipment.Summary>ask(shipments.apply(loaded.shipId()), Shipment.Get::new)
        .thenCompose(
            shipment -> {
              if (!shipment.exists()) return refuse(seqnum, "shipment " + loaded.shipId() + " is unknown");
              if (shipment.wasCollectedBy(loaded.truckId())) {
                log.debug("Amazon's load {} of shipment {} on truck {} changes nothing now ({})",
                    seqnum, loaded.shipId(), loaded.truckId(), shipment.status().text);
                return done();
              }
              return refuse(seqnum, truckRefusal);
            });
  }

  private CompletionStage<Done> query(long seqnum, AmazonRequest.Query query) {
    return this.<Shipment.Command, Shipment.Summary>ask(shipments.apply(query.shipId()), Shipment.Get::new)
        .thenCompose(
            shipment -> {
              if (!shipment.exists()) return refuse(seqnum, "shipment " + query.shipId() + " is unknown");
              return position(shipment)
                  .thenCompose(
                      at -> store("status/" + seqnum, new AmazonNotice.Status(shipment.shipId(), shipment.protocolStatus(), at.x(), at.y())));
            });
  }

  /** The package's position: the truck's while it is on one, else where it rests. */
  private CompletionStage<Location> position(Shipment.Summary shipment) {
    int[] resting = shipment.restingPosition();
    Location fallback = new Location(resting[0], resting[1]);
    if (!shipment.status().onTruck() || !fleet.contains(shipment.truckId())) {
      return CompletableFuture.completedFuture(fallback);
    }
    return this.<Truck.Command, Truck.Summary>ask(trucks.apply(shipment.truckId()), Truck.GetSummary::new)
        .thenApply(Truck.Summary::position);
  }

  private CompletionStage<Done> refuse(long seqnum, String reason) {
    log.info("Refused Amazon's item {}: {}", seqnum, reason);
    return store("error/" + seqnum, new AmazonNotice.Error(reason, seqnum));
  }

  private CompletionStage<Done> store(String key, AmazonNotice notice) {
    return this.<ResendSupervisor.Command, ResendSupervisor.AnswerStored>ask(
            outbox, replyTo -> new ResendSupervisor.StoreAnswer(key, notice, replyTo))
        .thenApply(stored -> Done.getInstance());
  }

  private <T, R> CompletionStage<R> ask(RecipientRef<T> target, java.util.function.Function<ActorRef<R>, T> message) {
    return AskPattern.ask(target, message::apply, timeout, system.scheduler());
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
