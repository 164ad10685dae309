package org.miniups.http;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterActorRefProvider;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster as this node sees it, for /health: itself, every member with its status, the members
 * it cannot reach, and the node the singletons run on (the links with their outboxes, the
 * SequenceAllocator, the dispatcher).
 *
 * @param singletons the node whose outboxes answered; "not answering" while they move (or are
 *     recovering)
 */
record ClusterMembership(String self, String singletons, List<MemberView> members, List<String> unreachable) {

  record MemberView(String address, String status) {}

  /** Empty on a node that runs no cluster (a local actor system in a test). */
  static Optional<ClusterMembership> of(ActorSystem<?> system) {
    if (!(((ExtendedActorSystem) system.classicSystem()).provider() instanceof ClusterActorRefProvider)) {
      return Optional.empty();
    }
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    List<MemberView> members =
        StreamSupport.stream(state.getMembers().spliterator(), false)
            .sorted(Comparator.comparing((Member m) -> m.address().toString()))
            .map(m -> new MemberView(m.address().toString(), m.status().toString()))
            .toList();
    List<String> unreachable = state.getUnreachable().stream().map(m -> m.address().toString()).sorted().toList();
    return Optional.of(new ClusterMembership(cluster.selfMember().address().toString(), null, members, unreachable));
  }

  ClusterMembership withSingletonsAt(String node) {
    return new ClusterMembership(self, node == null ? "not answering" : node, members, unreachable);
  }
}
