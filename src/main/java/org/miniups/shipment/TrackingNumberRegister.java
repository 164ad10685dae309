package org.miniups.shipment;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.miniups.CborSerializable;

/**
 * Stores which shipment a tracking number names before Amazon is told the number, so the number
 * resolves at once rather than when the package index catches up with the journal. Registrations
 * that arrive while a write is in flight go into the next one: one transaction per batch, not
 * per shipment. Registering a number twice is harmless.
 */
public final class TrackingNumberRegister {
  private TrackingNumberRegister() {}

  public sealed interface Command extends CborSerializable {}

  /** Answered once the number is durable (an error when the database refused it). */
  public record Register(String trackingNumber, long shipId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  private record Written(List<Register> batch, Throwable failure) implements Command {}

  public static Behavior<Command> create(DataSource dataSource, KnownTrackingNumbers known) {
    return Behaviors.setup(context -> new Writer(context, dataSource, known).idle());
  }

  private static final class Writer {
    private final ActorContext<Command> context;
    private final DataSource dataSource;
    private final KnownTrackingNumbers known;
    private final Executor blocking;
    private final List<Register> waiting = new ArrayList<>();

    Writer(ActorContext<Command> context, DataSource dataSource, KnownTrackingNumbers known) {
      this.context = context;
      this.dataSource = dataSource;
      this.known = known;
      this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    Behavior<Command> idle() {
      return Behaviors.receive(Command.class).onMessage(Register.class, r -> write(List.of(r))).build();
    }

    private Behavior<Command> writing() {
      return Behaviors.receive(Command.class)
          .onMessage(Register.class, r -> {
            waiting.add(r);
            return Behaviors.same();
          })
          .onMessage(Written.class, this::written)
          .build();
    }

    private Behavior<Command> write(List<Register> batch) {
      context.pipeToSelf(
          CompletableFuture.runAsync(() -> insert(dataSource, batch), blocking),
          (ok, failure) -> new Written(batch, failure));
      return writing();
    }

    private Behavior<Command> written(Written written) {
      for (Register r : written.batch()) {
        if (written.failure() == null) {
          known.remember(r.trackingNumber(), r.shipId());
          r.replyTo().tell(StatusReply.ack());
        } else {
          r.replyTo().tell(StatusReply.error("the tracking number could not be stored: " + written.failure().getMessage()));
        }
      }
      if (waiting.isEmpty()) return idle();
      List<Register> next = List.copyOf(waiting);
      waiting.clear();
      return write(next);
    }
  }

  static void insert(DataSource dataSource, List<Register> batch) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO tracking_number (tracking_number, ship_id) SELECT ?, ? "
                  + "WHERE NOT EXISTS (SELECT 1 FROM tracking_number WHERE tracking_number = ?)")) {
        for (Register r : batch) {
          insert.setString(1, r.trackingNumber());
          insert.setLong(2, r.shipId());
          insert.setString(3, r.trackingNumber());
          insert.addBatch();
        }
        insert.executeBatch();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
