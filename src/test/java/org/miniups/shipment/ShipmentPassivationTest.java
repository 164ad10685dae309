package org.miniups.shipment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.AppConfig;
import org.miniups.TestConfigs;
import org.miniups.node.UpsService;

/**
 * Idle shipments leave memory (so memory follows the shipments in use, not all ever known) and
 * come back whole on the next ask.
 */
class ShipmentPassivationTest {
  private UpsService ups;

  @AfterEach
  void stop() {
    if (ups != null) ups.close();
  }

  @Test
  void anIdleShipmentPassivatesAndIsReadBackWhenAskedAgain() throws Exception {
    Map<String, Object> settings = TestConfigs.node(TestConfigs.Database.H2.freshUrl(), 1, 1);
    settings.put("mini-ups.shipment.passivate-after", "1s");
    ups = UpsService.start(AppConfig.load(settings));
    Shipment.Details details = new Shipment.Details(7, 1, 2, 3, 4, 5, null, List.of());
    Shipment.Summary created = ups.shipment(7)
        .<Shipment.CreateReply>ask(replyTo -> new Shipment.Create(details, null, 1, replyTo), Duration.ofSeconds(10))
        .toCompletableFuture().get(20, TimeUnit.SECONDS).shipment();
    assertEquals(Set.of("7"), shipmentsInMemory());

    Awaitility.await("the idle shipment passivated").atMost(Duration.ofSeconds(20))
        .until(() -> shipmentsInMemory().isEmpty());
    Shipment.Summary readBack = ups.shipment(7)
        .<Shipment.Summary>ask(Shipment.Get::new, Duration.ofSeconds(10)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(created, readBack);
  }

  private Set<String> shipmentsInMemory() {
    TestProbe<ShardRegion.CurrentShardRegionState> state = TestProbe.create(ups.system());
    ClusterSharding.get(ups.system()).shardState().tell(new GetShardRegionState(Shipment.ENTITY_KEY, state.getRef()));
    return state.receiveMessage(Duration.ofSeconds(5)).getShards().stream()
        .flatMap(shard -> shard.getEntityIds().stream())
        .collect(java.util.stream.Collectors.toSet());
  }
}
