package org.miniups.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.miniups.AppConfig;
import org.junit.jupiter.api.Test;

/**
 * An H2 database as the service opens it survives a thread interrupted in the middle of its file
 * I/O, as Slick interrupts its threads when the journal's pool closes at shutdown. On a plain
 * {@code jdbc:h2:file:} URL the interrupt closes the file for every session: the write after it
 * fails and the database cannot store its last state.
 */
class H2InterruptTest {
  private static final int ROWS = 2_000;

  @Test
  void anInterruptedQueryLeavesTheDatabaseWritableAndClosable() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "h2-test")).toAbsolutePath();
    String configured = "jdbc:h2:file:" + dir.resolve("interrupt-" + System.nanoTime());
    String url = AppConfig.load(Map.of(AppConfig.DB_URL, configured)).getString(AppConfig.DB_URL);
    assertTrue(url.startsWith("jdbc:h2:async:"), url);

    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE item (id INT PRIMARY KEY, payload VARCHAR(2000))");
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO item VALUES (?, ?)")) {
        for (int i = 0; i < ROWS; i++) {
          insert.setInt(1, i);
          insert.setString(2, Integer.toString(i).repeat(200));
          insert.addBatch();
        }
        insert.executeBatch();
      }
    } // the last connection closes the database: the rows are on disk only

    // A small page cache, so that the scan below reads from the file.
    String reopened = url + ";CACHE_SIZE=64";
    try (Connection keeper = DriverManager.getConnection(reopened, "sa", "")) {
      CompletableFuture.runAsync(() -> {
            Thread.currentThread().interrupt(); // the next I/O on a FileChannel closes it
            try (Connection c = DriverManager.getConnection(reopened, "sa", "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT SUM(LENGTH(payload)) FROM item")) {
              rs.next();
            } catch (SQLException e) {
              // this session may fail; what matters is that the others do not
            } finally {
              Thread.interrupted();
            }
          })
          .get(30, TimeUnit.SECONDS);

      try (Statement st = keeper.createStatement()) {
        st.execute("INSERT INTO item VALUES (" + ROWS + ", 'after the interrupt')");
        assertEquals(ROWS + 1, count(st));
      }
    }

    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement st = c.createStatement()) {
      assertEquals(ROWS + 1, count(st), "every row, also the one written after the interrupt, is in the file");
    }
  }

  private static int count(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM item")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
