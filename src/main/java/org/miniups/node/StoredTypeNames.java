package org.miniups.node;

import org.miniups.shipment.ShipmentState;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.util.List;
import org.miniups.amazon.AmazonNotice;
import org.miniups.amazon.AmazonRequest;
import org.miniups.dispatch.Dispatcher;
import org.miniups.link.InboundDedup;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.WarehouseRegistry;
import org.miniups.truck.Truck;
import org.miniups.truck.TruckState;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;
import org.miniups.world.WorldIdentity;

/**
 * Tells Jackson the type names of everything stored: the {@link org.miniups.Persisted} events and
 * states, and the {@link org.miniups.link.PeerMessage} families kept inside outbox items. The
 * markers cannot name them (every entity depends on its marker), so this module does, from
 * {@code conf/serialization.conf}. An event family or a peer message family names its own members
 * next to their declarations; a state is named here. A name, once written, must never change.
 */
public final class StoredTypeNames extends SimpleModule {
  /** The persisted hierarchies: each entity's event family and its state (the snapshot). */
  public static final List<NamedType> PERSISTED =
      List.of(
          new NamedType(Truck.Event.class),
          new NamedType(TruckState.class, "truck.state"),
          new NamedType(Shipment.Event.class),
          new NamedType(ShipmentState.class, "shipment.state"),
          new NamedType(Dispatcher.Event.class),
          new NamedType(Dispatcher.State.class, "dispatcher.state"),
          new NamedType(ResendSupervisor.Event.class),
          new NamedType(ResendSupervisor.State.class, "outbox.state"),
          new NamedType(InboundDedup.Event.class),
          new NamedType(InboundDedup.State.class, "inbox.state"),
          new NamedType(SequenceAllocator.Event.class),
          new NamedType(SequenceAllocator.State.class, "allocator.state"),
          new NamedType(WarehouseRegistry.Event.class),
          new NamedType(WarehouseRegistry.State.class, "warehouses.state"),
          new NamedType(WorldIdentity.Event.class),
          new NamedType(WorldIdentity.State.class, "world-identity.state"));

  /** The families of messages that travel over a link and wait in an outbox. */
  public static final List<Class<?>> PEER_MESSAGES =
      List.of(WorldCommand.class, WorldEvent.class, AmazonNotice.class, AmazonRequest.class);

  public StoredTypeNames() {
    super("mini-ups-stored-type-names");
    registerSubtypes(PERSISTED.toArray(NamedType[]::new));
    registerSubtypes(PEER_MESSAGES.toArray(Class<?>[]::new));
  }
}
