package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.world.WorldEvent;

class InboundDedupTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final PersistenceId id = PersistenceId.ofUniqueId("inbox-" + UUID.randomUUID());
  private final Map<PeerMessage, AtomicInteger> handled = new ConcurrentHashMap<>();

  private ActorRef<InboundDedup.Command> inbox(int capacity, InboundDedup.Handler handler) {
    return testKit.spawn(InboundDedup.create(id, "test peer", capacity, handler));
  }

  private CompletableFuture<Done> count(PeerMessage message) {
    handled.computeIfAbsent(message, m -> new AtomicInteger()).incrementAndGet();
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Test
  void duplicateSeqnumsAreAckedButHandledOnceAlsoAfterARestart() {
    ActorRef<InboundDedup.Command> inbox = inbox(1000, (seqnum, message) -> count(message));
    TestProbe<InboundDedup.Ack> acks = testKit.createTestProbe();
    WorldEvent arrived = new WorldEvent.Finished(1, 3, 4, "arrive warehouse");
    for (int i = 0; i < 3; i++) {
      inbox.tell(new InboundDedup.Deliver(42, arrived, acks.getRef()));
      assertEquals(42, acks.receiveMessage().seqnum());
    }
    testKit.stop(inbox);

    ActorRef<InboundDedup.Command> restarted = inbox(1000, (seqnum, message) -> count(message));
    restarted.tell(new InboundDedup.Deliver(42, arrived, acks.getRef()));
    assertEquals(42, acks.receiveMessage().seqnum());
    assertEquals(1, handled.get(arrived).get());

    TestProbe<InboundDedup.Stats> stats = testKit.createTestProbe();
    restarted.tell(new InboundDedup.GetStats(stats.getRef()));
    assertEquals(1, stats.receiveMessage().duplicates());
  }

  @Test
  void acksOnlyAfterTheHandlerFinished() {
    CompletableFuture<Done> handling = new CompletableFuture<>();
    ActorRef<InboundDedup.Command> inbox = inbox(1000, (seqnum, message) -> handling);
    TestProbe<InboundDedup.Ack> acks = testKit.createTestProbe();
    inbox.tell(new InboundDedup.Deliver(7, new WorldEvent.PackageDelivered(1, 9), acks.getRef()));
    // The peer re-sends while we are still handling the first copy: no second handling, no ack yet.
    inbox.tell(new InboundDedup.Deliver(7, new WorldEvent.PackageDelivered(1, 9), acks.getRef()));
    acks.expectNoMessage(Duration.ofMillis(300));
    handling.complete(Done.getInstance());
    assertEquals(7, acks.receiveMessage().seqnum());
    acks.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aFailedHandlerLeavesTheItemUnackedSoTheResendIsHandled() {
    AtomicBoolean failNext = new AtomicBoolean(true);
    ActorRef<InboundDedup.Command> inbox =
        inbox(
            1000,
            (seqnum, message) ->
                failNext.getAndSet(false)
                    ? CompletableFuture.failedFuture(new IllegalStateException("database down"))
                    : count(message));
    TestProbe<InboundDedup.Ack> acks = testKit.createTestProbe();
    WorldEvent delivered = new WorldEvent.PackageDelivered(2, 5);
    inbox.tell(new InboundDedup.Deliver(8, delivered, acks.getRef()));
    acks.expectNoMessage(Duration.ofMillis(300));
    inbox.tell(new InboundDedup.Deliver(8, delivered, acks.getRef()));
    assertEquals(8, acks.receiveMessage().seqnum());
    assertEquals(1, handled.get(delivered).get());
  }

  @Test
  void memoryIsBoundedByForgettingTheOldestSeqnums() {
    ActorRef<InboundDedup.Command> inbox = inbox(3, (seqnum, message) -> count(message));
    TestProbe<InboundDedup.Ack> acks = testKit.createTestProbe();
    for (long seqnum = 1; seqnum <= 5; seqnum++) {
      inbox.tell(new InboundDedup.Deliver(seqnum, new WorldEvent.PackageDelivered(1, seqnum), acks.getRef()));
      acks.receiveMessage();
    }
    // 5 is remembered, 1 was forgotten (and is handled again: handlers are idempotent).
    inbox.tell(new InboundDedup.Deliver(5, new WorldEvent.PackageDelivered(1, 5), acks.getRef()));
    inbox.tell(new InboundDedup.Deliver(1, new WorldEvent.PackageDelivered(1, 1), acks.getRef()));
    acks.receiveSeveralMessages(2);
    assertEquals(1, handled.get(new WorldEvent.PackageDelivered(1, 5)).get());
    assertEquals(2, handled.get(new WorldEvent.PackageDelivered(1, 1)).get());
  }
}
