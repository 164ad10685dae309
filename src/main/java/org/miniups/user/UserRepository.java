package org.miniups.user;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * JDBC access to {@code ups_user}; blocking, call it off the actor threads. Passwords are stored as
 * bcrypt hashes; bcrypt reads only the first 72 bytes of a password (truncated like every other
 * bcrypt implementation, so the hashes stay portable).
 */
public final class UserRepository {
  private static final String UNIQUE_VIOLATION = "23505"; // same on H2 and PostgreSQL
  private static final BCrypt.Version VERSION = BCrypt.Version.VERSION_2A;

  private final DataSource dataSource;
  private final int bcryptCost;
  private final Clock clock;
  private final BCrypt.Hasher hasher = BCrypt.with(VERSION, LongPasswordStrategies.truncate(VERSION));
  private final BCrypt.Verifyer verifyer = BCrypt.verifyer(VERSION, LongPasswordStrategies.truncate(VERSION));
  /** Checked against for unknown users, so "no such user" takes as long as "wrong password". */
  private final String decoyHash;

  /** {@code bcryptCost} 10 in production; tests use 4 (each step doubles the time). */
  public UserRepository(DataSource dataSource, int bcryptCost, Clock clock) {
    this.dataSource = dataSource;
    this.bcryptCost = bcryptCost;
    this.clock = clock;
    this.decoyHash = hasher.hashToString(bcryptCost, "not anyone's password".toCharArray());
  }

  /**
   * Stores a new user (username in lower case, email trimmed).
   *
   * @throws IllegalArgumentException when a field breaks the rules (see {@link Accounts})
   * @throws UsernameTakenException when the username is taken, in any letter case
   * @throws AccountStoreException when the database fails
   */
  public User create(String username, String password, String email) {
    AccountRules.problem(username, password, email).ifPresent(p -> {
      throw new IllegalArgumentException(p);
    });
    String name = AccountRules.username(username);
    String mail = AccountRules.email(email);
    String hash = hasher.hashToString(bcryptCost, password.toCharArray());
    String sql = "INSERT INTO ups_user (username, email, password_hash, created_at) VALUES (?, ?, ?, ?)";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql, new String[] {"id"})) {
      st.setString(1, name);
      st.setString(2, mail);
      st.setString(3, hash);
      st.setObject(4, LocalDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));
      st.executeUpdate();
      try (ResultSet keys = st.getGeneratedKeys()) {
        if (!keys.next()) throw new SQLException("no id generated for the new user");
        return new User(keys.getLong(1), name, mail);
      }
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) throw new UsernameTakenException(name);
      throw new AccountStoreException("creating a user", e);
    }
  }

  /** The user, when the password is theirs. Takes one bcrypt check whether or not the user exists. */
  public Optional<User> authenticate(String username, String password) {
    String name = AccountRules.username(username);
    char[] secret = (password == null ? "" : password).toCharArray();
    String sql = "SELECT id, username, email, password_hash FROM ups_user WHERE username = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, name);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          verifyer.verify(secret, decoyHash);
          return Optional.empty();
        }
        User user = user(rs);
        boolean ok = verifyer.verify(secret, rs.getString("password_hash")).verified;
        return ok ? Optional.of(user) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new AccountStoreException("checking a password", e);
    }
  }

  public Optional<User> find(long id) {
    String sql = "SELECT id, username, email FROM ups_user WHERE id = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, id);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(user(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new AccountStoreException("finding a user", e);
    }
  }

  /** Whether {@code id} is a UPS profile ID (what Amazon asks at checkout). */
  public boolean exists(long id) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement("SELECT 1 FROM ups_user WHERE id = ?")) {
      st.setLong(1, id);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw new AccountStoreException("looking up a profile id", e);
    }
  }

  private static User user(ResultSet rs) throws SQLException {
    return new User(rs.getLong("id"), rs.getString("username"), rs.getString("email"));
  }
}
