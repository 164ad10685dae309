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
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.miniups.CborSerializable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database answers, checked every {@code interval} on a connection of the read side:
 * what {@code /health} reports, and the one line an operator reads when the database goes away
 * ("unreachable … writes wait") and when it is back, instead of a failure per actor and attempt.
 */
public final class DatabaseMonitor {
  private static final Logger log = LoggerFactory.getLogger(DatabaseMonitor.class);

  private DatabaseMonitor() {}

  public sealed interface Command extends CborSerializable {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** @param error why the last check failed; null while reachable */
  public record Status(boolean reachable, String error, Instant since) implements CborSerializable {}

  private enum Check implements Command { INSTANCE }

  private record Checked(String error) implements Command {}

  public static Behavior<Command> create(DataSource dataSource, String url, Duration interval, Clock clock) {
    return Behaviors.setup(
        context -> {
          Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(Check.INSTANCE, Duration.ZERO, interval);
                Status[] status = {new Status(true, null, clock.instant())};
                boolean[] checking = {false};
                return Behaviors.receive(Command.class)
                    .onMessage(GetStatus.class, get -> {
                      get.replyTo().tell(status[0]);
                      return Behaviors.same();
                    })
                    .onMessageEquals(Check.INSTANCE, () -> {
                      if (checking[0]) return Behaviors.same(); // a check waiting for a connection is enough
                      checking[0] = true;
                      context.pipeToSelf(
                          CompletableFuture.supplyAsync(() -> check(dataSource), blocking),
                          (error, failure) -> new Checked(failure != null ? failure.getMessage() : error));
                      return Behaviors.same();
                    })
                    .onMessage(Checked.class, checked -> {
                      checking[0] = false;
                      Instant now = clock.instant();
                      boolean reachable = checked.error() == null;
                      if (reachable && !status[0].reachable()) {
                        log.info(
                            "The database at {} is reachable again after {} s; writes go on",
                            url, Duration.between(status[0].since(), now).toSeconds());
                        status[0] = new Status(true, null, now);
                      } else if (!reachable && status[0].reachable()) {
                        log.warn(
                            "The database at {} is unreachable ({}); writes wait and go on once it is back",
                            url, checked.error());
                        status[0] = new Status(false, checked.error(), now);
                      } else if (!reachable) {
                        status[0] = new Status(false, checked.error(), status[0].since());
                      }
                      return Behaviors.same();
                    })
                    .build();
              });
        });
  }

  /** null when a connection answers, else why not. */
  private static String check(DataSource dataSource) {
    try (Connection connection = dataSource.getConnection()) {
      return connection.isValid(2) ? null : "the connection did not answer within 2 s";
    } catch (SQLException e) {
      return e.getMessage();
    }
  }
}
