package org.miniups.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.link.LinkConnection;
import org.miniups.truck.Truck;
import org.miniups.world.WorldIdentity;

/** No truck is started before a link opens; every truck once when the first one does. */
class PeerConnectorTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final List<Integer> FLEET = List.of(1, 2, 3);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void theFleetStartsOnceWhenTheFirstLinkOpens() {
    Map<Integer, TestProbe<Truck.Command>> trucks =
        FLEET.stream().collect(Collectors.toMap(Function.identity(), id -> testKit.<Truck.Command>createTestProbe()));
    ActorRef<PeerConnector.Command> connector =
        testKit.spawn(
            PeerConnector.create(
                0,
                testKit.<WorldIdentity.Command>createTestProbe().getRef(),
                FLEET,
                id -> TestEntityRef.of(Truck.ENTITY_KEY, String.valueOf(id), trucks.get(id).getRef()),
                Duration.ofSeconds(3)));

    connector.tell(new PeerConnector.LinkOpened(new LinkConnection.Opened(1, "error: no such world", false)));
    trucks.values().forEach(probe -> probe.expectNoMessage(Duration.ofMillis(200)));

    connector.tell(new PeerConnector.LinkOpened(new LinkConnection.Opened(1, "connected!", true)));
    trucks.forEach((id, probe) -> assertEquals(Truck.GetSummary.class, probe.receiveMessage().getClass(), "truck " + id));

    // Amazon, after the World
    connector.tell(new PeerConnector.LinkOpened(new LinkConnection.Opened(0, "connected!", true)));
    trucks.values().forEach(probe -> probe.expectNoMessage(Duration.ofMillis(200)));
  }
}
