package org.miniups.sim;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What every simulator's actor system shares: its own local configuration, and blocking waits. */
public final class SimSystem {
  private SimSystem() {}

  // A simulator is its own, local system: UPS's application.conf (cluster, persistence) is not
  // its business. It logs through slf4j like the rest of the project.
  public static final Config CONFIG =
      ConfigFactory.parseString(
              """
              pekko.actor.provider = local
              pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
              pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
              pekko.loglevel = DEBUG
              pekko.log-dead-letters-during-shutdown = off
              # Whoever starts a simulator stops it: the demo once UPS has left it, the world and
              # amazon commands from their own shutdown hook.
              pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
              """)
          .withFallback(ConfigFactory.defaultReference());

  /**
   * On SIGTERM or Ctrl-C, closes the simulator cleanly (so it writes its last report) and says so
   * in one line, without a stack trace.
   */
  public static void closeOnShutdown(String name, AutoCloseable simulator) {
    Thread hook =
        new Thread(
            () -> {
              try {
                simulator.close();
                System.out.println(name + ": stopped.");
              } catch (Exception e) {
                System.err.println(name + ": did not stop cleanly: " + e.getMessage());
              }
            },
            "close-on-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The stage's value; a failure or a timeout becomes an IllegalStateException that says which. */
  public static <T> T await(CompletionStage<T> stage, Duration timeout) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer within " + timeout, e);
    }
  }
}
