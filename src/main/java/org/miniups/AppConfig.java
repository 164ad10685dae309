package org.miniups;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

/**
 * Loads the configuration: {@code postgres.conf} when the database URL is a PostgreSQL one, else
 * {@code h2.conf}; command-line overrides on top, then system properties. Substitutions resolve
 * last, so an override of {@code mini-ups.db.url} reaches the persistence plugins too.
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
    return ConfigFactory.load(unresolved);
  }

  public static boolean usesPostgres(Config config) {
    return config.getString(DB_URL).startsWith("jdbc:postgresql:");
  }
}
