package org.miniups.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.miniups.user.Accounts;
import org.miniups.user.SessionTokens;
import org.miniups.user.User;

/**
 * Accounts: register, log in and out (a signed HttpOnly session cookie), change the password,
 * and who am I. Logging out and a new password end every session of the user.
 */
final class AccountRoutes extends ApiDirectives {
  /** SESSION_COOKIE_SECURE: browsers then send the cookie over HTTPS only. */
  private final boolean secureCookie;

  AccountRoutes(Backend backend) {
    super(backend);
    this.secureCookie = backend.system().settings().config().getBoolean("mini-ups.accounts.session-cookie-secure");
  }

  Route routes() {
    return concat(
        path("users", () -> post(() -> csrfSafe(() -> jsonBody(this::register)))),
        path("sessions", () -> concat(
            post(() -> csrfSafe(() -> clientAddress(client -> jsonBody(body -> login(body, client))))),
            delete(() -> csrfSafe(this::logout)))),
        path("me", () -> get(() -> requireUser(user -> complete(Json.response(StatusCodes.OK, profile(user)))))),
        path(PathMatchers.segment("me").slash("password"), () -> post(() -> csrfSafe(() -> requireUser(user ->
            clientAddress(client -> jsonBody(body -> changePassword(user, body, client))))))));
  }

  private Route register(JsonNode body) {
    String username = Json.requiredText(body, "username");
    String password = Json.requiredText(body, "password");
    String email = Json.optionalText(body, "email");
    CompletionStage<Accounts.Registered> registered =
        ask(backend.accounts(), replyTo -> new Accounts.Register(username, password, email, replyTo));
    return onSuccess(registered, answer -> answer.user() != null
        ? complete(Json.response(StatusCodes.CREATED, profile(answer.user())))
        : refused(StatusCodes.get(answer.status()), answer.error(), answer.retryAfterSeconds()));
  }

  private Route login(JsonNode body, String client) {
    String username = Json.requiredText(body, "username");
    String password = Json.requiredText(body, "password");
    CompletionStage<Accounts.LoggedIn> loggedIn =
        ask(backend.accounts(), replyTo -> new Accounts.Login(username, password, client, replyTo));
    return onSuccess(loggedIn, this::session);
  }

  /** A new session: its token in the cookie and, for API clients, in the body. */
  private Route session(Accounts.LoggedIn answer) {
    if (answer.user() == null) return refused(StatusCodes.get(answer.status()), answer.error(), answer.retryAfterSeconds());
    Map<String, Object> out = profile(answer.user());
    out.put("token", answer.token()); // for API clients: send it as "Authorization: Bearer <token>"
    return setCookie(sessionCookie(answer.token(), Long.MAX_VALUE), () -> complete(Json.response(StatusCodes.OK, out)));
  }

  /** {"current", "new"}: the new password follows the sign-up rules; every older session ends. */
  private Route changePassword(User user, JsonNode body, String client) {
    String current = Json.requiredText(body, "current");
    String replacement = Json.requiredText(body, "new");
    CompletionStage<Accounts.LoggedIn> changed =
        ask(backend.accounts(), replyTo -> new Accounts.ChangePassword(user, current, replacement, client, replyTo));
    return onSuccess(changed, this::session);
  }

  /** Ends the session of the token, and every other of its user; without a valid one, just clears the cookie. */
  private Route logout() {
    Route cleared = setCookie(sessionCookie("", 0), () -> complete(StatusCodes.NO_CONTENT));
    return withToken(token -> {
      Optional<SessionTokens.Session> session = token.flatMap(t -> backend.sessions().verify(t));
      if (session.isEmpty()) return cleared;
      CompletionStage<Accounts.SessionsEnded> ended =
          ask(backend.accounts(), replyTo -> new Accounts.EndSessions(session.get().userId(), session.get().version(), replyTo));
      return onSuccess(ended, answer -> answer.status() == 204 ? cleared : complete(Json.error(StatusCodes.get(answer.status()), answer.error())));
    });
  }

  /** HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot send it), Secure if configured. */
  private HttpCookie sessionCookie(String token, long maxAgeSeconds) {
    HttpCookie cookie =
        HttpCookie.create(SESSION_COOKIE, token).withPath("/").withHttpOnly(true).withSameSite(SameSite.Strict).withSecure(secureCookie);
    return maxAgeSeconds == Long.MAX_VALUE ? cookie : cookie.withMaxAge(maxAgeSeconds);
  }

  static Map<String, Object> profile(User user) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", user.id());
    out.put("username", user.username());
    out.put("email", user.email());
    return out;
  }
}
