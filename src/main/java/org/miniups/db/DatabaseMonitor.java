package org.miniups.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.miniups.CborSerializable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database answers, checked every {@code interval} on a connection of the read side:
 * what {@code /health} reports, and the one line an operator reads when the database goes away
 * and the one when it is back, instead of a failure per actor and attempt.
 */
public final class DatabaseMonitor extends AbstractBehavior<DatabaseMonitor.Command> {
  private static final Logger log = LoggerFactory.getLogger(DatabaseMonitor.class);

  public sealed interface Command extends CborSerializable {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * @param error why the last check failed; null while reachable
   * @param since when it became reachable or unreachable
   */
  public record Status(boolean reachable, String error, Instant since) implements CborSerializable {}

  private enum Check implements Command { INSTANCE }

  /** @param error null: the database answered */
  private record Checked(String error) implements Command {}

  private final DataSource dataSource;
  private final String url;
  private final Clock clock;
  private final Executor blocking;
  private Status status;
  private boolean checking;

  public static Behavior<Command> create(DataSource dataSource, String url, Duration interval, Clock clock) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Check.INSTANCE, Duration.ZERO, interval);
                  return new DatabaseMonitor(context, dataSource, url, clock);
                }));
  }

  private DatabaseMonitor(ActorContext<Command> context, DataSource dataSource, String url, Clock clock) {
    super(context);
    this.dataSource = dataSource;
    this.url = url;
    this.clock = clock;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.status = new Status(true, null, clock.instant());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetStatus.class, get -> {
          get.replyTo().tell(status);
          return this;
        })
        .onMessageEquals(Check.INSTANCE, this::check)
        .onMessage(Checked.class, this::onChecked)
        .build();
  }

  private Behavior<Command> check() {
    if (checking) return this; // a check still waiting for a connection is enough
    checking = true;
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(this::askTheDatabase, blocking),
        (error, failure) -> new Checked(failure != null ? String.valueOf(failure.getMessage()) : error));
    return this;
  }

  private Behavior<Command> onChecked(Checked checked) {
    checking = false;
    Instant now = clock.instant();
    boolean reachable = checked.error() == null;
    if (reachable && !status.reachable()) {
      log.info(
          "The database at {} is reachable again after {} s; writes go on",
          url, Duration.between(status.since(), now).toSeconds());
      status = new Status(true, null, now);
    } else if (!reachable && status.reachable()) {
      log.warn("The database at {} is unreachable ({}); writes wait and go on once it is back", url, checked.error());
      status = new Status(false, checked.error(), now);
    } else if (!reachable) {
      status = new Status(false, checked.error(), status.since());
    }
    return this;
  }

  /** null when a connection answers, else why not. */
  private String askTheDatabase() {
    try (Connection connection = dataSource.getConnection()) {
      return connection.isValid(2) ? null : "the connection did not answer within 2 s";
    } catch (SQLException e) {
      return e.getMessage();
    }
  }
}
