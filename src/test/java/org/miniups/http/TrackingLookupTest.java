package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.shipment.KnownTrackingNumbers;
import org.miniups.shipment.PackageDirectory;

/**
 * Tracking numbers resolve through the directory once and from memory after that; a number the
 * directory does not know is asked again, since its shipment may be registered a moment later.
 * "Not asked" is proven by order: a marker told to the directory afterwards is the next thing it
 * receives.
 */
class TrackingLookupTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final String NUMBER = "1Z0000000000000042";

  private TestProbe<PackageDirectory.Command> directory;
  private TrackingLookup lookup;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    directory = testKit.createTestProbe();
    lookup = new TrackingLookup(new KnownTrackingNumbers(100), directory.getRef(), Duration.ofSeconds(5), testKit.scheduler());
  }

  @Test
  void aKnownNumberIsResolvedOnceThenFromMemory() throws Exception {
    CompletionStage<Optional<Long>> first = lookup.shipId(NUMBER);
    answer(42L);
    assertEquals(Optional.of(42L), get(first));

    assertEquals(Optional.of(42L), get(lookup.shipId(NUMBER)));
    assertNotAsked();
  }

  @Test
  void anUnknownNumberIsAskedAgainAndFoundOnceItExists() throws Exception {
    CompletionStage<Optional<Long>> before = lookup.shipId(NUMBER);
    answer(null);
    assertEquals(Optional.empty(), get(before));

    CompletionStage<Optional<Long>> after = lookup.shipId(NUMBER);
    answer(42L);
    assertEquals(Optional.of(42L), get(after));
  }

  @Test
  void aDirectoryThatCannotAnswerIsA503AndNothingIsRemembered() throws Exception {
    CompletionStage<Optional<Long>> failing = lookup.shipId(NUMBER);
    directory.expectMessageClass(PackageDirectory.FindByTracking.class).replyTo().tell(new PackageDirectory.Found(null, "database away"));
    Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> get(failing));
    ApiError error = (ApiError) failure.getCause();
    assertEquals(503, error.status().intValue());

    CompletionStage<Optional<Long>> retried = lookup.shipId(NUMBER);
    answer(42L);
    assertEquals(Optional.of(42L), get(retried));
  }

  private void answer(Long shipId) {
    PackageDirectory.FindByTracking asked = directory.expectMessageClass(PackageDirectory.FindByTracking.class);
    assertEquals(NUMBER, asked.trackingNumber());
    asked.replyTo().tell(new PackageDirectory.Found(shipId, null));
  }

  private void assertNotAsked() {
    PackageDirectory.CountByStatus marker = new PackageDirectory.CountByStatus(testKit.system().ignoreRef());
    directory.getRef().tell(marker);
    assertEquals(marker, directory.receiveMessage());
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
