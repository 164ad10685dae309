package org.miniups;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Loads the configuration: {@code postgres.conf} when the database URL is a PostgreSQL one, else
 * {@code h2.conf}; command-line overrides on top, then system properties. Substitutions resolve
 * last, so an override of {@code mini-ups.db.url} reaches the persistence plugins too. An H2 URL
 * is made safe to run under Pekko, see {@link #safeH2Url}.
 */
public final class AppConfig {
  public static final String DB_URL = "mini-ups.db.url";
  public static final String SEED_NODES = "pekko.cluster.seed-nodes";
  private static final Pattern SEED_NODE = Pattern.compile("pekko://mini-ups@[^\\s:@/]+:\\d{1,5}");
  private static final String H2_FILE = "jdbc:h2:file:";
  private static final String H2_ASYNC = "jdbc:h2:async:";

  private AppConfig() {}

  public static Config load(Map<String, ?> overrides) {
    return load(overrides, System.getenv("CLUSTER_SEED_NODES"));
  }

  static Config load(Map<String, ?> givenOverrides, String seedNodesVariable) {
    Map<String, Object> overrides = new HashMap<>(givenOverrides);
    if (seedNodesVariable != null && !seedNodesVariable.isBlank() && !overrides.containsKey(SEED_NODES)) {
      overrides.put(SEED_NODES, seedNodes(seedNodesVariable));
    }
    Object url = overrides.get(DB_URL);
    if (url == null) url = System.getProperty(DB_URL);
    if (url == null) url = System.getenv("DB_URL");
    String resource = url != null && url.toString().startsWith("jdbc:postgresql:") ? "postgres" : "h2";
    Config unresolved =
        ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseResourcesAnySyntax(resource));
    Config config = ConfigFactory.load(unresolved);
    String configured = config.getString(DB_URL);
    String safe = safeH2Url(configured);
    if (safe.equals(configured)) return config;
    return ConfigFactory.load(ConfigFactory.parseMap(Map.of(DB_URL, safe)).withFallback(unresolved));
  }

  /**
   * CLUSTER_SEED_NODES as the list Pekko wants: comma-separated addresses of this system, e.g.
   * {@code pekko://mini-ups@10.0.0.1:25520,pekko://mini-ups@10.0.0.2:25520}.
   *
   * @throws IllegalArgumentException naming the first entry that is not such an address
   */
  static List<String> seedNodes(String commaSeparated) {
    List<String> nodes = Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String node : nodes) {
      if (!SEED_NODE.matcher(node).matches()) {
        throw new IllegalArgumentException(
            "CLUSTER_SEED_NODES: '" + node + "' is not a seed node address such as pekko://mini-ups@10.0.0.1:25520"
                + " (give a comma-separated list)");
      }
    }
    return nodes;
  }

  /**
   * An H2 file URL as the service needs it; any other URL as it is.
   *
   * <ul>
   *   <li>{@code file:} becomes {@code async:}, the same file through an AsynchronousFileChannel.
   *       A thread interrupted during I/O on a plain FileChannel closes that channel for the whole
   *       database, and Slick interrupts its threads when the journal's pool closes at shutdown:
   *       a query of the package index running then left H2 unable to write its last state, and
   *       once the file would not open again ("Double mark"). An interrupt does not close an
   *       asynchronous channel: H2 finishes the I/O and keeps the interrupt for the thread.
   *   <li>{@code DB_CLOSE_ON_EXIT=FALSE}: H2's own shutdown hook would close the database while the
   *       journal still writes what the coordinated shutdown flushes; the service closes it last.
   * </ul>
   */
  static String safeH2Url(String url) {
    if (!url.startsWith("jdbc:h2:")) return url;
    String safe = url.startsWith(H2_FILE) ? H2_ASYNC + url.substring(H2_FILE.length()) : url;
    return safe.toUpperCase(Locale.ROOT).contains("DB_CLOSE_ON_EXIT") ? safe : safe + ";DB_CLOSE_ON_EXIT=FALSE";
  }

  /** Whether events go to pekko-persistence-jdbc (else: another journal, such as the testkit's in memory). */
  public static boolean usesJdbcJournal(Config config) {
    return "jdbc-journal".equals(config.getString("pekko.persistence.journal.plugin"));
  }

  public static boolean usesPostgres(Config config) {
    return config.getString(DB_URL).startsWith("jdbc:postgresql:");
  }
}
