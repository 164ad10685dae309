package org.miniups.truck;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.miniups.CborSerializable;
import org.miniups.amazon.AmazonNotice;
import org.miniups.shipment.Shipment;
import org.miniups.world.WorldCommand;

/**
 * A side effect a truck decided, kept in its {@code EffectLog} until its receiver has it. Each kind
 * has one {@link Destination}, and hands itself to a {@link Receiver} in its own shape.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = TruckEffect.ToWorld.class, name = "truck.to-world"),
  @JsonSubTypes.Type(value = TruckEffect.ToAmazon.class, name = "truck.to-amazon"),
  @JsonSubTypes.Type(value = TruckEffect.ToShipment.class, name = "truck.to-shipment"),
  @JsonSubTypes.Type(value = TruckEffect.Redispatch.class, name = "truck.redispatch")
})
public sealed interface TruckEffect extends CborSerializable {

  /** Where truck effects go; the JSON names are those in stored effect logs. */
  enum Destination {
    @JsonProperty("world")
    WORLD_OUTBOX,
    @JsonProperty("amazon")
    AMAZON_OUTBOX,
    @JsonProperty("shipments")
    SHIPMENTS,
    /** Whoever assigns trucks: a shipment whose pickup the World refused goes back there. */
    @JsonProperty("dispatch")
    DISPATCHER
  }

  /** What receives effects, one method per kind. */
  interface Receiver {
    void world(WorldCommand command);

    void amazon(AmazonNotice notice);

    void shipment(long shipId, Shipment.Step step);

    void dispatcher(Cargo cargo);
  }

  Destination destination();

  void sendTo(Receiver receiver);

  record ToWorld(WorldCommand command) implements TruckEffect {
    public Destination destination() {
      return Destination.WORLD_OUTBOX;
    }

    public void sendTo(Receiver receiver) {
      receiver.world(command);
    }
  }

  record ToAmazon(AmazonNotice notice) implements TruckEffect {
    public Destination destination() {
      return Destination.AMAZON_OUTBOX;
    }

    public void sendTo(Receiver receiver) {
      receiver.amazon(notice);
    }
  }

  record ToShipment(long shipId, Shipment.Step step) implements TruckEffect {
    public Destination destination() {
      return Destination.SHIPMENTS;
    }

    public void sendTo(Receiver receiver) {
      receiver.shipment(shipId, step);
    }
  }

  record Redispatch(Cargo cargo) implements TruckEffect {
    public Destination destination() {
      return Destination.DISPATCHER;
    }

    public void sendTo(Receiver receiver) {
      receiver.dispatcher(cargo);
    }
  }
}
