package org.miniups.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestConfigs.Database;
import org.miniups.db.ReadSideDatabase;

/** The repository on both databases we support, each test on a fresh database. */
class UserRepositoryTest {
  private final PasswordHasher hasher = new PasswordHasher(4, 1, 10);
  private ReadSideDatabase db;
  private UserRepository users;

  private UserRepository open(Database database) {
    db = ReadSideDatabase.open(database.freshUrl(), database == Database.H2 ? "sa" : "postgres", "", 2);
    users = new UserRepository(db.dataSource(), Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC));
    return users;
  }

  @AfterEach
  void close() {
    hasher.close();
    if (db != null) db.close();
  }

  private User create(String username, String password, String email) {
    return users.create(username, email, hasher.hash(password).join());
  }

  /** The user, when the password is theirs (as Accounts checks it). */
  private Optional<User> authenticate(String username, String password) {
    Optional<UserRepository.Credentials> found = users.credentials(username);
    boolean ok = hasher.matches(password, found.map(UserRepository.Credentials::passwordHash).orElse(null)).join();
    return ok ? found.map(UserRepository.Credentials::user) : Optional.empty();
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void createsUsersWithIncreasingIdsFrom1001(Database database) {
    open(database);
    User bob = create("  Bob.Smith ", "correct horse", " bob@example.com ");
    assertEquals(new User(1001, "bob.smith", "bob@example.com"), bob);
    User alice = create("alice", "battery staple", "");
    assertEquals(1002, alice.id());
    assertEquals(null, alice.email());
    assertEquals(Optional.of(bob), users.findSession(1001, 0));
    assertEquals(Optional.of(alice), users.findSession(1002, 0));
    assertEquals(Optional.empty(), users.findSession(1003, 0));
    assertTrue(users.exists(1001));
    assertFalse(users.exists(999));
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void aTakenUsernameIsRefusedInAnyCase(Database database) {
    open(database);
    User bob = create("bob", "correct horse", null);
    assertThrows(UsernameTakenException.class, () -> create("BOB", "other password", null));
    assertThrows(UsernameTakenException.class, () -> create(" bob ", "other password", null));
    // A refused insert may use up an id (a sequence never goes back), so only the order is certain.
    assertTrue(create("carol", "correct horse", null).id() > bob.id());
    assertEquals(Optional.of(bob), authenticate("bob", "correct horse"), "the first bob is untouched");
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void authenticatesOnlyTheRightPassword(Database database) {
    open(database);
    User bob = create("bob", "correct horse", null);
    assertEquals(Optional.of(bob), authenticate("bob", "correct horse"));
    assertEquals(Optional.of(bob), authenticate(" BOB", "correct horse"), "usernames ignore case");
    assertEquals(Optional.empty(), authenticate("bob", "Correct horse"));
    assertEquals(Optional.empty(), authenticate("bob", ""));
    assertEquals(Optional.empty(), authenticate("bob", null));
    assertEquals(Optional.empty(), authenticate("nobody", "correct horse"));
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void storesABcryptHashNotThePassword(Database database) throws Exception {
    open(database);
    create("bob", "correct horse", null);
    create("alice", "correct horse", null);
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT password_hash, created_at FROM ups_user ORDER BY id")) {
      assertTrue(rs.next());
      String bobHash = rs.getString(1);
      assertTrue(bobHash.matches("\\$2a\\$04\\$[./A-Za-z0-9]{53}"), bobHash);
      assertFalse(bobHash.contains("correct horse"));
      assertEquals("2026-11-24T12:00", rs.getTimestamp(2).toLocalDateTime().toString());
      assertTrue(rs.next());
      assertNotEquals(bobHash, rs.getString(1), "salted");
    }
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void invalidFieldsNeverReachTheDatabase(Database database) {
    open(database);
    assertThrows(IllegalArgumentException.class, () -> create("b", "correct horse", null));
    assertThrows(IllegalArgumentException.class, () -> create("bob", "correct horse", "not-an-email"));
    assertFalse(users.exists(1001));
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void endingSessionsRaisesTheVersionOnce(Database database) {
    open(database);
    User bob = create("bob", "correct horse", null);
    assertTrue(users.endSessions(bob.id(), 0));
    assertEquals(Optional.empty(), users.findSession(bob.id(), 0), "the old sessions ended");
    assertEquals(Optional.of(bob), users.findSession(bob.id(), 1));
    assertFalse(users.endSessions(bob.id(), 0), "already ended");
    assertEquals(1, users.credentials("bob").orElseThrow().sessionVersion());
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void aNewPasswordReplacesTheOldOneAndEndsTheSessions(Database database) {
    open(database);
    User bob = create("bob", "correct horse", null);
    String oldHash = users.credentials(bob.id()).orElseThrow().passwordHash();
    assertEquals(OptionalLong.of(1), users.changePassword(bob.id(), oldHash, hasher.hash("battery staple").join()));
    assertEquals(Optional.empty(), authenticate("bob", "correct horse"));
    assertEquals(Optional.of(bob), authenticate("bob", "battery staple"));
    assertEquals(Optional.empty(), users.findSession(bob.id(), 0));
    assertEquals(OptionalLong.empty(), users.changePassword(bob.id(), oldHash, hasher.hash("third one").join()),
        "a change based on the replaced hash is refused");
    assertEquals(Optional.of(bob), authenticate("bob", "battery staple"));
  }
}
