package org.miniups.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.db.ReadSideDatabase;

class AccountsTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final SessionTokens tokens =
      new SessionTokens("a test secret of enough bytes".getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), Clock.systemUTC());
  private final LoginLimiter limiter = new LoginLimiter(3, Duration.ofMinutes(5), 1000, Clock.systemUTC());
  /** bcrypt's pool, one thread and a queue of one, so a test can fill it. */
  private final ThreadPoolExecutor bcryptPool =
      new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1), new ThreadPoolExecutor.AbortPolicy());
  private ReadSideDatabase db;
  private ActorRef<Accounts.Command> accounts;

  @BeforeEach
  void start() {
    db = ReadSideDatabase.open(Database.H2.freshUrl(), "sa", "", 2);
    UserRepository users = new UserRepository(db.dataSource(), Clock.systemUTC());
    accounts = testKit.spawn(Accounts.create(users, new PasswordHasher(4, bcryptPool), tokens, limiter));
  }

  @AfterEach
  void stop() {
    testKit.stop(accounts);
    db.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private Accounts.Registered register(String username, String password, String email) {
    TestProbe<Accounts.Registered> probe = testKit.createTestProbe();
    accounts.tell(new Accounts.Register(username, password, email, probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  private Accounts.LoggedIn login(String username, String password, String address) {
    TestProbe<Accounts.LoggedIn> probe = testKit.createTestProbe();
    accounts.tell(new Accounts.Login(username, password, address, probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  @Test
  void registers() {
    Accounts.Registered ok = register("Bob", "correct horse", "bob@example.com");
    assertEquals(new Accounts.Registered(new User(1001, "bob", "bob@example.com"), null, 201), ok);
    assertEquals(1002, register("alice", "correct horse", null).user().id());
  }

  @Test
  void refusesInvalidInputWith400() {
    for (String[] bad :
        new String[][] {
          {"bo", "correct horse", null},
          {"b".repeat(33), "correct horse", null},
          {"bob smith", "correct horse", null},
          {null, "correct horse", null},
          {"bob", "short", null},
          {"bob", "x".repeat(129), null},
          {"bob", null, null},
          {"bob", "correct horse", "bob"},
          {"bob", "correct horse", "bob@example"},
          {"bob", "correct horse", "a".repeat(250) + "@b.cd"},
        }) {
      Accounts.Registered reply = register(bad[0], bad[1], bad[2]);
      assertEquals(400, reply.status(), String.join(" | ", String.valueOf(bad[0]), String.valueOf(bad[2])));
      assertNull(reply.user());
      assertTrue(reply.error() != null && !reply.error().isBlank());
    }
    assertEquals(201, register("bob", "correct horse", null).status(), "nothing was stored");
  }

  @Test
  void refusesATakenUsernameWith409() {
    register("bob", "correct horse", null);
    Accounts.Registered taken = register("BOB", "another password", null);
    assertEquals(409, taken.status());
    assertNull(taken.user());
  }

  @Test
  void logsInWithATokenForTheUser() {
    User bob = register("bob", "correct horse", null).user();
    Accounts.LoggedIn in = login(" Bob", "correct horse", "10.0.0.1");
    assertEquals(200, in.status());
    assertEquals(bob, in.user());
    assertEquals(Optional.of(new SessionTokens.Session(bob.id(), 0)), tokens.verify(in.token()));
  }

  @Test
  void refusesWrongCredentialsWith401() {
    register("bob", "correct horse", null);
    for (Accounts.LoggedIn out :
        new Accounts.LoggedIn[] {
          login("bob", "wrong horse", "10.0.0.1"), login("nobody", "correct horse", "10.0.0.2"), login("bob", null, "10.0.0.3")
        }) {
      assertEquals(new Accounts.LoggedIn(null, null, "wrong username or password", 401), out);
    }
  }

  @Test
  void refusesWith429AfterTooManyFailures() {
    register("bob", "correct horse", null);
    for (int i = 0; i < 3; i++) assertEquals(401, login("bob", "wrong horse " + i, "10.0.0.1").status());
    Accounts.LoggedIn blocked = login("BOB", "correct horse", "10.0.0.1");
    assertEquals(429, blocked.status());
    assertTrue(blocked.error().matches("too many failed logins; try again in (29\\d|300) s"), blocked.error());
    assertEquals(200, login("bob", "correct horse", "10.0.0.2").status(), "another address is not blocked");
  }

  @Test
  void successResetsTheFailures() {
    register("bob", "correct horse", null);
    for (int i = 0; i < 2; i++) login("bob", "wrong horse", "10.0.0.1");
    assertEquals(200, login("bob", "correct horse", "10.0.0.1").status());
    for (int i = 0; i < 2; i++) login("bob", "wrong horse", "10.0.0.1");
    assertEquals(200, login("bob", "correct horse", "10.0.0.1").status());
  }

  private User session(long userId, long version) {
    TestProbe<Accounts.Found> probe = testKit.createTestProbe();
    accounts.tell(new Accounts.GetSession(userId, version, probe.getRef()));
    return probe.receiveMessage(WAIT).user();
  }

  private Accounts.LoggedIn changePassword(User user, String current, String replacement) {
    TestProbe<Accounts.LoggedIn> probe = testKit.createTestProbe();
    accounts.tell(new Accounts.ChangePassword(user, current, replacement, "10.0.0.1", probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  @Test
  void findsTheUserOfASessionUntilItEnds() {
    User bob = register("bob", "correct horse", "bob@example.com").user();
    assertEquals(bob, session(bob.id(), 0));
    assertNull(session(4242, 0), "no such user");
    TestProbe<Accounts.SessionsEnded> ended = testKit.createTestProbe();
    accounts.tell(new Accounts.EndSessions(bob.id(), 0, ended.getRef()));
    assertEquals(new Accounts.SessionsEnded(204, null), ended.receiveMessage(WAIT));
    assertNull(session(bob.id(), 0), "logged out");
    Accounts.LoggedIn again = login("bob", "correct horse", "10.0.0.1");
    assertEquals(Optional.of(new SessionTokens.Session(bob.id(), 1)), tokens.verify(again.token()));
    assertEquals(bob, session(bob.id(), 1), "a new login is a new session");
  }

  @Test
  void aNewPasswordFollowsTheSignUpRulesNeedsTheCurrentOneAndEndsOlderSessions() {
    User bob = register("bob", "correct horse", null).user();
    assertEquals(new Accounts.LoggedIn(null, null, "password must be 8 to 128 characters", 400), changePassword(bob, "correct horse", "short"));
    assertEquals(new Accounts.LoggedIn(null, null, "the current password is wrong", 403), changePassword(bob, "wrong horse", "battery staple"));
    assertEquals(bob, session(bob.id(), 0), "nothing changed yet");
    Accounts.LoggedIn changed = changePassword(bob, "correct horse", "battery staple");
    assertEquals(200, changed.status(), changed.error());
    assertEquals(Optional.of(new SessionTokens.Session(bob.id(), 1)), tokens.verify(changed.token()));
    assertNull(session(bob.id(), 0), "the older sessions ended");
    assertEquals(bob, session(bob.id(), 1));
    assertEquals(401, login("bob", "correct horse", "10.0.0.2").status());
    assertEquals(200, login("bob", "battery staple", "10.0.0.2").status());
  }

  /** Before any bookkeeping: a 400 that leaves nothing in the limiter and asks no bcrypt. */
  @Test
  void anOverlongUsernameOrPasswordIs400AndStoresNothing() {
    String huge = "a".repeat(16_000);
    for (int i = 0; i < 5; i++) {
      assertEquals(400, login(huge, "correct horse", "10.0.0.1").status());
      assertEquals(400, login("bob", huge, "10.0.0.1").status());
    }
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds(huge, "10.0.0.1"));
    assertEquals(OptionalLong.empty(), limiter.retryAfterSeconds("bob", "10.0.0.1"));
    assertEquals(0, limiter.keys(), "no key kept");
    assertEquals(0, bcryptPool.getTaskCount(), "no bcrypt asked");
  }

  /** An unknown user still costs one bcrypt check (against a decoy), like a wrong password does. */
  @Test
  void anUnknownUserCostsABcryptCheckToo() {
    assertEquals(401, login("nobody", "correct horse", "10.0.0.1").status());
    // The pool counts a task once its worker has finished it, which can be just after the answer.
    org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(
        () -> assertEquals(1, bcryptPool.getTaskCount(), "one bcrypt check asked"));
  }

  @Test
  void aFullBcryptQueueIs503WithRetryAfter() throws Exception {
    register("bob", "correct horse", null);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    bcryptPool.execute(() -> { // takes the one thread
      running.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    running.await();
    TestProbe<Accounts.LoggedIn> queued = testKit.createTestProbe();
    accounts.tell(new Accounts.Login("bob", "correct horse", "10.0.0.1", queued.getRef())); // takes the queue's one place
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> bcryptPool.getQueue().size() == 1);
    assertEquals(new Accounts.LoggedIn(null, null, "too many logins at once; try again in a second", 503, 1), login("alice", "correct horse", "10.0.0.2"));
    assertEquals(new Accounts.Registered(null, "too many logins at once; try again in a second", 503, 1), register("carol", "correct horse", null));
    release.countDown();
    assertEquals(200, queued.receiveMessage(WAIT).status(), "the queued login goes through");
  }

  @Test
  void tellsWhetherAProfileExists() {
    User bob = register("bob", "correct horse", null).user();
    TestProbe<Boolean> probe = testKit.createTestProbe();
    accounts.tell(new Accounts.Exists(bob.id(), probe.getRef()));
    assertEquals(true, probe.receiveMessage(WAIT));
    accounts.tell(new Accounts.Exists(bob.id() + 1, probe.getRef()));
    assertEquals(false, probe.receiveMessage(WAIT));
  }

  @Test
  void answers503WhenTheDatabaseIsGone() {
    db.close(); // a closed pool fails at once, like a database that is down
    assertEquals(new Accounts.Registered(null, "the account service is unavailable", 503), register("bob", "correct horse", null));
    assertEquals(new Accounts.LoggedIn(null, null, "the account service is unavailable", 503), login("bob", "correct horse", "10.0.0.1"));
  }

  @Test
  void repliesSurviveJacksonCbor() {
    TestProbe<Accounts.Found> probe = testKit.createTestProbe();
    User bob = new User(1001, "bob", null);
    for (Object o :
        new Object[] {
          new Accounts.Registered(bob, null, 201),
          new Accounts.Registered(null, "username bob is already taken", 409),
          new Accounts.LoggedIn(bob, "1001.0.2.x", null, 200),
          new Accounts.LoggedIn(null, null, "too many failed logins; try again in 3 s", 429, 3),
          new Accounts.Found(null),
          new Accounts.GetSession(1001, 0, probe.getRef()),
          new Accounts.SessionsEnded(503, "the account service is unavailable")
        }) {
      assertEquals(o, testKit.serializationTestKit().verifySerialization(o, false));
    }
  }

  @Test
  void neverPrintsPasswords() {
    TestProbe<Accounts.LoggedIn> probe = testKit.createTestProbe();
    String text = new Accounts.Login("bob", "correct horse", "10.0.0.1", probe.getRef()).toString()
        + new Accounts.Register("bob", "correct horse", null, null).toString();
    assertTrue(!text.contains("correct horse"), text);
  }
}
