package org.miniups.user;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.miniups.CborSerializable;
import org.miniups.user.UserRepository.Credentials;

/**
 * The accounts actor: routes only ask it. JDBC runs on Pekko's blocking dispatcher, bcrypt on the
 * {@link PasswordHasher}'s bounded pool (which this actor owns and closes), never one inside the
 * other; results come back through pipeToSelf, and the login limiter is only touched here, on the
 * actor's own thread. A failing database answers 503 and logs one WARN line per request; a full
 * bcrypt queue answers 503 with Retry-After.
 */
public final class Accounts extends AbstractBehavior<Accounts.Command> {

  public sealed interface Command extends CborSerializable {}

  public record Register(String username, String password, String email, ActorRef<Registered> replyTo)
      implements Command {
    @Override
    public String toString() { // records print every field; this one must not print the password
      return "Register[username=" + username + ", email=" + email + "]";
    }
  }

  /** 201 with the user; 400 invalid input; 409 username taken; 503 unavailable or busy (then retryAfterSeconds > 0). */
  public record Registered(User user, String error, int status, long retryAfterSeconds) implements CborSerializable {
    public Registered(User user, String error, int status) {
      this(user, error, status, 0);
    }
  }

  public record Login(String username, String password, String clientAddress, ActorRef<LoggedIn> replyTo)
      implements Command {
    @Override
    public String toString() {
      return "Login[username=" + username + ", clientAddress=" + clientAddress + "]";
    }
  }

  /**
   * 200 with user and token; 400 a field longer than any account's; 401 wrong username or password;
   * 403 wrong current password (a password change); 429 too many failures; 503 unavailable or busy.
   * {@code retryAfterSeconds} > 0 with a 429 or a busy 503.
   */
  public record LoggedIn(User user, String token, String error, int status, long retryAfterSeconds) implements CborSerializable {
    public LoggedIn(User user, String token, String error, int status) {
      this(user, token, error, status, 0);
    }
  }

  /** The user of a valid token, if their sessions were not ended since it was issued. */
  public record GetSession(long userId, long sessionVersion, ActorRef<Found> replyTo) implements Command {}

  /** {@code user} null when unknown or when the session has ended. */
  public record Found(User user) implements CborSerializable {}

  /** Logout: ends every session of the user, on every node (a per-user version, not per token). */
  public record EndSessions(long userId, long sessionVersion, ActorRef<SessionsEnded> replyTo) implements Command {}

  /** 204 ended (or had already ended); 503 the database failed, and the sessions go on. */
  public record SessionsEnded(int status, String error) implements CborSerializable {}

  /** Replaces the password, ending every older session; answers a fresh session like a login. */
  public record ChangePassword(
      User user, String currentPassword, String newPassword, String clientAddress, ActorRef<LoggedIn> replyTo)
      implements Command {
    @Override
    public String toString() {
      return "ChangePassword[user=" + user + ", clientAddress=" + clientAddress + "]";
    }
  }

  /**
   * Whether {@code profileId} is a UPS account. Like {@link GetSession}, unanswered when the database
   * fails: false would wrongly say "no such account", so the asker's timeout says "unknown".
   */
  public record Exists(long profileId, ActorRef<Boolean> replyTo) implements Command {}

  /**
   * A guess at a secret other than a password (a claim's proof of the destination), limited as
   * logins are, by {@code subject} and address: counted as failed at once, so parallel guesses
   * cannot overshoot, until {@link GuessedRight} clears it.
   */
  public record Guess(String subject, String clientAddress, ActorRef<GuessAllowed> replyTo) implements Command {}

  /** {@code retryAfterSeconds} 0: go ahead; else the limit is reached (answer 429). */
  public record GuessAllowed(long retryAfterSeconds) implements CborSerializable {}

  public record GuessedRight(String subject, String clientAddress) implements Command {}

  /** A finished lookup; {@code answer} null means do not answer. */
  private record Answer<T>(ActorRef<T> replyTo, T answer, String warning) implements Command {
    void deliver() {
      if (answer != null) replyTo.tell(answer);
    }
  }

  /** A finished password check (a login or a change), counted against {@code username} and the address. */
  private record Checked(String username, String clientAddress, ActorRef<LoggedIn> replyTo, LoggedIn answer, Throwable failure)
      implements Command {}

  static final String UNAVAILABLE = "the account service is unavailable";
  static final String BUSY = "too many logins at once; try again in a second";
  static final long BUSY_RETRY_AFTER_SECONDS = 1;
  static final String WRONG_CREDENTIALS = "wrong username or password";
  static final String WRONG_CURRENT_PASSWORD = "the current password is wrong";
  static final String TOO_LONG =
      "username must be at most " + AccountRules.MAX_USERNAME + " and password at most " + AccountRules.MAX_PASSWORD + " characters";
  private static final LoggedIn WRONG = new LoggedIn(null, null, WRONG_CREDENTIALS, 401);

