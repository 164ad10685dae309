package org.miniups.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The PostgreSQL cluster the tests run on, as the resilience suite breaks it. */
final class Postgres {
  static final int PORT = 5432;

  /** Lines UPS may log while its database is away: none so far (the outage is one WARN line). */
  static final List<String> AWAY_ERRORS = List.of();

  private Postgres() {}

  /** {@code pg_ctlcluster <version> main restart}: every connection is dropped, then it is back. */
  static void restart() throws IOException, InterruptedException {
    String version;
    try (var versions = Files.list(Path.of("/etc/postgresql"))) {
      version = versions.map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
    }
    Process restart =
        new ProcessBuilder("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart")
            .inheritIO()
            .start();
    if (!restart.waitFor(60, TimeUnit.SECONDS) || restart.exitValue() != 0) {
      throw new IllegalStateException("pg_ctlcluster restart failed");
    }
  }
}
