package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.world.WorldEvent;

/** The inbox on the in-memory journal, with manual time for its retries and late marks. */
class InboundDedupTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(ManualTime.config().withFallback(TestConfigs.inMemory()));
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final PersistenceId id = PersistenceId.ofUniqueId("inbox-" + UUID.randomUUID());
  private final Map<PeerMessage, AtomicInteger> handled = new ConcurrentHashMap<>();
  private final TestProbe<InboundDedup.Ack> acks = testKit.createTestProbe();

  private ActorRef<InboundDedup.Command> inbox(int capacity, InboundDedup.Handler handler) {
    return testKit.spawn(InboundDedup.create(id, "test peer", capacity, handler));
  }

  private ActorRef<InboundDedup.Command> countingInbox() {
    return inbox(1000, this::count);
  }

  private CompletableFuture<Done> count(long seqnum, PeerMessage message) {
    handled.computeIfAbsent(message, m -> new AtomicInteger()).incrementAndGet();
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  private int timesHandled(PeerMessage message) {
    AtomicInteger times = handled.get(message);
    return times == null ? 0 : times.get();
  }

  private void deliver(ActorRef<InboundDedup.Command> inbox, long seqnum, PeerMessage message) {
    inbox.tell(new InboundDedup.Deliver(seqnum, message, acks.getRef()));
  }

  private InboundDedup.Stats stats(ActorRef<InboundDedup.Command> inbox) {
    TestProbe<InboundDedup.Stats> stats = testKit.createTestProbe();
    inbox.tell(new InboundDedup.GetStats(stats.getRef()));
    return stats.receiveMessage();
  }

  private void awaitHandled(PeerMessage message, int times) {
    acks.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(times, timesHandled(message));
      return null;
    });
  }

  @Test
  void anItemIsAckedOnceWrittenEvenBeforeItsHandlingFinishes() {
    CompletableFuture<Done> handling = new CompletableFuture<>();
    ActorRef<InboundDedup.Command> inbox = inbox(1000, (seqnum, message) -> handling);
    deliver(inbox, 7, new WorldEvent.PackageDelivered(1, 9));
    assertEquals(new InboundDedup.Ack(7), acks.receiveMessage());
    assertEquals(1, stats(inbox).unfinished());
    handling.complete(Done.getInstance());
    acks.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(0, stats(inbox).unfinished());
      return null;
    });
  }

  @Test
  void duplicatesAreAckedButHandledOnceAlsoAfterARestart() {
    ActorRef<InboundDedup.Command> inbox = countingInbox();
    WorldEvent arrived = new WorldEvent.Finished(1, 3, 4, "arrive warehouse");
    for (int i = 0; i < 3; i++) {
      deliver(inbox, 42, arrived);
      assertEquals(42, acks.receiveMessage().seqnum());
    }
    awaitHandled(arrived, 1);
    time.timePasses(Duration.ofSeconds(2)); // the finished mark is written
    acks.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(2, journal.persistedInStorage(id.id()).size());
      return null;
    });
    testKit.stop(inbox);

    ActorRef<InboundDedup.Command> restarted = countingInbox();
    deliver(restarted, 42, arrived);
    assertEquals(42, acks.receiveMessage().seqnum());
    assertEquals(1, stats(restarted).duplicates());
    acks.expectNoMessage(Duration.ofMillis(100));
    assertEquals(1, timesHandled(arrived));
  }

  @Test
  void anItemWrittenButNotFinishedIsHandledAfterARestart() {
    ActorRef<InboundDedup.Command> stuck = inbox(1000, (seqnum, message) -> new CompletableFuture<>());
    WorldEvent delivered = new WorldEvent.PackageDelivered(2, 5);
    deliver(stuck, 8, delivered);
    assertEquals(8, acks.receiveMessage().seqnum());
    testKit.stop(stuck);

    countingInbox();
    awaitHandled(delivered, 1);
  }

  @Test
  void aFailedItemIsTriedAgainAfterAPause() {
    AtomicInteger attempts = new AtomicInteger();
    WorldEvent delivered = new WorldEvent.PackageDelivered(2, 6);
    ActorRef<InboundDedup.Command> inbox =
        inbox(
            1000,
            (seqnum, message) ->
                attempts.incrementAndGet() == 1
                    ? CompletableFuture.failedFuture(new IllegalStateException("database down"))
                    : count(seqnum, message));
    deliver(inbox, 9, delivered);
    assertEquals(9, acks.receiveMessage().seqnum());
    acks.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(1, stats(inbox).failures());
      return null;
    });
    assertEquals(0, timesHandled(delivered));
    time.timePasses(Duration.ofMillis(500));
    awaitHandled(delivered, 1);
  }

  @Test
  void aBurstOfItemsIsWrittenInFewWritesAndEveryOneIsAcked() {
    ActorRef<InboundDedup.Command> inbox = countingInbox();
    int burst = 300;
    for (long seqnum = 1; seqnum <= burst; seqnum++) deliver(inbox, seqnum, new WorldEvent.PackageDelivered(1, seqnum));
    assertEquals(burst, acks.receiveSeveralMessages(burst).stream().distinct().count());
    int writes = journal.persistedInStorage(id.id()).size();
    assertTrue(writes <= burst / 10, burst + " items took " + writes + " writes");
  }

  @Test
  void aPositionReportIsHandledWithoutAnyWriteAndAckedOnceHandled() {
    CompletableFuture<Done> handling = new CompletableFuture<>();
    InboundDedup.Handler views =
        new InboundDedup.Handler() {
          @Override
          public CompletionStage<?> handle(long seqnum, PeerMessage message) {
            return handling;
          }

          @Override
          public boolean needsRecord(PeerMessage message) {
            return false;
          }
        };
    ActorRef<InboundDedup.Command> inbox = inbox(1000, views);
    deliver(inbox, 5, new WorldEvent.TruckReport(1, "idle", 0, 0));
    acks.expectNoMessage(Duration.ofMillis(100));
    handling.complete(Done.getInstance());
    assertEquals(5, acks.receiveMessage().seqnum());
    assertEquals(List.of(), journal.persistedInStorage(id.id()));
  }

  @Test
  void aLaneFullOfSlowItemsDoesNotHoldUpAnotherLane() {
    InboundDedup.Handler lanes =
        new InboundDedup.Handler() {
          @Override
          public CompletionStage<?> handle(long seqnum, PeerMessage message) {
            // Deliveries never finish; arrivals do.
            return message instanceof WorldEvent.PackageDelivered ? new CompletableFuture<>() : count(seqnum, message);
          }

          @Override
          public String lane(PeerMessage message) {
            return message.getClass().getSimpleName();
          }
        };
    ActorRef<InboundDedup.Command> inbox = inbox(1000, lanes);
    for (long seqnum = 1; seqnum <= 300; seqnum++) deliver(inbox, seqnum, new WorldEvent.PackageDelivered(1, seqnum));
    WorldEvent arrived = new WorldEvent.Finished(1, 3, 4, "arrive warehouse");
    deliver(inbox, 301, arrived);
    acks.receiveSeveralMessages(301);
    awaitHandled(arrived, 1);
  }

  @Test
  void memoryIsBoundedByForgettingTheOldestSeqnums() {
    ActorRef<InboundDedup.Command> inbox = inbox(3, this::count);
    for (long seqnum = 1; seqnum <= 5; seqnum++) {
      deliver(inbox, seqnum, new WorldEvent.PackageDelivered(1, seqnum));
      acks.receiveMessage();
    }
    awaitHandled(new WorldEvent.PackageDelivered(1, 1), 1);
    // 5 is remembered, 1 was forgotten (and is handled again: handlers are idempotent).
    deliver(inbox, 5, new WorldEvent.PackageDelivered(1, 5));
    deliver(inbox, 1, new WorldEvent.PackageDelivered(1, 1));
    acks.receiveSeveralMessages(2);
    awaitHandled(new WorldEvent.PackageDelivered(1, 1), 2);
    assertEquals(1, timesHandled(new WorldEvent.PackageDelivered(1, 5)));
  }
}
