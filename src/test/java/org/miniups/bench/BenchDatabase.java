package org.miniups.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.stream.Stream;

/** A fresh database for one run of our UPS: created before it starts, counted and dropped after. */
record BenchDatabase(Kind kind, String name, String url) {
  enum Kind {
    POSTGRES,
    H2
  }

  // The server the tests use (.ci/run starts it); its maintenance database takes CREATE DATABASE.
  private static final String PG_SERVER = System.getProperty("bench.pg.server", "jdbc:postgresql://127.0.0.1:5432/");
  static final String PG_USER = System.getProperty("bench.pg.user", "postgres");
  private static final Path H2_DIR = Path.of("target", "bench", "h2");

  static BenchDatabase create(Kind kind) throws SQLException {
    String name = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    if (kind == Kind.H2) return new BenchDatabase(kind, name, "jdbc:h2:file:./" + H2_DIR.resolve(name));
    try (Connection c = DriverManager.getConnection(PG_SERVER + "postgres", PG_USER, "");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return new BenchDatabase(kind, name, PG_SERVER + name);
  }

  /** Rows in a journal table; -1 when the table does not exist. */
  long rows(String table) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, PG_USER, "");
        Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM \"" + table + "\"")) {
        rs.next();
        return rs.getLong(1);
      } catch (SQLException missing) {
        return -1;
      }
    }
  }

  void drop() throws SQLException, IOException {
    if (kind == Kind.H2) {
      try (Stream<Path> files = Files.list(H2_DIR)) {
        for (Path file : files.filter(f -> f.getFileName().toString().startsWith(name + ".")).toList()) {
          Files.delete(file);
        }
      }
      return;
    }
    try (Connection c = DriverManager.getConnection(PG_SERVER + "postgres", PG_USER, "");
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
