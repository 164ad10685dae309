package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;

class SequenceAllocatorTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void blocksNeverOverlapAlsoAcrossARestart() {
    PersistenceId id = PersistenceId.ofUniqueId("allocator-" + UUID.randomUUID());
    TestProbe<SequenceAllocator.Block> probe = testKit.createTestProbe();
    Set<Long> issued = new HashSet<>();

    ActorRef<SequenceAllocator.Command> allocator = testKit.spawn(SequenceAllocator.create(id));
    for (int i = 0; i < 5; i++) {
      allocator.tell(new SequenceAllocator.Allocate(10, probe.getRef()));
      collect(probe.receiveMessage(), issued);
    }
    testKit.stop(allocator);

    ActorRef<SequenceAllocator.Command> restarted = testKit.spawn(SequenceAllocator.create(id));
    restarted.tell(new SequenceAllocator.Allocate(10, probe.getRef()));
    SequenceAllocator.Block afterRestart = probe.receiveMessage();
    assertEquals(51, afterRestart.first(), "continues above everything issued before");
    collect(afterRestart, issued);
    assertEquals(60, issued.size());
  }

  private static void collect(SequenceAllocator.Block block, Set<Long> issued) {
    for (long n = block.first(); n < block.end(); n++) {
      assertTrue(issued.add(n), "seqnum " + n + " issued twice");
      assertTrue(n > 0);
    }
  }
}
