package org.miniups.shipment;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.miniups.Placement;
import org.miniups.persistence.JournalFailures;
import org.miniups.CborSerializable;
import org.miniups.Persisted;

/**
 * The warehouses we know, by id and by address. Two warehouses never share an address, and a
 * warehouse never moves: a pickup that contradicts either is refused with the reason.
 */
public final class WarehouseRegistry
    extends EventSourcedBehavior<WarehouseRegistry.Command, WarehouseRegistry.Event, WarehouseRegistry.State> {

  public sealed interface Command extends CborSerializable {}

  public record Register(int id, int x, int y, ActorRef<Registered> replyTo) implements Command {}

  /** {@code refusal} is null when the warehouse is known (now or before) at that address. */
  public record Registered(int id, String refusal) implements CborSerializable {}

  @JsonSubTypes({
    @JsonSubTypes.Type(value = WarehouseAdded.class, name = "warehouses.warehouse-added")
  })
  public sealed interface Event extends Persisted {}

  public record WarehouseAdded(int id, int x, int y) implements Event {}

  /** Address of each warehouse, as "x,y". */
  public record State(Map<Integer, String> addressById) implements Persisted {
    public State {
      addressById = Map.copyOf(addressById);
    }

    static String address(int x, int y) {
      return x + "," + y;
    }

    String refusal(int id, int x, int y) {
      String known = addressById.get(id);
      String address = address(x, y);
      if (known != null && !known.equals(address)) {
        return "warehouse " + id + " is at (" + known.replace(",", ", ") + "), not (" + x + ", " + y + ")";
      }
      if (known == null) {
        for (Map.Entry<Integer, String> other : addressById.entrySet()) {
          if (other.getValue().equals(address)) {
            return "(" + x + ", " + y + ") is the address of warehouse " + other.getKey() + ", not " + id;
          }
        }
      }
      return null;
    }

    State add(int id, int x, int y) {
      Map<Integer, String> more = new HashMap<>(addressById);
      more.put(id, address(x, y));
      return new State(more);
    }
  }

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("warehouses");

  public static ActorRef<Command> init(Placement placement) {
    return placement.singleton(create(), "warehouses");
  }

  public static Behavior<Command> create() {
    return create(PERSISTENCE_ID);
  }

  public static Behavior<Command> create(PersistenceId persistenceId) {
    return new WarehouseRegistry(persistenceId);
  }

  private WarehouseRegistry(PersistenceId persistenceId) {
    super(persistenceId, JournalFailures.restartWithBackoff());
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Register.class,
            (state, cmd) -> {
              String refusal = state.refusal(cmd.id(), cmd.x(), cmd.y());
              if (refusal != null || state.addressById().containsKey(cmd.id())) {
                return Effect().reply(cmd.replyTo(), new Registered(cmd.id(), refusal));
              }
              return Effect()
                  .persist(new WarehouseAdded(cmd.id(), cmd.x(), cmd.y()))
                  .thenReply(cmd.replyTo(), s -> new Registered(cmd.id(), null));
            })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(WarehouseAdded.class, (state, e) -> state.add(e.id(), e.x(), e.y()))
        .build();
  }
}
