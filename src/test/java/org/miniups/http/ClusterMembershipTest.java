package org.miniups.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What /health says of the cluster: this node, the members with their status, the singletons' node. */
class ClusterMembershipTest {
  private static final ActorTestKit cluster =
      ActorTestKit.create(
          "mini-ups",
          ConfigFactory.parseString(
                  "pekko.actor.provider = cluster\n"
                      + "pekko.remote.artery.canonical.port = 0\n"
                      + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n")
              .withFallback(ConfigFactory.load()));
  private static final ActorTestKit local = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local"));

  @AfterAll
  static void stop() {
    cluster.shutdownTestKit();
    local.shutdownTestKit();
  }

  @Test
  void aNodeAloneIsItsOnlyMemberAndNamesWhereTheSingletonsRun() {
    Cluster node = Cluster.get(cluster.system());
    node.manager().tell(Join.create(node.selfMember().address()));
    String self = node.selfMember().address().toString();
    await().atMost(Duration.ofSeconds(20)).until(() -> node.selfMember().status().toString().equals("Up"));

    ClusterMembership membership = ClusterMembership.of(cluster.system()).orElseThrow().withSingletonsAt(self);
    assertEquals(
        new ClusterMembership(self, self, List.of(new ClusterMembership.MemberView(self, "Up")), List.of()), membership);
    assertEquals("not answering", membership.withSingletonsAt(null).singletons());
  }

  @Test
  void aLocalActorSystemHasNoCluster() {
    assertEquals(Optional.empty(), ClusterMembership.of(local.system()));
  }
}
