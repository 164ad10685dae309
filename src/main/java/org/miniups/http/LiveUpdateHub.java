package org.miniups.http;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;

/**
 * This node's one subscriber to the shipment and truck topics. It hands each live-update stream
 * only what concerns its own package: that shipment's changes, and the moves of the truck
 * assigned to it until delivery. So a change costs one message per stream that follows it, not
 * one per open stream. It also keeps {@link TruckPositions} current.
 *
 * <p>A stream gets the shipment's current state first, fetched after it was registered, so no
 * change can fall between the two; the topic and the fetch may deliver in either order, so only a
 * higher revision than the last one passed on goes out, and a stream never sees a view go back.
 */
public final class LiveUpdateHub extends AbstractBehavior<LiveUpdateHub.Command> {

  public sealed interface Command {}

  /** {@code stream} hears {@link Update}s about the shipment from now on, its current state first, until it stops. */
  public record Follow(long shipId, ActorRef<Update> stream) implements Command {}

  /** {@code shipment} null when the shipment did not answer in time. */
  private record Fetched(Shipment.Summary shipment) implements Command {}

  private record ShipmentChanged(Shipment.Changed change) implements Command {}

  private record TruckChanged(Truck.Changed change) implements Command {}

  /** What a stream receives: small, and only about the package it follows. */
  public sealed interface Update {}

  public record ShipmentUpdate(Shipment.Summary shipment) implements Update {}

  public record TruckMoved(int truckId, PackageViews.Point position) implements Update {}

  /** Reports the number of open streams in {@code metrics} as {@code ups_live_update_streams}. */
  public static Behavior<Command> create(
      ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic,
      ActorRef<Topic.Command<Truck.Changed>> truckTopic,
      LongFunction<RecipientRef<Shipment.Command>> shipments,
      Duration askTimeout,
      TruckPositions positions,
      MeterRegistry metrics) {
    return Behaviors.setup(context -> {
      AtomicInteger openStreams = new AtomicInteger();
      Gauge.builder("ups.live.update.streams", openStreams, AtomicInteger::get)
          .description("Live-update (Server-Sent Events) streams open on this node")
          .register(metrics);
      shipmentTopic.tell(Topic.subscribe(context.messageAdapter(Shipment.Changed.class, ShipmentChanged::new)));
      truckTopic.tell(Topic.subscribe(context.messageAdapter(Truck.Changed.class, TruckChanged::new)));
      return new LiveUpdateHub(context, shipments, askTimeout, positions, openStreams);
    });
  }

  private final LongFunction<RecipientRef<Shipment.Command>> shipments;
  private final Duration askTimeout;
  private final TruckPositions positions;
  private final AtomicInteger openStreams;
  /** The newest state passed on, per followed shipment. */
  private final Map<Long, Shipment.Summary> latest = new HashMap<>();
  private final Map<Long, Set<ActorRef<Update>>> streamsByShipment = new HashMap<>();
  private final Map<ActorRef<Update>, Long> shipmentOfStream = new HashMap<>();
  /** The truck each followed shipment waits for or rides on; none once delivered. */
  private final Map<Long, Integer> truckOfShipment = new HashMap<>();
  private final Map<Integer, Set<Long>> shipmentsOnTruck = new HashMap<>();

  private LiveUpdateHub(
      ActorContext<Command> context,
      LongFunction<RecipientRef<Shipment.Command>> shipments,
      Duration askTimeout,
      TruckPositions positions,
      AtomicInteger openStreams) {
    super(context);
    this.shipments = shipments;
    this.askTimeout = askTimeout;
    this.positions = positions;
    this.openStreams = openStreams;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Follow.class, this::follow)
        .onMessage(ShipmentChanged.class, m -> shipmentChanged(m.change().shipment()))
        .onMessage(Fetched.class, m -> m.shipment() == null ? this : shipmentChanged(m.shipment()))
        .onMessage(TruckChanged.class, m -> truckChanged(m.change().truck()))
        .onSignal(Terminated.class, t -> streamEnded(t.getRef().unsafeUpcast()))
        .build();
  }

  private Behavior<Command> follow(Follow follow) {
    long shipId = follow.shipId();
    getContext().watch(follow.stream());
    streamsByShipment.computeIfAbsent(shipId, id -> new HashSet<>()).add(follow.stream());
    shipmentOfStream.put(follow.stream(), shipId);
    openStreams.set(shipmentOfStream.size());
    Shipment.Summary known = latest.get(shipId);
    if (known != null) follow.stream().tell(new ShipmentUpdate(known));
    // A failed fetch is only a later first view: the shipment's next change still comes.
    getContext().ask(Shipment.Summary.class, shipments.apply(shipId), askTimeout, Shipment.Get::new,
        (shipment, failure) -> new Fetched(failure == null ? shipment : null));
    return this;
  }

  private Behavior<Command> shipmentChanged(Shipment.Summary shipment) {
    Set<ActorRef<Update>> streams = streamsByShipment.get(shipment.shipId());
    if (streams == null) return this;
    Shipment.Summary known = latest.get(shipment.shipId());
    if (known != null && known.revision() >= shipment.revision()) return this;
    latest.put(shipment.shipId(), shipment);
    followTruck(shipment);
    ShipmentUpdate update = new ShipmentUpdate(shipment);
    streams.forEach(stream -> stream.tell(update));
    return this;
  }

  private Behavior<Command> truckChanged(Truck.Summary truck) {
    PackageViews.Point position = new PackageViews.Point(truck.position().x(), truck.position().y());
    positions.update(truck.truckId(), position);
    Set<Long> shipments = shipmentsOnTruck.get(truck.truckId());
    if (shipments == null) return this;
    TruckMoved moved = new TruckMoved(truck.truckId(), position);
    for (long shipId : shipments) streamsByShipment.get(shipId).forEach(stream -> stream.tell(moved));
    return this;
  }

  private void followTruck(Shipment.Summary shipment) {
    long shipId = shipment.shipId();
    Integer before = truckOfShipment.remove(shipId);
    if (before != null) removeFrom(shipmentsOnTruck, before, shipId);
    if (PackageViews.hasTruckToFollow(shipment)) {
      truckOfShipment.put(shipId, shipment.truckId());
      shipmentsOnTruck.computeIfAbsent(shipment.truckId(), id -> new HashSet<>()).add(shipId);
    }
  }

  private Behavior<Command> streamEnded(ActorRef<Update> stream) {
    Long shipId = shipmentOfStream.remove(stream);
    openStreams.set(shipmentOfStream.size());
    if (shipId == null) return this;
    removeFrom(streamsByShipment, shipId, stream);
    if (!streamsByShipment.containsKey(shipId)) {
      latest.remove(shipId);
      Integer truck = truckOfShipment.remove(shipId);
      if (truck != null) removeFrom(shipmentsOnTruck, truck, shipId);
    }
    return this;
  }

  private static <K, V> void removeFrom(Map<K, Set<V>> index, K key, V value) {
    Set<V> values = index.get(key);
    if (values == null) return;
    values.remove(value);
    if (values.isEmpty()) index.remove(key);
  }
}
