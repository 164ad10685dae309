package org.miniups.node;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.miniups.Placement;

/**
 * Production placement: entities in Cluster Sharding, single actors as cluster singletons, workers
 * as a sharded daemon process; node-local actors are children of the guardian.
 */
public final class ClusterPlacement implements Placement {
  private static final Duration REMEMBERED_STATE_TIMEOUT = Duration.ofSeconds(15);
  private final ActorContext<?> guardian;

  private ClusterPlacement(ActorContext<?> guardian) {
    this.guardian = guardian;
  }

  /** Joins the configured seed nodes, or (with none) forms a cluster of this node alone. */
  public static Placement joinOrForm(ActorContext<?> guardian) {
    if (guardian.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      Cluster cluster = Cluster.get(guardian.getSystem());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    return new ClusterPlacement(guardian);
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
    return ClusterSingleton.get(system()).init(SingletonActor.of(behavior, name));
  }

  @Override
  public <T> void initEntities(
      EntityTypeKey<T> key, Function<String, Behavior<T>> create, Duration passivateWhenIdle) {
    ClusterShardingSettings settings = ClusterShardingSettings.create(system());
    init(key, create, settings.withPassivationStrategy(settings.passivationStrategySettings().withIdleEntityPassivation(passivateWhenIdle)));
  }

  /**
   * Remembered by their shard, in the journal: a shard started elsewhere starts them again. A shard
   * reads its remembered ids from the journal before it starts, and the coordinator writes the
   * remembered shards to a majority of the nodes; on a busy cluster forming, pekko's 2 s and 5 s
   * for those ran out (each logged as an error, then retried), so both get longer.
   */
  @Override
  public <T> void initResidentEntities(EntityTypeKey<T> key, Function<String, Behavior<T>> create) {
    ClusterShardingSettings defaults = ClusterShardingSettings.create(system());
    ClusterShardingSettings settings =
        defaults
            .withRememberEntities(true)
            .withRememberEntitiesStoreMode(ClusterShardingSettings.RememberEntitiesStoreModeEventSourced$.MODULE$)
            .withTuningParameters(
                defaults.tuningParameters()
                    .withWaitingForStateTimeout(REMEMBERED_STATE_TIMEOUT)
                    .withUpdatingStateTimeout(REMEMBERED_STATE_TIMEOUT));
    init(key, create, settings);
  }

  private <T> void init(EntityTypeKey<T> key, Function<String, Behavior<T>> create, ClusterShardingSettings settings) {
    ClusterSharding.get(system()).init(Entity.of(key, context -> create.apply(context.getEntityId())).withSettings(settings));
  }

  @Override
  public <T> RecipientRef<T> entity(EntityTypeKey<T> key, String entityId) {
    return ClusterSharding.get(system()).entityRefFor(key, entityId);
  }

  @Override
  public void initWorkers(String name, int count, IntFunction<Behavior<Void>> create) {
    ShardedDaemonProcess.get(system()).init(Void.class, name, count, create::apply);
  }
}
