package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.world.WorldCommand;

class ResendSupervisorTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final Duration RESEND = Duration.ofMillis(200);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final ActorRef<SequenceAllocator.Command> allocator =
      testKit.spawn(SequenceAllocator.create(PersistenceId.ofUniqueId("alloc-" + UUID.randomUUID())));
  private final PersistenceId outboxId = PersistenceId.ofUniqueId("outbox-" + UUID.randomUUID());

  private ActorRef<ResendSupervisor.Command> outbox() {
    return testKit.spawn(ResendSupervisor.create(outboxId, allocator, RESEND, 3));
  }

  private static List<Long> seqnums(ResendSupervisor.Transmit transmit) {
    return transmit.items().stream().map(ResendSupervisor.Item::seqnum).toList();
  }

  @Test
  void storesSendsAndResendsUntilAcked() {
    ActorRef<ResendSupervisor.Command> outbox = outbox();
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    TestProbe<ResendSupervisor.Stored> stored = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));

    outbox.tell(new ResendSupervisor.Store("a", new WorldCommand.GoPickup(1, 2), stored.getRef()));
    long seqnum = stored.receiveMessage().seqnum();
    ResendSupervisor.Transmit first = link.receiveMessage();
    assertEquals(List.of(seqnum), seqnums(first));
    assertEquals(new WorldCommand.GoPickup(1, 2), first.items().get(0).message());

    // Not acked: sent again, and again, with the same seqnum.
    assertEquals(List.of(seqnum), seqnums(link.receiveMessage(RESEND.multipliedBy(5))));
    assertEquals(List.of(seqnum), seqnums(link.receiveMessage(RESEND.multipliedBy(5))));

    outbox.tell(new ResendSupervisor.Acked(List.of(seqnum)));
    TestProbe<ResendSupervisor.Status> status = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.GetStatus(status.getRef()));
    assertEquals(0, status.receiveMessage().unacked());
    link.expectNoMessage(RESEND.multipliedBy(3));
  }

  @Test
  void storingTheSameKeyAgainKeepsItsSeqnumAndSendsNothingNew() {
    ActorRef<ResendSupervisor.Command> outbox = outbox();
    TestProbe<ResendSupervisor.Stored> stored = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.Store("truck-1/1", new WorldCommand.GoPickup(1, 2), stored.getRef()));
    long seqnum = stored.receiveMessage().seqnum();
    outbox.tell(new ResendSupervisor.Acked(List.of(seqnum)));
    outbox.tell(new ResendSupervisor.Store("truck-1/1", new WorldCommand.GoPickup(1, 2), stored.getRef()));
    assertEquals(seqnum, stored.receiveMessage().seqnum(), "an acked key is remembered");

    TestProbe<ResendSupervisor.Status> status = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.GetStatus(status.getRef()));
    assertEquals(0, status.receiveMessage().unacked());
  }

  @Test
  void seqnumsAreUniqueAcrossBlocksAndRestarts() {
    ActorRef<ResendSupervisor.Command> outbox = outbox();
    TestProbe<ResendSupervisor.Stored> stored = testKit.createTestProbe();
    java.util.Set<Long> seen = new java.util.HashSet<>();
    for (int i = 0; i < 7; i++) { // block size 3: several blocks
      outbox.tell(new ResendSupervisor.Store("k" + i, new WorldCommand.Query(i), stored.getRef()));
      assertTrue(seen.add(stored.receiveMessage().seqnum()));
    }
    testKit.stop(outbox);
    ActorRef<ResendSupervisor.Command> restarted = outbox();
    for (int i = 7; i < 10; i++) {
      restarted.tell(new ResendSupervisor.Store("k" + i, new WorldCommand.Query(i), stored.getRef()));
      assertTrue(seen.add(stored.receiveMessage().seqnum()));
    }
  }

  @Test
  void pendingItemsSurviveARestartAndAreSentWhenTheLinkComesUp() {
    ActorRef<ResendSupervisor.Command> outbox = outbox();
    TestProbe<ResendSupervisor.Stored> stored = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.Store("x", new WorldCommand.GoPickup(3, 4), stored.getRef()));
    long unacked = stored.receiveMessage().seqnum();
    outbox.tell(new ResendSupervisor.Store("y", new WorldCommand.GoPickup(5, 6), stored.getRef()));
    long acked = stored.receiveMessage().seqnum();
    outbox.tell(new ResendSupervisor.Acked(List.of(acked)));
    TestProbe<ResendSupervisor.Status> status = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.GetStatus(status.getRef()));
    assertEquals(1, status.receiveMessage().unacked(), "the ack is persisted");
    testKit.stop(outbox);

    ActorRef<ResendSupervisor.Command> restarted = outbox();
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    restarted.tell(new ResendSupervisor.LinkUp(link.getRef()));
    ResendSupervisor.Transmit transmit = link.receiveMessage();
    assertEquals(List.of(unacked), seqnums(transmit));
    assertEquals(new WorldCommand.GoPickup(3, 4), transmit.items().get(0).message());
  }

  @Test
  void volatileItemsReplaceEachOtherAndAreNotPersisted() {
    ActorRef<ResendSupervisor.Command> outbox = outbox();
    TestProbe<ResendSupervisor.Transmit> link = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.LinkUp(link.getRef()));
    outbox.tell(new ResendSupervisor.SendVolatile("query-1", new WorldCommand.Query(1)));
    outbox.tell(new ResendSupervisor.SendVolatile("query-1", new WorldCommand.Query(1)));
    long replaced = seqnums(link.receiveMessage()).get(0);
    long current = seqnums(link.receiveMessage()).get(0);

    TestProbe<ResendSupervisor.Sender> sender = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.WhoSent(current, sender.getRef()));
    assertEquals(Optional.of("query-1"), sender.receiveMessage().key());
    outbox.tell(new ResendSupervisor.WhoSent(replaced, sender.getRef()));
    assertEquals(Optional.empty(), sender.receiveMessage().key());
    // Only the query that replaced the first one is re-sent.
    assertEquals(List.of(current), seqnums(link.receiveMessage(RESEND.multipliedBy(5))));

    testKit.stop(outbox);
    ActorRef<ResendSupervisor.Command> restarted = outbox();
    TestProbe<ResendSupervisor.Status> status = testKit.createTestProbe();
    restarted.tell(new ResendSupervisor.GetStatus(status.getRef()));
    ResendSupervisor.Status afterRestart = status.receiveMessage();
    assertEquals(0, afterRestart.unacked());
    assertEquals(0, afterRestart.unackedVolatile());
  }

  @Test
  void remembersWhoSentAnAckedSeqnum() {
    ActorRef<ResendSupervisor.Command> outbox = outbox();
    TestProbe<ResendSupervisor.Stored> stored = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.Store("truck-7/3", new WorldCommand.GoPickup(7, 1), stored.getRef()));
    long seqnum = stored.receiveMessage().seqnum();
    outbox.tell(new ResendSupervisor.Acked(List.of(seqnum)));
    TestProbe<ResendSupervisor.Sender> sender = testKit.createTestProbe();
    outbox.tell(new ResendSupervisor.WhoSent(seqnum, sender.getRef()));
    assertEquals(Optional.of("truck-7/3"), sender.receiveMessage().key());
    outbox.tell(new ResendSupervisor.WhoSent(seqnum + 1000, sender.getRef()));
    assertNotEquals(Optional.of("truck-7/3"), sender.receiveMessage().key());
  }
}
