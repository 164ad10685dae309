package org.miniups.truck;

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

/** No truck is started before a link opens; every truck once when the first one does. */
class FleetWakeUpTest {
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
    ActorRef<LinkConnection.Opened> wakeUp =
        testKit.spawn(
            FleetWakeUp.create(FLEET, id -> TestEntityRef.of(Truck.ENTITY_KEY, String.valueOf(id), trucks.get(id).getRef())));

    wakeUp.tell(new LinkConnection.Opened(1, "error: no such world", false));
    trucks.values().forEach(probe -> probe.expectNoMessage(Duration.ofMillis(200)));

    wakeUp.tell(new LinkConnection.Opened(1, "connected!", true));
    trucks.forEach((id, probe) -> assertEquals(Truck.GetSummary.class, probe.receiveMessage().getClass(), "truck " + id));

    wakeUp.tell(new LinkConnection.Opened(0, "connected!", true)); // Amazon, after the World
    trucks.values().forEach(probe -> probe.expectNoMessage(Duration.ofMillis(200)));
  }
}
