package org.miniups.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.miniups.AppConfig;
import org.miniups.TestConfigs.Database;
import org.miniups.node.UpsService;
import org.miniups.sim.amazon.SimAmazonServer;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldServer;

/**
 * A tracking number works the moment Amazon has it: the simulated Amazon asks UPS for each
 * package in the instant it reads the package's UAPickupAccepted, while the package index (an
 * eventually consistent read side) lags seconds behind.
 */
class TrackingNumberAtOnceTest {
  private static final int PACKAGES = 60;

  private SimWorldServer world;
  private SimAmazonServer amazon;
  private UpsService ups;

  @AfterEach
  void stop() {
    if (ups != null) ups.close();
    if (amazon != null) amazon.close();
    if (world != null) world.close();
  }

  @Test
  void everyTrackingNumberResolvesAsSoonAsAmazonReadsIt() throws Exception {
    world = SimWorldServer.start(AmazonEndToEndTest.worldSettings(0));
    amazon = SimAmazonServer.start(AmazonEndToEndTest.amazonSettings(world, 0, PACKAGES).withAllPickupsAtOnce());
    Map<String, Object> settings = AmazonEndToEndTest.upsSettings(Database.H2.freshUrl(), world, amazon.upsPort());
    settings.put("mini-ups.http.port", 0);
    settings.put("mini-ups.http.interface", "127.0.0.1");
    // A package index that lags by seconds, as under load: resolving must not wait for it.
    settings.put("jdbc-read-journal.refresh-interval", "5s");
    ups = UpsService.start(AppConfig.load(settings));
    int httpPort = ups.startHttp().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();

    HttpClient http = HttpClient.newHttpClient();
    Map<Long, CompletableFuture<HttpResponse<String>>> lookups = new ConcurrentHashMap<>();
    amazon.watchPickupsAccepted((shipId, trackingNumber) -> lookups.put(shipId, http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/packages/" + trackingNumber)).build(),
        HttpResponse.BodyHandlers.ofString())));
    ups.connectToPeers();

    AmazonEndToEndTest.eventually(amazon::stats, SimAmazonStats::allDelivered, "every package delivered");
    assertEquals(PACKAGES, lookups.size(), "one lookup per UAPickupAccepted");
    Map<Long, Integer> notFound = new TreeMap<>();
    for (var lookup : lookups.entrySet()) {
      HttpResponse<String> answer = lookup.getValue().get(30, TimeUnit.SECONDS);
      if (answer.statusCode() != 200) notFound.put(lookup.getKey(), answer.statusCode());
    }
    assertEquals(Map.of(), notFound, "shipments whose number did not resolve at once, with the status they got");
  }
}
