package org.miniups.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.miniups.shipment.PackageDirectory;
import org.miniups.shipment.Shipment;
import org.miniups.shipment.TrackingNumbers;
import org.miniups.user.Accounts;
import org.miniups.user.User;

/**
 * Packages: tracking by number (JSON and a live Server-Sent Events stream), changing the
 * destination, and the logged-in user's list. A tracking number leads to its shipment through
 * {@link TrackingLookup}; every change goes through the shipment actor, so it can never race the
 * dispatch.
 */
final class PackageRoutes extends ApiDirectives {
  static final int COORDINATE_LIMIT = 1_000_000;
  private static final int MAX_PAGE_SIZE = 100;

  private final TrackingLookup trackingNumbers;
  private final LiveStreamSlots liveStreams;

  PackageRoutes(Backend backend) {
    super(backend);
    this.liveStreams = LiveStreamSlots.fromConfig(backend.system().settings().config());
    this.trackingNumbers =
        new TrackingLookup(backend.knownTrackingNumbers(), backend.directory(), backend.askTimeout(), backend.system().scheduler());
  }

  Route routes() {
    return concat(
        pathPrefix("packages", () -> pathPrefix(segment(), tn -> concat(
            pathEnd(() -> get(() -> optionalUser(user -> withShipment(tn, state -> completeView(state, user))))),
            path("events", () -> get(() -> clientAddress(client -> optionalUser(user -> withShipment(tn, state -> events(state, user, client)))))),
            path("destination", () -> put(() -> csrfSafe(() -> requireUser(user -> jsonBody(body -> changeDestination(tn, user, body))))))))),
        pathPrefix("me", () -> path("packages", () -> concat(
            get(() -> requireUser(this::myPackages)),
            post(() -> csrfSafe(() -> requireUser(user -> clientAddress(client -> jsonBody(body -> claim(user, body, client))))))))));
  }

  /** The shipment a tracking number names, or a 404 (400 for something that is no tracking number). */
  private Route withShipment(String trackingNumber, java.util.function.Function<Shipment.Summary, Route> inner) {
    if (!TrackingNumbers.looksValid(trackingNumber)) {
      throw ApiError.badRequest("\"" + abbreviate(trackingNumber) + "\" is not a tracking number (they look like 1Z followed by 16 letters and digits)");
    }
    String normalized = trackingNumber.toUpperCase(Locale.ROOT);
    CompletionStage<Shipment.Summary> state =
        trackingNumbers.shipId(normalized).thenCompose(shipId -> {
          if (shipId.isEmpty()) throw ApiError.notFound("no package has the tracking number " + normalized);
          return this.<Shipment.Command, Shipment.Summary>ask(backend.shipments().apply(shipId.get()), Shipment.Get::new);
        });
    return onSuccess(state, inner::apply);
  }

  private Route completeView(Shipment.Summary state, Optional<User> user) {
    return onSuccess(PackageViews.of(backend, state, user.map(User::id).orElse(null)), view -> completeOK(view, Json.marshaller()));
  }

  private Route changeDestination(String trackingNumber, User user, JsonNode body) {
    int x = Json.requiredInt(body, "x", -COORDINATE_LIMIT, COORDINATE_LIMIT);
    int y = Json.requiredInt(body, "y", -COORDINATE_LIMIT, COORDINATE_LIMIT);
    return withShipment(trackingNumber, state -> {
      CompletionStage<Shipment.ChangeReply> reply =
          ask(backend.shipments().apply(state.shipId()), replyTo -> new Shipment.ChangeDestination(user.id(), x, y, replyTo));
      return onSuccess(reply, answer -> switch (answer.refusal()) {
        case NONE -> completeView(answer.shipment(), Optional.of(user));
        case UNKNOWN -> complete(Json.error(StatusCodes.NOT_FOUND, answer.reason()));
        case NOT_OWNER, WRONG_PROOF -> complete(Json.error(StatusCodes.FORBIDDEN, answer.reason()));
        case TOO_LATE -> complete(Json.error(StatusCodes.CONFLICT, answer.reason()));
      });
    });
  }

