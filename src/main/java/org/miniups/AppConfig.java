package org.miniups;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Locale;
import java.util.Map;

/**
 * Loads the configuration: {@code postgres.conf} when the database URL is a PostgreSQL one, else
 * {@code h2.conf}; command-line overrides on top, then system properties. Substitutions resolve
 * last, so an override of {@code mini-ups.db.url} reaches the persistence plugins too. An H2 URL
 * gets {@code DB_CLOSE_ON_EXIT=FALSE}: H2's own shutdown hook would close the database while the
 * journal still writes what the coordinated shutdown flushes; the service closes it last instead.
 */
public final class AppConfig {
  public static final String DB_URL = "mini-ups.db.url";

  private AppConfig() {}

  public static Config load(Map<String, ?> overrides) {
    Object url = overrides.get(DB_URL);
    if (url == null) url = System.getProperty(DB_URL);
    if (url == null) url = System.getenv("DB_URL");
    String resource = url != null && url.toString().startsWith("jdbc:postgresql:") ? "postgres" : "h2";
    Config unresolved =
        ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseResourcesAnySyntax(resource));
    Config config = ConfigFactory.load(unresolved);
    String h2Url = config.getString(DB_URL);
    if (!h2Url.startsWith("jdbc:h2:") || h2Url.toUpperCase(Locale.ROOT).contains("DB_CLOSE_ON_EXIT")) return config;
    return ConfigFactory.load(
        ConfigFactory.parseMap(Map.of(DB_URL, h2Url + ";DB_CLOSE_ON_EXIT=FALSE")).withFallback(unresolved));
  }

  public static boolean usesPostgres(Config config) {
    return config.getString(DB_URL).startsWith("jdbc:postgresql:");
  }
}