  private final UserRepository repository;
  private final PasswordHasher hasher;
  private final SessionTokens tokens;
  private final LoginLimiter limiter;
  private final Executor blocking;

  public static Behavior<Command> create(
      UserRepository repository, PasswordHasher hasher, SessionTokens tokens, LoginLimiter limiter) {
    return Behaviors.setup(context -> new Accounts(context, repository, hasher, tokens, limiter));
  }

  private Accounts(
      ActorContext<Command> context, UserRepository repository, PasswordHasher hasher, SessionTokens tokens, LoginLimiter limiter) {
    super(context);
    this.repository = repository;
    this.hasher = hasher;
    this.tokens = tokens;
    this.limiter = limiter;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onRegister)
        .onMessage(Login.class, this::onLogin)
        .onMessage(ChangePassword.class, this::onChangePassword)
        .onMessage(GetSession.class, this::onGetSession)
        .onMessage(EndSessions.class, this::onEndSessions)
        .onMessage(Exists.class, this::onExists)
        .onMessage(Guess.class, this::onGuess)
        .onMessage(GuessedRight.class, this::onGuessedRight)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(Checked.class, this::onChecked)
        .onSignal(PostStop.class, stopped -> {
          hasher.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onRegister(Register cmd) {
    Optional<String> problem = AccountRules.problem(cmd.username(), cmd.password(), cmd.email());
    if (problem.isPresent()) {
      cmd.replyTo().tell(new Registered(null, problem.get(), 400));
      return this;
    }
    pipe(
        hasher.hash(cmd.password()).thenApplyAsync(hash -> repository.create(cmd.username(), cmd.email(), hash), blocking),
        (user, failure) -> {
          if (failure == null) return new Answer<>(cmd.replyTo(), new Registered(user, null, 201), null);
          if (failure instanceof UsernameTakenException taken)
            return new Answer<>(cmd.replyTo(), new Registered(null, taken.getMessage(), 409), null);
          if (failure instanceof PasswordHasher.Busy)
            return new Answer<>(cmd.replyTo(), new Registered(null, BUSY, 503, BUSY_RETRY_AFTER_SECONDS), null);
          return new Answer<>(cmd.replyTo(), new Registered(null, UNAVAILABLE, 503), warning("registering", failure));
        });
    return this;
  }

  private Behavior<Command> onLogin(Login cmd) {
    String username = AccountRules.username(cmd.username());
    // Before any bookkeeping: no account has such a name or password, and the limiter keeps none.
    if (username.length() > AccountRules.MAX_USERNAME || AccountRules.passwordTooLong(cmd.password())) {
      cmd.replyTo().tell(new LoggedIn(null, null, TOO_LONG, 400));
      return this;
    }
    if (refusedByLimiter(username, cmd.clientAddress(), cmd.replyTo())) return this;
    if (!AccountRules.passwordLengthOk(cmd.password())) {
      cmd.replyTo().tell(WRONG); // no account has such a password
      return this;
    }
    CompletableFuture<LoggedIn> answer =
        CompletableFuture.supplyAsync(() -> repository.credentials(username), blocking)
            .thenCompose(found -> hasher.matches(cmd.password(), found.map(Credentials::passwordHash).orElse(null))
                .thenApply(ok -> ok ? session(found.get().user(), found.get().sessionVersion()) : WRONG));
    pipeChecked(answer, username, cmd.clientAddress(), cmd.replyTo());
    return this;
  }

  private Behavior<Command> onChangePassword(ChangePassword cmd) {
    if (!AccountRules.passwordLengthOk(cmd.newPassword())) {
      cmd.replyTo().tell(new LoggedIn(null, null, AccountRules.PASSWORD_RULE, 400));
      return this;
    }
    if (!AccountRules.passwordLengthOk(cmd.currentPassword())) { // no account has such a password
      cmd.replyTo().tell(new LoggedIn(null, null, WRONG_CURRENT_PASSWORD, 403));
      return this;
    }
    String username = cmd.user().username();
    if (refusedByLimiter(username, cmd.clientAddress(), cmd.replyTo())) return this;
    LoggedIn wrong = new LoggedIn(null, null, WRONG_CURRENT_PASSWORD, 403);
    LoggedIn ended = new LoggedIn(null, null, "log in first", 401);
    CompletableFuture<LoggedIn> answer =
        CompletableFuture.supplyAsync(() -> repository.credentials(cmd.user().id()), blocking)
            .thenCompose(found -> hasher.matches(cmd.currentPassword(), found.map(Credentials::passwordHash).orElse(null))
                .thenCompose(ok -> !ok
                    ? CompletableFuture.completedFuture(found.isPresent() ? wrong : ended)
                    : hasher.hash(cmd.newPassword())
                        .thenApplyAsync(hash -> repository.changePassword(cmd.user().id(), found.get().passwordHash(), hash), blocking)
                        .thenApply(version -> version.isPresent() ? session(found.get().user(), version.getAsLong()) : ended)));
    pipeChecked(answer, username, cmd.clientAddress(), cmd.replyTo());
    return this;
  }

  private Behavior<Command> onGuess(Guess cmd) {
    cmd.replyTo().tell(new GuessAllowed(admit(cmd.subject(), cmd.clientAddress()).orElse(0)));
    return this;
  }

  private Behavior<Command> onGuessedRight(GuessedRight cmd) {
    limiter.succeeded(cmd.subject(), cmd.clientAddress());
    return this;
  }

  /** Answers 429 when the limit is reached; else counts a failure now, which a success clears. */
  private boolean refusedByLimiter(String username, String clientAddress, ActorRef<LoggedIn> replyTo) {
    OptionalLong wait = admit(username, clientAddress);
    if (wait.isEmpty()) return false;
    replyTo.tell(new LoggedIn(null, null, "too many failed logins; try again in " + wait.getAsLong() + " s", 429, wait.getAsLong()));
    return true;
  }

  /**
   * Empty when the limiter allows an attempt, which is then counted as failed at once (before the
   * check finishes, so a burst of parallel guesses cannot overshoot the limit) until a success
   * clears it; else the seconds to wait.
   */
  private OptionalLong admit(String subject, String clientAddress) {
    OptionalLong wait = limiter.retryAfterSeconds(subject, clientAddress);
    if (wait.isEmpty()) limiter.failed(subject, clientAddress);
    return wait;
  }

  private LoggedIn session(User user, long sessionVersion) {
    return new LoggedIn(user, tokens.issue(user.id(), sessionVersion), null, 200);
  }

  private void pipeChecked(CompletionStage<LoggedIn> answer, String username, String clientAddress, ActorRef<LoggedIn> replyTo) {
    pipe(answer, (value, failure) -> new Checked(username, clientAddress, replyTo, value, failure));
  }

  private Behavior<Command> onChecked(Checked checked) {
    if (checked.failure() instanceof PasswordHasher.Busy) {
      checked.replyTo().tell(new LoggedIn(null, null, BUSY, 503, BUSY_RETRY_AFTER_SECONDS));
    } else if (checked.failure() != null) {
      getContext().getLog().warn(warning("checking a password", checked.failure()));
      checked.replyTo().tell(new LoggedIn(null, null, UNAVAILABLE, 503));
    } else {
      if (checked.answer().status() == 200) limiter.succeeded(checked.username(), checked.clientAddress());
      checked.replyTo().tell(checked.answer());
    }
    return this;
  }

  private Behavior<Command> onGetSession(GetSession cmd) {
    offload(
        () -> repository.findSession(cmd.userId(), cmd.sessionVersion()),
        (user, failure) ->
            failure == null
                ? new Answer<>(cmd.replyTo(), new Found(user.orElse(null)), null)
                : new Answer<>(cmd.replyTo(), null, warning("checking the session of user " + cmd.userId(), failure)));
    return this;
  }

  private Behavior<Command> onEndSessions(EndSessions cmd) {
    offload(
        () -> repository.endSessions(cmd.userId(), cmd.sessionVersion()),
        (ended, failure) ->
            failure == null
                ? new Answer<>(cmd.replyTo(), new SessionsEnded(204, null), null)
                : new Answer<>(cmd.replyTo(), new SessionsEnded(503, UNAVAILABLE), warning("logging out user " + cmd.userId(), failure)));
    return this;
  }

  private Behavior<Command> onExists(Exists cmd) {
    offload(
        () -> repository.exists(cmd.profileId()),
        (exists, failure) ->
            failure == null
                ? new Answer<>(cmd.replyTo(), exists, null)
                : new Answer<>(cmd.replyTo(), null, warning("checking profile " + cmd.profileId(), failure)));
    return this;
  }

  private Behavior<Command> onAnswer(Answer<?> answer) {
    if (answer.warning() != null) getContext().getLog().warn(answer.warning());
    answer.deliver();
    return this;
  }

  private <T> void offload(Supplier<T> work, BiFunction<T, Throwable, Command> toMessage) {
    pipe(CompletableFuture.supplyAsync(work, blocking), toMessage);
  }

  private <T> void pipe(CompletionStage<T> work, BiFunction<T, Throwable, Command> toMessage) {
    getContext().pipeToSelf(work, (value, failure) -> toMessage.apply(value, unwrap(failure)));
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /** One line, no stack trace: the cause's message says what the database said. */
  private static String warning(String what, Throwable failure) {
    return UNAVAILABLE + " (" + what + "): " + failure.getClass().getSimpleName() + ": " + failure.getMessage();
  }
}