  private Route myPackages(User user) {
    return parameterOptional("page", page -> parameterOptional("size", size -> {
      int pageNumber = boundedInt("page", page, 0, 0, Integer.MAX_VALUE / MAX_PAGE_SIZE);
      int pageSize = boundedInt("size", size, 20, 1, MAX_PAGE_SIZE);
      CompletionStage<PackageDirectory.Page> listed =
          ask(backend.directory(), replyTo -> new PackageDirectory.ListOwned(user.id(), pageNumber, pageSize, replyTo));
      return onSuccess(listed, result -> {
        if (result.error() != null) return complete(Json.error(StatusCodes.SERVICE_UNAVAILABLE, "package lists are unavailable right now"));
        List<Map<String, Object>> items = result.items().stream().map(PackageRoutes::summary).toList();
        return complete(Json.response(StatusCodes.OK, Map.of("items", items, "page", pageNumber, "size", pageSize, "total", result.total())));
      });
    }));
  }

  private static Map<String, Object> summary(PackageDirectory.Summary s) {
    return Map.of(
        "trackingNumber", s.trackingNumber(), "shipId", s.shipId(), "status", s.status(),
        "destination", new PackageViews.Point(s.destX(), s.destY()), "updatedAt", s.updatedAt());
  }

  /**
   * A claim proves the recipient with the package's current destination. Wrong proofs are counted
   * per package and address by the login limiter, so guessing coordinates is throttled as guessing
   * passwords is; the shipment decides (it alone knows its owner, status and destination for good).
   */
  private Route claim(User user, JsonNode body, String client) {
    String trackingNumber = Json.requiredText(body, "trackingNumber").trim();
    return withShipment(trackingNumber, state -> {
      int x = claimCoordinate(body, "x");
      int y = claimCoordinate(body, "y");
      String subject = "claim:" + state.shipId();
      CompletionStage<Accounts.GuessAllowed> allowed =
          ask(backend.accounts(), replyTo -> new Accounts.Guess(subject, client, replyTo));
      return onSuccess(allowed, guess -> {
        if (guess.retryAfterSeconds() > 0) {
          return refused(StatusCodes.TOO_MANY_REQUESTS, "too many wrong claims; try again in " + guess.retryAfterSeconds() + " s",
              guess.retryAfterSeconds());
        }
        CompletionStage<Shipment.ClaimReply> reply =
            ask(backend.shipments().apply(state.shipId()), replyTo -> new Shipment.Claim(user.id(), x, y, replyTo));
        return onSuccess(reply, answer -> {
          if (answer.refusal() == Shipment.Refusal.NONE) backend.accounts().tell(new Accounts.GuessedRight(subject, client));
          return switch (answer.refusal()) {
            case NONE -> completeView(answer.shipment(), Optional.of(user));
            case UNKNOWN -> complete(Json.error(StatusCodes.NOT_FOUND, answer.reason()));
            case NOT_OWNER, TOO_LATE -> complete(Json.error(StatusCodes.CONFLICT, answer.reason()));
            // As a wrong current password is: the caller is logged in, the proof is wrong.
            case WRONG_PROOF -> complete(Json.error(StatusCodes.FORBIDDEN, answer.reason()));
          };
        });
      });
    });
  }

