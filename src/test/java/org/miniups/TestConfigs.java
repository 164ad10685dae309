package org.miniups;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** Configurations for tests: an in-memory journal, or a real database (H2 or PostgreSQL). */
public final class TestConfigs {
  private TestConfigs() {}

  /** A real database a test can run against. */
  public enum Database {
    H2,
    POSTGRES;

    /**
     * A database nobody else uses: a new H2 file under target/, or a new database on the
     * PostgreSQL server (dropped when the test JVM exits).
     */
    public String freshUrl() {
      String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
      return switch (this) {
        // As the service opens it, so that a test's own connections reach the same database.
        case H2 -> AppConfig.safeH2Url("jdbc:h2:file:./target/h2-test/" + name);
        case POSTGRES -> createPostgresDatabase(name);
      };
    }
  }

  private static String pgServerUrl() {
    return System.getProperty("test.pg.url", "jdbc:postgresql://127.0.0.1:5432/miniups_test");
  }

  /** The PostgreSQL user the tests connect as. */
  public static String pgUser() {
    return System.getProperty("test.pg.user", "postgres");
  }

  private static String createPostgresDatabase(String name) {
    String server = pgServerUrl();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(server, pgUser(), "");
        java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + server + " is needed for this test (.ci/run starts it)", e);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try (java.sql.Connection c = java.sql.DriverManager.getConnection(server, pgUser(), "");
                      java.sql.Statement st = c.createStatement()) {
                    st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                  } catch (java.sql.SQLException ignored) {
                    // best effort: a leftover test database is harmless
                  }
                }));
    return server.substring(0, server.lastIndexOf('/') + 1) + name;
  }

  /** Local actor system with the in-memory journal, and every message checked for serialization. */
  public static Config inMemory() {
    return EventSourcedBehaviorTestKit.config()
        .withFallback(ConfigFactory.parseString("pekko.actor.provider = local\n"))
        .withFallback(ConfigFactory.load());
  }

  /** Local actor system on a real database. */
  public static Config jdbc(String url) {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put(AppConfig.DB_URL, url);
    overrides.put("mini-ups.db.user", pgUser());
    overrides.put("pekko.actor.provider", "local");
    return AppConfig.load(overrides);
  }

  /** Settings for a whole UPS node in a test: a free cluster port, short timers. */
  public static Map<String, Object> node(String dbUrl, int worldPort, int trucks) {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put(AppConfig.DB_URL, dbUrl);
    overrides.put("mini-ups.db.user", pgUser());
    overrides.put("pekko.remote.artery.canonical.port", 0);
    overrides.put("pekko.cluster.seed-nodes", List.of());
    overrides.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    overrides.put("mini-ups.world.host", "127.0.0.1");
    overrides.put("mini-ups.world.port", worldPort);
    overrides.put("mini-ups.fleet.trucks", trucks);
    overrides.put("mini-ups.fleet.query-interval", "300ms");
    overrides.put("mini-ups.link.resend-interval", "300ms");
    overrides.put("mini-ups.link.reconnect-min-backoff", "100ms");
    overrides.put("mini-ups.link.reconnect-max-backoff", "1s");
    overrides.put("mini-ups.dispatch.consolidation-wait", "300ms");
    return overrides;
  }
}
