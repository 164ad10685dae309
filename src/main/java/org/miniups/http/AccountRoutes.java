package org.miniups.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.server.Route;
import org.miniups.user.Accounts;
import org.miniups.user.User;

/** Accounts: register, log in and out (a signed HttpOnly session cookie), and who am I. */
final class AccountRoutes extends ApiDirectives {
  AccountRoutes(Backend backend) {
    super(backend);
  }

  Route routes() {
    return concat(
        path("users", () -> post(() -> csrfSafe(() -> jsonBody(this::register)))),
        path("sessions", () -> concat(
            post(() -> csrfSafe(() -> clientAddress(client -> jsonBody(body -> login(body, client))))),
            delete(() -> csrfSafe(this::logout)))),
        path("me", () -> get(() -> requireUser(user -> complete(Json.response(StatusCodes.OK, profile(user)))))));
  }

  private Route register(JsonNode body) {
    String username = Json.requiredText(body, "username");
    String password = Json.requiredText(body, "password");
    String email = Json.optionalText(body, "email");
    CompletionStage<Accounts.Registered> registered =
        ask(backend.accounts(), replyTo -> new Accounts.Register(username, password, email, replyTo));
    return onSuccess(registered, answer -> answer.user() != null
        ? complete(Json.response(StatusCodes.CREATED, profile(answer.user())))
        : complete(Json.error(StatusCodes.get(answer.status()), answer.error())));
  }

  /**
   * The connection's peer, which the login limit counts failures by. Not extractClientIP: it
   * prefers X-Forwarded-For and the like, which any client can set to a new value per guess.
   */
  private Route clientAddress(Function<String, Route> inner) {
    return optionalAttribute(AttributeKeys.remoteAddress, address -> inner.apply(
        address.flatMap(RemoteAddress::getAddress).map(InetAddress::getHostAddress).orElse("unknown")));
  }

  private Route login(JsonNode body, String client) {
    String username = Json.requiredText(body, "username");
    String password = Json.requiredText(body, "password");
    CompletionStage<Accounts.LoggedIn> loggedIn =
        ask(backend.accounts(), replyTo -> new Accounts.Login(username, password, client, replyTo));
    return onSuccess(loggedIn, answer -> {
      if (answer.user() == null) return complete(Json.error(StatusCodes.get(answer.status()), answer.error()));
      Map<String, Object> out = profile(answer.user());
      out.put("token", answer.token()); // for API clients: send it as "Authorization: Bearer <token>"
      return setCookie(sessionCookie(answer.token(), Long.MAX_VALUE), () -> complete(Json.response(StatusCodes.OK, out)));
    });
  }

  private Route logout() {
    return setCookie(sessionCookie("", 0), () -> complete(StatusCodes.NO_CONTENT));
  }

  /** HttpOnly (scripts cannot read it) and SameSite=Strict (other sites cannot send it). */
  private static HttpCookie sessionCookie(String token, long maxAgeSeconds) {
    HttpCookie cookie =
        HttpCookie.create(SESSION_COOKIE, token).withPath("/").withHttpOnly(true).withSameSite(SameSite.Strict);
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