  /** Both coordinates are named when either is missing: the number alone no longer claims a package. */
  private static int claimCoordinate(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()
        || Math.abs(value.longValue()) > COORDINATE_LIMIT) {
      throw ApiError.badRequest("a claim needs the package's destination as \"x\" and \"y\", whole numbers from "
          + -COORDINATE_LIMIT + " to " + COORDINATE_LIMIT);
    }
    return value.intValue();
  }

  /**
   * Live updates: the current view first, then one event whenever the shipment changes or, until
   * delivery, its truck moves, as the {@link LiveUpdateHub} hands them to this stream alone
   * ({@code initial} only names the shipment: the hub fetches its state once the stream follows it). The
   * stream ends after the delivered view, or when the server stops; an empty heartbeat event keeps
   * proxies from closing it while nothing happens.
   */
  private Route events(Shipment.Summary initial, Optional<User> user, String client) {
    LiveStreamSlots.Outcome outcome = liveStreams.take(client);
    if (outcome instanceof LiveStreamSlots.Refused refused) {
      return refused(refused.status(), refused.reason(), LiveStreamSlots.RETRY_AFTER_SECONDS);
    }
    Runnable release = ((LiveStreamSlots.Slot) outcome).release();
    LiveView live = new LiveView(initial, user.map(User::id).orElse(null));
    // The slot is freed when the stream ends however it ends: completed, failed, cancelled by the
    // client, or never run (a stream nobody subscribes to is cancelled after pekko's subscription-timeout).
    Pair<ActorRef<LiveUpdateHub.Update>, Source<LiveUpdateHub.Update, NotUsed>> updates =
        ActorSource.<LiveUpdateHub.Update>actorRef(
                message -> false, message -> Optional.empty(), 256, OverflowStrategy.dropHead())
            .watchTermination((ref, done) -> {
              done.whenComplete((ok, failure) -> release.run());
              return ref;
            })
            .preMaterialize(backend.system());
    backend.liveUpdateHub().tell(new LiveUpdateHub.Follow(initial.shipId(), updates.first()));
    Source<ServerSentEvent, NotUsed> stream =
        updates.second()
            .mapAsync(1, live::next) // one at a time, in order: each view builds on the last
            .mapConcat(view -> view)
            .takeWhile(view -> !view.status().equals(Shipment.Status.DELIVERED.text), true)
            .map(view -> ServerSentEvent.create(Json.MAPPER.writeValueAsString(view)))
            .keepAlive(backend.liveHeartbeat(), ServerSentEvent::heartbeat)
            .via(backend.liveUpdates().flow());
    return completeOK(stream, EventStreamMarshalling.toEventStream());
  }

  /**
   * Folds a package's updates into views, emitting only views that differ from the last. The
   * truck's position comes with the shipment's view first, then from its moves.
   */
  private final class LiveView {
    private Shipment.Summary state;
    private final Long viewer;
    private String last = "";

    LiveView(Shipment.Summary state, Long viewer) {
      this.state = state;
      this.viewer = viewer;
    }

    CompletionStage<List<PackageViews.PackageView>> next(LiveUpdateHub.Update update) {
      if (update instanceof LiveUpdateHub.ShipmentUpdate changed) {
        state = changed.shipment();
        return PackageViews.of(backend, state, viewer).thenApply(this::emitIfChanged);
      }
      LiveUpdateHub.TruckMoved moved = (LiveUpdateHub.TruckMoved) update;
      if (!PackageViews.hasTruckToFollow(state) || moved.truckId() != state.truckId()) return completed(List.of());
      return completed(emitIfChanged(PackageViews.view(state, moved.position(), viewer)));
    }

    private List<PackageViews.PackageView> emitIfChanged(PackageViews.PackageView view) {
      String json;
      try {
        json = Json.MAPPER.writeValueAsString(view);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      if (json.equals(last)) return List.of();
      last = json;
      return List.of(view);
    }
  }

  private static int boundedInt(String name, Optional<String> text, int fallback, int min, int max) {
    if (text.isEmpty()) return fallback;
    try {
      int value = Integer.parseInt(text.get());
      if (value >= min && value <= max) return value;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiError.badRequest("\"" + name + "\" must be a whole number from " + min + " to " + max);
  }

  /** At most 40 characters, never cutting an emoji (or any surrogate pair) in half. */
  private static String abbreviate(String text) {
    return text.codePointCount(0, text.length()) <= 40 ? text : text.substring(0, text.offsetByCodePoints(0, 40)) + "…";
  }
}
