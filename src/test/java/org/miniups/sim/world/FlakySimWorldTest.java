package org.miniups.sim.world;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.miniups.sim.world.AmazonTestClient.product;
import static org.miniups.sim.world.AmazonTestClient.warehouse;
import static org.miniups.sim.world.UpsTestClient.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldUps.UCommands;

/** At flakiness 50 some requests are dropped unacked, and client re-sends get each one done once. */
class FlakySimWorldTest {

  private static final int REQUESTS = 20;
  private static final long CLIENT_RESEND_MILLIS = 100;
  private static SimWorldServer server;

  @BeforeAll
  static void startServer() {
    server =
        SimWorldServer.start(
            SimWorldSettings.defaults()
                .withHost("127.0.0.1")
                .withPorts(0, 0)
                .withFlakinessPercent(50)
                .withRandomSeed(42)
                .withSimSpeed(100_000)
                .withResendInterval(Duration.ofMillis(100)));
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void droppedRequestsAreNotAckedAndClientResendsGetEachProcessedOnce() throws Exception {
    try (AmazonTestClient amazon =
            AmazonTestClient.connect(server.amazonPort(), null, warehouse(1, 0, 0));
        UpsTestClient ups =
            UpsTestClient.connect(
                server.upsPort(), amazon.connected().getWorldid(), truck(1, 5, 5))) {
      long worldId = amazon.connected().getWorldid();
      assertEquals("connected!", ups.connected().getResult(), "joins are never dropped");

      List<Long> upsSeqnums = new ArrayList<>();
      List<Long> amazonSeqnums = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        upsSeqnums.add(ups.nextSeqnum());
        amazonSeqnums.add(amazon.nextSeqnum());
      }
      sendUnacked(ups, upsSeqnums, amazon, amazonSeqnums);
      assertTrue(upsSeqnums.stream().anyMatch(s -> !ups.acked(s)), "some UQuery dropped");
      // In this thread: the clients are not shared with Awaitility's poller. Each round re-sends
      // what is still unacked and listens for one client re-send interval.
      await("requests acked after client re-sends").atMost(BlockingPeer.TIMEOUT).pollInSameThread()
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
          .until(() -> {
            boolean allAcked = upsSeqnums.stream().allMatch(ups::acked) && amazonSeqnums.stream().allMatch(amazon::acked);
            if (!allAcked) sendUnacked(ups, upsSeqnums, amazon, amazonSeqnums);
            return allAcked;
          });

      amazon.awaitUntil("every purchase back", () -> amazon.arrived.size() == REQUESTS);
      ups.awaitUntil("every UTruck", () -> ups.truckStatuses.size() == REQUESTS);
      SimWorldStats stats = server.stats(worldId);
      assertTrue(stats.dropped() > 0);
      assertEquals(REQUESTS, stats.processed("UQuery"));
      assertEquals(REQUESTS, stats.processed("APurchaseMore"));
      assertEquals(REQUESTS, stats.warehouse(1).stock().get(8L), "each purchase counted once");
      await("world items acked").atMost(BlockingPeer.TIMEOUT).pollInSameThread()
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
          .until(() -> {
            ups.readFor(10); // and ack what arrived
            amazon.readFor(10);
            return server.stats(worldId).upsUnacked() + server.stats(worldId).amazonUnacked() == 0;
          });
    }
  }

  /** One client round: every request not acked yet goes out again, then both listen a while. */
  private static void sendUnacked(
      UpsTestClient ups, List<Long> upsSeqnums, AmazonTestClient amazon, List<Long> amazonSeqnums) {
    UCommands.Builder upsBatch = UCommands.newBuilder();
    upsSeqnums.stream()
        .filter(s -> !ups.acked(s))
        .forEach(s -> upsBatch.addQueries(UpsTestClient.queryOf(1, s)));
    ups.send(upsBatch.build());
    ACommands.Builder amazonBatch = ACommands.newBuilder();
    amazonSeqnums.stream()
        .filter(s -> !amazon.acked(s))
        .forEach(s -> amazonBatch.addBuy(
            APurchaseMore.newBuilder().setWhnum(1).addThings(product(8, 1)).setSeqnum(s)));
    amazon.send(amazonBatch.build());
    ups.readFor(CLIENT_RESEND_MILLIS);
    amazon.readFor(CLIENT_RESEND_MILLIS);
  }
}
