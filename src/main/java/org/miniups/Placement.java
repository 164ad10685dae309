package org.miniups;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Where a node's actors live. Components say what kind of actor they start (one per node, one in
 * the whole cluster, an entity per id, a fixed set of workers) and the placement decides where:
 * {@link ClusterPlacement} spreads them over a Pekko Cluster (also a cluster of one), the testers'
 * kit keeps them in one local actor system whose time it controls. The actors are the same.
 */
public interface Placement {
  ActorSystem<?> system();

  /** An actor of this node only (a cache, a database pool's front, a topic). */
  <T> ActorRef<T> spawn(Behavior<T> behavior, String name);

  /** The one actor of its name in the whole cluster (a link, an outbox): a proxy to wherever it runs. */
  <T> ActorRef<T> singleton(Behavior<T> behavior, String name);

  /**
   * Registers the entities of {@code key}: one actor per entity id, started by {@code create} on
   * its first message, and stopped after {@code passivateWhenIdle} without one.
   */
  <T> void initEntities(EntityTypeKey<T> key, Function<String, Behavior<T>> create, Duration passivateWhenIdle);

  /**
   * Registers entities that keep running once started, such as trucks with effects still to send:
   * when their node leaves or is lost they start again at once on another, without waiting for a
   * message, and they are never stopped for being idle.
   */
  <T> void initResidentEntities(EntityTypeKey<T> key, Function<String, Behavior<T>> create);

  /** The entity {@code entityId} of {@code key}, wherever it runs (usable before it has started). */
  <T> RecipientRef<T> entity(EntityTypeKey<T> key, String entityId);

  /** {@code count} long-running workers of one kind (the read side's slices), each running once. */
  void initWorkers(String name, int count, IntFunction<Behavior<Void>> create);
}
