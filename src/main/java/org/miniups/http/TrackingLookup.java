package org.miniups.http;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.miniups.shipment.KnownTrackingNumbers;
import org.miniups.shipment.PackageDirectory;

/**
 * Which shipment a tracking number names: from this node's memory when it has seen the number,
 * else from the directory (one query), remembered when found. A number not found is asked again
 * next time, since it may be registered a moment later.
 */
final class TrackingLookup {
  private final KnownTrackingNumbers known;
  private final ActorRef<PackageDirectory.Command> directory;
  private final Duration timeout;
  private final Scheduler scheduler;

  TrackingLookup(
      KnownTrackingNumbers known, ActorRef<PackageDirectory.Command> directory, Duration timeout, Scheduler scheduler) {
    this.known = known;
    this.directory = directory;
    this.timeout = timeout;
    this.scheduler = scheduler;
  }

  /** Empty when no shipment has the number; fails with a 503 {@link ApiError} when the directory cannot answer. */
  CompletionStage<Optional<Long>> shipId(String trackingNumber) {
    Optional<Long> remembered = known.shipId(trackingNumber);
    if (remembered.isPresent()) return CompletableFuture.completedFuture(remembered);
    return AskPattern.<PackageDirectory.Command, PackageDirectory.Found>ask(
            directory, replyTo -> new PackageDirectory.FindByTracking(trackingNumber, replyTo), timeout, scheduler)
        .thenApply(found -> {
          if (found.error() != null) {
            throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "package lookups are unavailable right now");
          }
          if (found.shipId() == null) return Optional.empty();
          known.remember(trackingNumber, found.shipId());
          return Optional.of(found.shipId());
        });
  }
}
