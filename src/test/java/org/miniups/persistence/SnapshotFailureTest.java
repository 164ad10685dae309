package org.miniups.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;

/**
 * A snapshot the database refused (it was away) is one WARN line, not Pekko's ERROR with a stack
 * trace: the events are written, and the resilience suite rejects ERROR lines during an outage.
 * Every entity that snapshots (trucks, the dispatcher, the outboxes, the inboxes) handles the
 * signal with {@link JournalFailures#snapshotFailed}, as this counter does.
 */
class SnapshotFailureTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          PersistenceTestKitPlugin.getInstance().config()
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(TestConfigs.inMemory()));
  private static final SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  record Add(ActorRef<Integer> replyTo) {}

  /** Counts, and snapshots after every event. */
  static final class Counter extends EventSourcedBehavior<Add, Integer, Integer> {
    private final org.slf4j.Logger log;

    Counter(PersistenceId id, org.slf4j.Logger log) {
      super(id);
      this.log = log;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(1, 1);
    }

    @Override
    public SignalHandler<Integer> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(SnapshotFailed.class, (state, failed) -> JournalFailures.snapshotFailed(log, failed))
          .build();
    }

    @Override
    public CommandHandler<Add, Integer, Integer> commandHandler() {
      return newCommandHandlerBuilder().forAnyState().onCommand(Add.class, (state, add) ->
          Effect().persist(1).thenRun(after -> add.replyTo().tell(after))).build();
    }

    @Override
    public EventHandler<Integer, Integer> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, one) -> state + one);
    }
  }

  @Test
  void aRefusedSnapshotIsOneWarningAndTheEventStays() {
    Behavior<Add> counter = Behaviors.setup(context -> new Counter(PersistenceId.ofUniqueId("counter"), context.getLog()));
    ActorRef<Add> ref = testKit.spawn(counter);
    TestProbe<Integer> replies = testKit.createTestProbe();
    snapshots.failNextPersisted();
    LoggingTestKit.error("Save snapshot failed").withOccurrences(0)
        .expect(testKit.system(), () ->
            LoggingTestKit.warn("Snapshot 1 not saved").expect(testKit.system(), () -> {
              ref.tell(new Add(replies.getRef()));
              assertEquals(1, replies.receiveMessage());
              return null;
            }));
    ref.tell(new Add(replies.getRef()));
    assertEquals(2, replies.receiveMessage(), "the actor went on: the failed snapshot lost nothing");
  }
}
