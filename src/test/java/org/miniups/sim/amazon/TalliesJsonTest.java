package org.miniups.sim.amazon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.miniups.sim.SimFiles;

/**
 * {@link Tallies} are unwrapped in the JSON of {@link SavedAmazon} and {@link SimAmazonStats}:
 * flat fields (accepted, delivered, statuses …) as before there was a Tallies, and a saved state
 * reads back.
 */
class TalliesJsonTest {

  private static final List<String> FLAT_FIELDS =
      List.of("accepted", "arrived", "outForDelivery", "delivered", "loaded", "deliveredAt",
          "destinations", "outForDeliveryDest", "statuses", "errors");

  @TempDir Path dir;

  private static Tallies tallies() {
    return new Tallies(
        Map.of(1L, 1), Map.of(1L, 2), Map.of(1L, 3), Map.of(1L, 4), Map.of(2L, 5),
        Map.of(1L, new int[] {1, 2}), Map.of(1L, new int[] {3, 4}, 2L, new int[] {5, 6}),
        Map.of(1L, new int[] {7, 8}), Map.of(1L, "out for delivery"), List.of("UPS: no such truck"));
  }

  @Test
  void savedAmazonKeepsFlatFieldsAndReadsBack() throws Exception {
    SavedAmazon saved =
        new SavedAmazon(7, 8, 9, true, 2, 1, List.of(), List.of(), tallies(), Map.of(1L, 42L),
            null, null, null);
    saved.write(dir);

    JsonNode json = new ObjectMapper().readTree(dir.resolve("amazon.json").toFile());
    assertFalse(json.has("tallies"));
    FLAT_FIELDS.forEach(field -> assertTrue(json.has(field), field));
    assertEquals(4, json.get("delivered").get("1").asInt());
    assertEquals("out for delivery", json.get("statuses").get("1").asText());

    Optional<SavedAmazon> read = SavedAmazon.load(dir);
    Tallies back = read.orElseThrow().tallies();
    Tallies expected = tallies();
    assertEquals(expected.accepted(), back.accepted());
    assertEquals(expected.arrived(), back.arrived());
    assertEquals(expected.outForDelivery(), back.outForDelivery());
    assertEquals(expected.delivered(), back.delivered());
    assertEquals(expected.loaded(), back.loaded());
    assertArrayEquals(expected.deliveredAt().get(1L), back.deliveredAt().get(1L));
    assertArrayEquals(expected.destinations().get(2L), back.destinations().get(2L));
    assertArrayEquals(expected.outForDeliveryDest().get(1L), back.outForDeliveryDest().get(1L));
    assertEquals(expected.statuses(), back.statuses());
    assertEquals(expected.errors(), back.errors());
    assertEquals(Map.of(1L, 42L), read.orElseThrow().deliveredEpochNanos());
    assertEquals(7, read.orElseThrow().worldId());
  }

  @Test
  void statsKeepFlatFields() throws Exception {
    SimAmazonStats stats =
        new SimAmazonStats(1, 2, 2, tallies(), 0, 0, true, true, List.of(), Map.of(), Map.of(), 0, 0);
    Path file = dir.resolve("stats.json");
    SimFiles.writeAtomically(file, stats);

    JsonNode json = new ObjectMapper().readTree(file.toFile());
    assertFalse(json.has("tallies"));
    FLAT_FIELDS.forEach(field -> assertTrue(json.has(field), field));
    assertEquals(2, json.get("arrived").get("1").asInt());
    assertEquals(4, stats.delivered().get(1L));
  }
}
