package org.miniups.user;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.miniups.CborSerializable;

/**
 * The accounts actor: routes only ask it. JDBC and bcrypt block, so they run on Pekko's blocking
 * dispatcher and come back through pipeToSelf; the login limiter is only touched here, on the
 * actor's own thread. A failing database answers 503 and logs one WARN line per request.
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

  /** 201 with the user; 400 invalid input; 409 username taken; 503 database unavailable. */
  public record Registered(User user, String error, int status) implements CborSerializable {}

  public record Login(String username, String password, String clientAddress, ActorRef<LoggedIn> replyTo)
      implements Command {
    @Override
    public String toString() {
      return "Login[username=" + username + ", clientAddress=" + clientAddress + "]";
    }
  }

  /** 200 with user and token; 401 wrong username or password; 429 too many failures; 503. */
  public record LoggedIn(User user, String token, String error, int status) implements CborSerializable {}

  public record GetUser(long id, ActorRef<Found> replyTo) implements Command {}

  /** {@code user} null when unknown. */
  public record Found(User user) implements CborSerializable {}

  /**
   * Whether {@code profileId} is a UPS account. Like {@link GetUser}, unanswered when the database
   * fails: false would wrongly say "no such account", so the asker's timeout says "unknown".
   */
  public record Exists(long profileId, ActorRef<Boolean> replyTo) implements Command {}

  /** A finished lookup; {@code answer} null means do not answer. */
  private record Answer<T>(ActorRef<T> replyTo, T answer, String warning) implements Command {
    void deliver() {
      if (answer != null) replyTo.tell(answer);
    }
  }

  /** A finished password check; {@code user} null when it failed, {@code warning} set when the database did. */
  private record Checked(String username, String clientAddress, ActorRef<LoggedIn> replyTo, User user, String warning)
      implements Command {}

  static final String UNAVAILABLE = "the account service is unavailable";
  static final String WRONG_CREDENTIALS = "wrong username or password";

  private final UserRepository repository;
  private final SessionTokens tokens;
  private final LoginLimiter limiter;
  private final Executor blocking;

  public static Behavior<Command> create(UserRepository repository, SessionTokens tokens, LoginLimiter limiter) {
    return Behaviors.setup(context -> new Accounts(context, repository, tokens, limiter));
  }

  private Accounts(ActorContext<Command> context, UserRepository repository, SessionTokens tokens, LoginLimiter limiter) {
    super(context);
    this.repository = repository;
    this.tokens = tokens;
    this.limiter = limiter;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onRegister)
        .onMessage(Login.class, this::onLogin)
        .onMessage(GetUser.class, this::onGetUser)
        .onMessage(Exists.class, this::onExists)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(Checked.class, this::onChecked)
        .build();
  }

  private Behavior<Command> onRegister(Register cmd) {
    Optional<String> problem = AccountRules.problem(cmd.username(), cmd.password(), cmd.email());
    if (problem.isPresent()) {
      cmd.replyTo().tell(new Registered(null, problem.get(), 400));
      return this;
    }
    offload(
        () -> repository.create(cmd.username(), cmd.password(), cmd.email()),
        (user, failure) -> {
          if (failure == null) return new Answer<>(cmd.replyTo(), new Registered(user, null, 201), null);
          if (failure instanceof UsernameTakenException taken)
            return new Answer<>(cmd.replyTo(), new Registered(null, taken.getMessage(), 409), null);
          return new Answer<>(cmd.replyTo(), new Registered(null, UNAVAILABLE, 503), warning("registering", failure));
        });
    return this;
  }

  private Behavior<Command> onLogin(Login cmd) {
    String username = AccountRules.username(cmd.username());
    OptionalLong wait = limiter.retryAfterSeconds(username, cmd.clientAddress());
    if (wait.isPresent()) {
      cmd.replyTo().tell(new LoggedIn(null, null, "too many failed logins; try again in " + wait.getAsLong() + " s", 429));
      return this;
    }
    // Counted before the check finishes, so a burst of parallel guesses cannot overshoot the limit;
    // a success clears it.
    limiter.failed(username, cmd.clientAddress());
    if (!AccountRules.passwordLengthOk(cmd.password()) || username.length() > AccountRules.MAX_USERNAME) {
      cmd.replyTo().tell(new LoggedIn(null, null, WRONG_CREDENTIALS, 401)); // no such account can exist
      return this;
    }
    offload(
        () -> repository.authenticate(username, cmd.password()),
        (user, failure) ->
            new Checked(
                username,
                cmd.clientAddress(),
                cmd.replyTo(),
                failure == null ? user.orElse(null) : null,
                failure == null ? null : warning("logging in", failure)));
    return this;
  }

  private Behavior<Command> onChecked(Checked checked) {
    if (checked.warning() != null) {
      getContext().getLog().warn(checked.warning());
      checked.replyTo().tell(new LoggedIn(null, null, UNAVAILABLE, 503));
    } else if (checked.user() == null) {
      checked.replyTo().tell(new LoggedIn(null, null, WRONG_CREDENTIALS, 401));
    } else {
      limiter.succeeded(checked.username(), checked.clientAddress());
      checked.replyTo().tell(new LoggedIn(checked.user(), tokens.issue(checked.user().id()), null, 200));
    }
    return this;
  }

  private Behavior<Command> onGetUser(GetUser cmd) {
    offload(
        () -> repository.find(cmd.id()),
        (user, failure) ->
            failure == null
                ? new Answer<>(cmd.replyTo(), new Found(user.orElse(null)), null)
                : new Answer<>(cmd.replyTo(), null, warning("finding user " + cmd.id(), failure)));
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
    getContext().pipeToSelf(CompletableFuture.supplyAsync(work, blocking), (value, failure) -> toMessage.apply(value, unwrap(failure)));
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /** One line, no stack trace: the cause's message says what the database said. */
  private static String warning(String what, Throwable failure) {
    return UNAVAILABLE + " (" + what + "): " + failure.getClass().getSimpleName() + ": " + failure.getMessage();
  }
}
