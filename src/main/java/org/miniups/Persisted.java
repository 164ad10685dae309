package org.miniups;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.InboundDedup;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.truck.Truck;
import org.miniups.truck.TruckState;
import org.miniups.world.WorldIdentity;

/**
 * Marker for what is written to the journal or a snapshot: events and states. They are stored
 * under a type name (the {@code type} property, with no manifest), never under a Java class name,
 * so a class can be renamed or moved without breaking replay. {@code conf/serialization.conf} binds
 * this marker to a jackson-cbor serializer that reads the type from the payload.
 *
 * <p>Each hierarchy below names its own subtypes next to their declarations; a name, once
 * written, must never change.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(Truck.Event.class),
  @JsonSubTypes.Type(value = TruckState.class, name = "truck.state"),
  @JsonSubTypes.Type(Shipment.Event.class),
  @JsonSubTypes.Type(value = Shipment.State.class, name = "shipment.state"),
  @JsonSubTypes.Type(Dispatcher.Event.class),
  @JsonSubTypes.Type(value = Dispatcher.State.class, name = "dispatcher.state"),
  @JsonSubTypes.Type(ResendSupervisor.Event.class),
  @JsonSubTypes.Type(value = ResendSupervisor.State.class, name = "outbox.state"),
  @JsonSubTypes.Type(InboundDedup.Event.class),
  @JsonSubTypes.Type(value = InboundDedup.State.class, name = "inbox.state"),
  @JsonSubTypes.Type(SequenceAllocator.Event.class),
  @JsonSubTypes.Type(value = SequenceAllocator.State.class, name = "allocator.state"),
  @JsonSubTypes.Type(WarehouseRegistry.Event.class),
  @JsonSubTypes.Type(value = WarehouseRegistry.State.class, name = "warehouses.state"),
  @JsonSubTypes.Type(WorldIdentity.Event.class),
  @JsonSubTypes.Type(value = WorldIdentity.State.class, name = "world-identity.state")
})
public interface Persisted extends CborSerializable {}
