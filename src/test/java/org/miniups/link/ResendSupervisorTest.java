package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.world.WorldCommand;

/** The outbox on the in-memory journal, with manual time: resends happen when time is moved on. */
class ResendSupervisorTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(ManualTime.config().withFallback(TestConfigs.inMemory()));
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final Duration RESEND = Duration.ofSeconds(4);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final ActorRef<SequenceAllocator.Command> allocator =
      testKit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId("alloc-" + UUID.randomUUID())));
  private final PersistenceId outboxId = PersistenceId.ofUniqueId("outbox-" + UUID.randomUUID());

  private ActorRef<ResendSupervisor.Command> outbox(int blockSize) {
    return testKit.spawn(ResendSupervisor.create(outboxId, allocator, RESEND, blockSize));
  }

  private static ResendSupervisor.Origin truck(int id, long effect) {
    return new ResendSupervisor.Origin("Truck", String.valueOf(id), effect);
  }

  private static List<Long> seqnums(ResendSupervisor.Transmit transmit) {
    return transmit.items().stream().map(ResendSupervisor.Item::seqnum).toList();
  }

  private ResendSupervisor.StoredThrough store(
      ActorRef<ResendSupervisor.Command> outbox, ResendSupervisor.Origin first, WorldCommand... messages) {
    TestProbe<ResendSupervisor.StoredThrough> stored = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.Store(first, List.of(messages), stored.getRef()));
    return stored.receiveMessage();
  }

  private ResendSupervisor.Status status(ActorRef<ResendSupervisor.Command> outbox) {
    TestProbe<ResendSupervisor.Status> status = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.GetStatus(status.getRef()));
    return status.receiveMessage();
  }

  @Test
  void storesSendsAndResendsUntilAcked() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));

    assertEquals(new ResendSupervisor.StoredThrough("Truck", "1", 1), store(outbox, truck(1, 1), new WorldCommand.GoPickup(1, 2)));
    ResendSupervisor.Transmit first = link.receiveMessage();
    long seqnum = first.items().get(0).seqnum();
    assertEquals(new WorldCommand.GoPickup(1, 2), first.items().get(0).message());

    // Not acked: sent again once an interval has passed, with the same seqnum.
    time.timePasses(RESEND.dividedBy(2));
    link.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(RESEND);
    assertEquals(List.of(seqnum), seqnums(link.receiveMessage()));

    outbox.tell(new ResendSupervisor.Acked(List.of(seqnum)));
    assertEquals(0, status(outbox).unacked());
    time.timePasses(RESEND.multipliedBy(3));
    link.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aFailedWriteForgetsUnrecordedAcksSoCountsStayTrueAndResendsGoOn() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));
    store(outbox, truck(1, 1), new WorldCommand.GoPickup(1, 2), new WorldCommand.GoPickup(3, 4));
    List<Long> sent = seqnums(link.receiveMessage());
    outbox.tell(new ResendSupervisor.Acked(List.of(sent.get(0))));

    // The write that would record the ack fails (the database went away): no answer to it.
    journal.failNextPersisted();
    TestProbe<ResendSupervisor.StoredThrough> unanswered = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.Store(truck(2, 1), List.of(new WorldCommand.Query(2)), unanswered.getRef()));
    // Restarted (once time passes its backoff) and recovered from what was written: the unrecorded
    // ack is forgotten, so both items are unacked and sent again on the link it still knows.
    TestProbe<ResendSupervisor.Status> statusProbe = testKit.createTestProbe();
    ResendSupervisor.Status afresh =
        statusProbe.awaitAssert(Duration.ofSeconds(10), () -> {
          time.timePasses(Duration.ofMillis(500));
          outbox.tell(new ResendSupervisor.GetStatus(statusProbe.getRef()));
          return statusProbe.receiveMessage(Duration.ofMillis(200));
        });
    assertEquals(2, afresh.unacked());
    unanswered.expectNoMessage(Duration.ZERO);
    time.timePasses(RESEND.multipliedBy(2));
    link.fishForMessage(
        Duration.ofSeconds(3),
        transmit -> seqnums(transmit).equals(sent) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    outbox.tell(new ResendSupervisor.Acked(sent));
    assertEquals(0, status(outbox).unacked());
    assertEquals(new ResendSupervisor.StoredThrough("Truck", "2", 1), store(outbox, truck(2, 1), new WorldCommand.Query(2)));
  }

  @Test
  void anEntitysEffectsAreStoredOnceInOrderWithoutGaps() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    store(outbox, truck(1, 1), new WorldCommand.GoPickup(1, 2), new WorldCommand.Query(1));
    // Sent again (a restart of the entity): recognised by number, nothing new.
    assertEquals(2, store(outbox, truck(1, 1), new WorldCommand.GoPickup(1, 2), new WorldCommand.Query(1)).effectId());
    // Effect 4 before 3: refused, the answer says how far the channel is.
    assertEquals(2, store(outbox, truck(1, 4), new WorldCommand.Query(1)).effectId());
    // Overlapping: only 3 and 4 are new.
    assertEquals(4, store(outbox, truck(1, 2), new WorldCommand.Query(1), new WorldCommand.Query(2), new WorldCommand.Query(3)).effectId());
    // Another truck's channel counts on its own.
    assertEquals(1, store(outbox, truck(2, 1), new WorldCommand.Query(9)).effectId());
    assertEquals(5, status(outbox).unacked());

    testKit.stop(outbox);
    ActorRef<ResendSupervisor.Command> restarted = outbox(10);
    assertEquals(4, store(restarted, truck(1, 1), new WorldCommand.GoPickup(1, 2)).effectId(), "remembered after a restart");
    assertEquals(5, status(restarted).unacked());
  }

  @Test
  void anAnswerIsStoredOnceUnderItsKey() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    TestProbe<ResendSupervisor.AnswerStored> stored = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.StoreAnswer("status/9", new WorldCommand.Query(1), stored.getRef()));
    long seqnum = stored.receiveMessage().seqnum();
    outbox.tell(new ResendSupervisor.Acked(List.of(seqnum)));
    outbox.tell(new ResendSupervisor.StoreAnswer("status/9", new WorldCommand.Query(1), stored.getRef()));
    assertEquals(new ResendSupervisor.AnswerStored("status/9", seqnum), stored.receiveMessage(), "an acked key is remembered");
    assertEquals(0, status(outbox).unacked());
  }

  @Test
  void aBurstOfStoresCostsFarFewerWritesThanStores() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(1000);
    TestProbe<ResendSupervisor.StoredThrough> stored = testKit.createTestProbe();
    int burst = 300;
    for (int truckId = 1; truckId <= burst; truckId++) {
      outbox.tell(new ResendSupervisor.Store(truck(truckId, 1), List.of(new WorldCommand.GoPickup(truckId, 1)), stored.getRef()));
    }
    stored.receiveSeveralMessages(burst);
    int writes = journal.persistedInStorage(outboxId.id()).size();
    assertTrue(writes <= burst / 10, burst + " stores took " + writes + " writes");
    assertEquals(burst, status(outbox).unacked());
  }

  @Test
  void acksAreRecordedLateInOneWriteAndSurviveARestart() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    store(outbox, truck(1, 1), new WorldCommand.GoPickup(3, 4), new WorldCommand.GoPickup(5, 6));
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));
    List<Long> sent = seqnums(link.receiveMessage());
    int writesBefore = journal.persistedInStorage(outboxId.id()).size();
    outbox.tell(new ResendSupervisor.Acked(List.of(sent.get(1))));
    assertEquals(1, status(outbox).unacked(), "acked at once in memory");
    assertEquals(writesBefore, journal.persistedInStorage(outboxId.id()).size(), "not written yet");
    time.timePasses(RESEND);
    link.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(writesBefore + 1, journal.persistedInStorage(outboxId.id()).size());
      return null;
    });
    testKit.stop(outbox);

    ActorRef<ResendSupervisor.Command> restarted = outbox(10);
    TestProbe<ResendSupervisor.Transmit> newLink = testKit.createTestProbe();
    restarted.tell(new ResendSupervisor.LinkUp(newLink.getRef()));
    ResendSupervisor.Transmit transmit = newLink.receiveMessage();
    assertEquals(List.of(sent.get(0)), seqnums(transmit));
    assertEquals(new WorldCommand.GoPickup(3, 4), transmit.items().get(0).message());
  }

  @Test
  void seqnumsAreUniqueAcrossBlocksAndRestartsAndFollowTheOrderOfStoring() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(3);
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));
    for (int i = 1; i <= 7; i++) store(outbox, truck(1, i), new WorldCommand.Query(i)); // several blocks
    testKit.stop(outbox);
    ActorRef<ResendSupervisor.Command> restarted = outbox(3);
    for (int i = 8; i <= 10; i++) store(restarted, truck(1, i), new WorldCommand.Query(i));
    TestProbe<ResendSupervisor.Transmit> newLink = testKit.createTestProbe();
    restarted.tell(new ResendSupervisor.LinkUp(newLink.getRef()));
    List<ResendSupervisor.Item> items = newLink.receiveMessage().items();
    assertEquals(10, items.size());
    Set<Long> unique = new HashSet<>(items.stream().map(ResendSupervisor.Item::seqnum).toList());
    assertEquals(10, unique.size());
    List<Integer> queried = new ArrayList<>();
    for (ResendSupervisor.Item item : items) queried.add(((WorldCommand.Query) item.message()).truckId());
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), queried, "re-sent in seqnum order, which is the order stored");
  }

  @Test
  void volatileItemsReplaceEachOtherAndAreNotPersisted() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));
    outbox.tell(new ResendSupervisor.SendVolatile("query-1", new WorldCommand.Query(1)));
    outbox.tell(new ResendSupervisor.SendVolatile("query-1", new WorldCommand.Query(1)));
    long replaced = seqnums(link.receiveMessage()).get(0);
    long current = seqnums(link.receiveMessage()).get(0);
    time.timePasses(RESEND.plus(RESEND));
    assertEquals(List.of(current), seqnums(link.receiveMessage()), "only the query that replaced the first");
    assertTrue(replaced < current);
    assertEquals(0, journal.persistedInStorage(outboxId.id()).size(), "nothing written");
  }

  @Test
  void remembersWhoSentAnAckedSeqnum() {
    ActorRef<ResendSupervisor.Command> outbox = outbox(10);
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));
    store(outbox, truck(7, 1), new WorldCommand.GoPickup(7, 1));
    long seqnum = seqnums(link.receiveMessage()).get(0);
    outbox.tell(new ResendSupervisor.Acked(List.of(seqnum)));
    TestProbe<ResendSupervisor.Sender> sender = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.WhoSent(seqnum, sender.getRef()));
    assertEquals(Optional.of(truck(7, 1)), sender.receiveMessage().origin());
    outbox.tell(new ResendSupervisor.WhoSent(seqnum + 1000, sender.getRef()));
    assertEquals(Optional.empty(), sender.receiveMessage().origin());
  }
}
