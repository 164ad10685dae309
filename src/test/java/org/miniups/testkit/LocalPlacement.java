package org.miniups.testkit;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.miniups.Placement;

/**
 * Every actor in one local actor system, so that nothing waits for cluster membership or a
 * singleton proxy's timers, which under {@code ManualTime} would never fire. Single actors are
 * children of the guardian; an entity is started on its first message and lives until the test
 * {@linkplain #forget forgets} it to restart it (no passivation: a test is short, and passivation is sharding's).
 */
final class LocalPlacement implements Placement {
  private final ActorContext<?> guardian;
  private final Map<EntityTypeKey<?>, Function<String, ? extends Behavior<?>>> factories = new ConcurrentHashMap<>();
  private final Map<String, ActorRef<?>> running = new ConcurrentHashMap<>();
  private final AtomicInteger incarnations = new AtomicInteger();

  LocalPlacement(ActorContext<?> guardian) {
    this.guardian = guardian;
  }

  @Override
  public ActorSystem<?> system() {
    return guardian.getSystem();
  }

  @Override
  public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
    return guardian.spawn(behavior, name);
  }

  @Override
  public <T> ActorRef<T> singleton(Behavior<T> behavior, String name) {
    return guardian.spawn(behavior, name);
  }

  @Override
  public <T> void initEntities(
      EntityTypeKey<T> key, Function<String, Behavior<T>> create, Duration passivateWhenIdle) {
    factories.put(key, create);
  }

  /** One process: nothing moves, so these run as any other entity. */
  @Override
  public <T> void initResidentEntities(EntityTypeKey<T> key, Function<String, Behavior<T>> create) {
    factories.put(key, create);
  }

  /** Started from whichever thread asks first: the system's own actors may be created from any. */
  @Override
  @SuppressWarnings("unchecked")
  public <T> RecipientRef<T> entity(EntityTypeKey<T> key, String entityId) {
    return (ActorRef<T>)
        running.computeIfAbsent(
            key.name() + "/" + entityId,
            ignored -> {
              Function<String, Behavior<T>> create = (Function<String, Behavior<T>>) factories.get(key);
              if (create == null) throw new IllegalStateException("no entities of type " + key.name() + " were registered");
              String name = key.name() + "-" + entityId + "-" + incarnations.incrementAndGet();
              return system().systemActorOf(create.apply(entityId), name, Props.empty());
            });
  }

  /**
   * Forgets the running entity, so that the next message starts a new one from the journal, and
   * returns the old one for the caller to stop; empty when it was not running.
   */
  Optional<ActorRef<?>> forget(EntityTypeKey<?> key, String entityId) {
    return Optional.ofNullable(running.remove(key.name() + "/" + entityId));
  }

  @Override
  public void initWorkers(String name, int count, IntFunction<Behavior<Void>> create) {
    for (int i = 0; i < count; i++) guardian.spawn(create.apply(i), name + "-" + i);
  }
}
