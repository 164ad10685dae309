package org.miniups.http;

import java.net.InetAddress;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.miniups.user.Accounts;
import org.miniups.user.SessionTokens;
import org.miniups.user.User;

/** What every API routes class needs: asking actors, who is calling, and reading JSON bodies. */
abstract class ApiDirectives extends AllDirectives {
  static final String SESSION_COOKIE = "session";
  static final String CSRF_HEADER = "X-Requested-With";
  static final String CSRF_VALUE = "mini-ups";
  static final long MAX_BODY_BYTES = 16 * 1024;

  protected final Backend backend;

  ApiDirectives(Backend backend) {
    this.backend = backend;
  }

  <T, R> CompletionStage<R> ask(RecipientRef<T> target, Function<ActorRef<R>, T> message) {
    return AskPattern.ask(target, message::apply, backend.askTimeout(), backend.system().scheduler());
  }

  /** The session token from the cookie, or from {@code Authorization: Bearer} for API clients. */
  Route withToken(Function<Optional<String>, Route> inner) {
    return optionalCookie(
        SESSION_COOKIE,
        cookie ->
            optionalHeaderValueByName(
                "Authorization",
                authorization -> {
                  Optional<String> bearer =
                      authorization.filter(a -> a.regionMatches(true, 0, "Bearer ", 0, 7)).map(a -> a.substring(7).trim());
                  return inner.apply(bearer.isPresent() ? bearer : cookie.map(HttpCookiePair::value));
                }));
  }

  /**
   * The logged-in user, if any; an invalid, expired or ended session (logout, new password) counts
   * as none. Whether it ended is read from the database on every request, so every node agrees.
   */
  Route optionalUser(Function<Optional<User>, Route> inner) {
    return withToken(
        token -> {
          Optional<SessionTokens.Session> session = token.flatMap(t -> backend.sessions().verify(t));
          if (session.isEmpty()) return inner.apply(Optional.empty());
          CompletionStage<Optional<User>> user =
              this.<Accounts.Command, Accounts.Found>ask(
                      backend.accounts(), replyTo -> new Accounts.GetSession(session.get().userId(), session.get().version(), replyTo))
                  .thenApply(found -> Optional.ofNullable(found.user()));
          return onSuccess(user, inner::apply);
        });
  }

  Route requireUser(Function<User, Route> inner) {
    return optionalUser(
        user ->
            user.map(inner)
                .orElseGet(() -> complete(Json.error(StatusCodes.UNAUTHORIZED, "log in first"))));
  }

  /**
   * Cookies travel with cross-site requests, so a write that relies on the session cookie must
   * carry a header no other site can set without CORS. Bearer-token clients are exempt.
   */
  Route csrfSafe(java.util.function.Supplier<Route> inner) {
    return extractRequest(
        request -> {
          boolean write = request.method() != HttpMethods.GET && request.method() != HttpMethods.HEAD;
          boolean bearer = request.getHeader("Authorization").map(h -> h.value().startsWith("Bearer ")).orElse(false);
          boolean marked = request.getHeader(CSRF_HEADER).map(h -> CSRF_VALUE.equals(h.value())).orElse(false);
          if (write && !bearer && !marked) {
            return complete(Json.error(StatusCodes.FORBIDDEN, "writes need the header " + CSRF_HEADER + ": " + CSRF_VALUE + " (CSRF protection)"));
          }
          return inner.get();
        });
  }

  /**
   * The connection's peer, which the limits (logins, claims, live streams) count by. Not
   * extractClientIP: it prefers X-Forwarded-For and the like, which any client can set to a new
   * value per request.
   */
  Route clientAddress(Function<String, Route> inner) {
    return optionalAttribute(AttributeKeys.remoteAddress, address -> inner.apply(
        address.flatMap(RemoteAddress::getAddress).map(InetAddress::getHostAddress).orElse("unknown")));
  }

  /** An error answer; with Retry-After when the service says when to come back (a 429, a busy 503). */
  Route refused(StatusCode status, String error, long retryAfterSeconds) {
    Route answer = complete(Json.error(status, error));
    return retryAfterSeconds > 0 ? respondWithHeader(RetryAfter.create(retryAfterSeconds), () -> answer) : answer;
  }

  /** A JSON object body of at most {@link #MAX_BODY_BYTES}. */
  Route jsonBody(Function<JsonNode, Route> inner) {
    return withSizeLimit(MAX_BODY_BYTES, () -> entity(Unmarshaller.entityToString(), body -> inner.apply(Json.object(body))));
  }

  static <T> CompletionStage<T> completed(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
