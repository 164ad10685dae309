package org.miniups.node;

import org.miniups.truck.Location;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.miniups.Placement;
import org.miniups.dispatch.Dispatcher;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;
import org.miniups.truck.TruckLinks;
import org.miniups.truck.TripPlanning;

/** The entities that move packages: shipments, trucks and the dispatcher between them, with the topics they publish on. */
public record Fleet(
    List<Integer> truckIds,
    IntFunction<RecipientRef<Truck.Command>> trucks,
    LongFunction<RecipientRef<Shipment.Command>> shipments,
    ActorRef<Topic.Command<Truck.Changed>> truckTopic,
    ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic,
    ActorRef<Dispatcher.Command> dispatcher) {

  /** Registers the entities; trucks hand their effects to {@code outboxes}. */
  public static Fleet init(
      Placement placement, List<Integer> truckIds, Outboxes outboxes, Duration askTimeout, MeterRegistry metrics, Clock clock) {
    ActorRef<Topic.Command<Truck.Changed>> truckTopic = Truck.initTopic(placement);
    ActorRef<Topic.Command<Shipment.Changed>> shipmentTopic = Shipment.initTopic(placement);
    LongFunction<RecipientRef<Shipment.Command>> shipments = id -> Shipment.entity(placement, id);
    IntFunction<RecipientRef<Truck.Command>> trucks = id -> Truck.entity(placement, id);
    Shipment.init(placement, shipmentTopic, clock);
    TripPlanning planning = TripPlanning.of(placement.system().settings().config().getConfig("mini-ups.dispatch"));
    ActorRef<Dispatcher.Command> dispatcher =
        Dispatcher.init(placement, truckIds, trucks, truckTopic, planning, askTimeout, metrics);
    Truck.init(
        placement,
        Fleet::startingPoint,
        new TruckLinks(
            outboxes.world(),
            outboxes.amazon(),
            shipments,
            cargo ->
                AskPattern.<Dispatcher.Command, Done>ask(
                    dispatcher,
                    replyTo -> new Dispatcher.Dispatch(cargo, replyTo),
                    askTimeout,
                    placement.system().scheduler())),
        truckTopic,
        planning,
        clock);
    return new Fleet(truckIds, trucks, shipments, truckTopic, shipmentTopic, dispatcher);
  }

  /** Trucks start on a small grid near the origin, five to a row. */
  public static Location startingPoint(int truckId) {
    return new Location(((truckId - 1) % 5) * 2, ((truckId - 1) / 5) * 2);
  }
}
