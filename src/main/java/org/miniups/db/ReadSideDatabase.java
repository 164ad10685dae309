package org.miniups.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The tables that are not the journal: accounts and the package index. Same database as the
 * journal, its own small pool, schema migrated by Flyway on start (idempotent, H2 and PostgreSQL).
 */
public final class ReadSideDatabase implements AutoCloseable {
  private final HikariDataSource dataSource;

  private ReadSideDatabase(HikariDataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Connects and brings the schema up to date. */
  public static ReadSideDatabase open(String url, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("read-side");
    config.setConnectionTimeout(5_000); // a database that is down answers quickly (503), not after 30 s
    HikariDataSource dataSource = new HikariDataSource(config);
    try {
      // The journal's tables share the schema: start Flyway's history below our first migration.
      Flyway.configure()
          .dataSource(dataSource)
          .locations("classpath:db/migration")
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
    return new ReadSideDatabase(dataSource);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
