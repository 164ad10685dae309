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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.miniups.TestConfigs.Database;
import org.miniups.db.ReadSideDatabase;

/** The repository on both databases we support, each test on a fresh database. */
class UserRepositoryTest {
  private ReadSideDatabase db;

  private UserRepository open(Database database) {
    db = ReadSideDatabase.open(database.freshUrl(), database == Database.H2 ? "sa" : "postgres", "", 2);
    return new UserRepository(db.dataSource(), 4, Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    if (db != null) db.close();
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void createsUsersWithIncreasingIdsFrom1001(Database database) {
    UserRepository users = open(database);
    User bob = users.create("  Bob.Smith ", "correct horse", " bob@example.com ");
    assertEquals(new User(1001, "bob.smith", "bob@example.com"), bob);
    User alice = users.create("alice", "battery staple", "");
    assertEquals(1002, alice.id());
    assertEquals(null, alice.email());
    assertEquals(Optional.of(bob), users.find(1001));
    assertEquals(Optional.of(alice), users.find(1002));
    assertEquals(Optional.empty(), users.find(1003));
    assertTrue(users.exists(1001));
    assertFalse(users.exists(999));
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void aTakenUsernameIsRefusedInAnyCase(Database database) {
    UserRepository users = open(database);
    User bob = users.create("bob", "correct horse", null);
    assertThrows(UsernameTakenException.class, () -> users.create("BOB", "other password", null));
    assertThrows(UsernameTakenException.class, () -> users.create(" bob ", "other password", null));
    // A refused insert may use up an id (a sequence never goes back), so only the order is certain.
    assertTrue(users.create("carol", "correct horse", null).id() > bob.id());
    assertEquals(Optional.of(bob), users.authenticate("bob", "correct horse"), "the first bob is untouched");
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void authenticatesOnlyTheRightPassword(Database database) {
    UserRepository users = open(database);
    User bob = users.create("bob", "correct horse", null);
    assertEquals(Optional.of(bob), users.authenticate("bob", "correct horse"));
    assertEquals(Optional.of(bob), users.authenticate(" BOB", "correct horse"), "usernames ignore case");
    assertEquals(Optional.empty(), users.authenticate("bob", "Correct horse"));
    assertEquals(Optional.empty(), users.authenticate("bob", ""));
    assertEquals(Optional.empty(), users.authenticate("bob", null));
    assertEquals(Optional.empty(), users.authenticate("nobody", "correct horse"));
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void storesABcryptHashNotThePassword(Database database) throws Exception {
    UserRepository users = open(database);
    users.create("bob", "correct horse", null);
    users.create("alice", "correct horse", null);
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
    UserRepository users = open(database);
    assertThrows(IllegalArgumentException.class, () -> users.create("b", "correct horse", null));
    assertThrows(IllegalArgumentException.class, () -> users.create("bob", "short", null));
    assertThrows(IllegalArgumentException.class, () -> users.create("bob", "correct horse", "not-an-email"));
    assertFalse(users.exists(1001));
  }
}
