package org.miniups.truck;

import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.miniups.link.ResendSupervisor;
import org.miniups.shipment.Shipment;

/**
 * Where the side effects of a truck go. {@code redispatch} hands a shipment whose pickup the World
 * refused back to whoever assigns trucks (completes once it is queued there).
 */
public record TruckLinks(
    ActorRef<ResendSupervisor.Command> worldOutbox,
    ActorRef<ResendSupervisor.Command> amazonOutbox,
    LongFunction<RecipientRef<Shipment.Command>> shipments,
    Function<Cargo, CompletionStage<Done>> redispatch) {}
