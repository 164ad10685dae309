package org.miniups.user;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * JDBC access to {@code ups_user}; blocking, call it off the actor threads. It stores bcrypt
 * hashes made by {@link PasswordHasher} and never hashes itself, so no connection is held while
 * bcrypt runs. {@code session_version} is in every session token: raising it ends every session
 * of the user, on every node, since each authenticated request reads it here.
 */
public final class UserRepository {
  private static final String UNIQUE_VIOLATION = "23505"; // same on H2 and PostgreSQL

  /** What a password check needs: the user, their hash and the version their sessions carry. */
  public record Credentials(User user, String passwordHash, long sessionVersion) {
    @Override
    public String toString() { // records print every field; this one must not print the hash
      return "Credentials[user=" + user + ", sessionVersion=" + sessionVersion + "]";
    }
  }

  private final DataSource dataSource;
  private final Clock clock;

  public UserRepository(DataSource dataSource, Clock clock) {
    this.dataSource = dataSource;
    this.clock = clock;
  }

  /**
   * Stores a new user (username in lower case, email trimmed) with sessions at version 0.
   *
   * @throws IllegalArgumentException when the username or email breaks the rules (see {@link Accounts})
   * @throws UsernameTakenException when the username is taken, in any letter case
   * @throws AccountStoreException when the database fails
   */
  public User create(String username, String email, String passwordHash) {
    AccountRules.profileProblem(username, email).ifPresent(p -> {
      throw new IllegalArgumentException(p);
    });
    String name = AccountRules.username(username);
    String mail = AccountRules.email(email);
    String sql = "INSERT INTO ups_user (username, email, password_hash, created_at) VALUES (?, ?, ?, ?)";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql, new String[] {"id"})) {
      st.setString(1, name);
      st.setString(2, mail);
      st.setString(3, passwordHash);
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

  /** The credentials of {@code username} (any letter case), if there is such a user. */
  public Optional<Credentials> credentials(String username) {
    return credentials("username = ?", st -> st.setString(1, AccountRules.username(username)));
  }

  public Optional<Credentials> credentials(long id) {
    return credentials("id = ?", st -> st.setLong(1, id));
  }

  private interface Binder {
    void bind(PreparedStatement st) throws SQLException;
  }

  private Optional<Credentials> credentials(String where, Binder binder) {
    String sql = "SELECT id, username, email, password_hash, session_version FROM ups_user WHERE " + where;
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      binder.bind(st);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next()
            ? Optional.of(new Credentials(user(rs), rs.getString("password_hash"), rs.getLong("session_version")))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new AccountStoreException("reading credentials", e);
    }
  }

  /** The user, if their sessions are still at {@code version} (none has ended since it was issued). */
  public Optional<User> findSession(long id, long version) {
    String sql = "SELECT id, username, email FROM ups_user WHERE id = ? AND session_version = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, id);
      st.setLong(2, version);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(user(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new AccountStoreException("finding a user", e);
    }
  }

  /** Ends every session of the user issued at {@code version}; false when they had already ended. */
  public boolean endSessions(long id, long version) {
    String sql = "UPDATE ups_user SET session_version = session_version + 1 WHERE id = ? AND session_version = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, id);
      st.setLong(2, version);
      return st.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new AccountStoreException("ending sessions", e);
    }
  }

  /**
   * Replaces the hash {@code oldHash} with {@code newHash} and ends every session; returns the new
   * session version, or empty when the password changed meanwhile (the old hash is gone).
   */
  public OptionalLong changePassword(long id, String oldHash, String newHash) {
    String update =
        "UPDATE ups_user SET password_hash = ?, session_version = session_version + 1 WHERE id = ? AND password_hash = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(update);
        PreparedStatement read = c.prepareStatement("SELECT session_version FROM ups_user WHERE id = ? AND password_hash = ?")) {
      st.setString(1, newHash);
      st.setLong(2, id);
      st.setString(3, oldHash);
      if (st.executeUpdate() != 1) return OptionalLong.empty();
      read.setLong(1, id);
      read.setString(2, newHash);
      try (ResultSet rs = read.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
      }
    } catch (SQLException e) {
      throw new AccountStoreException("changing a password", e);
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
