package org.miniups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs here, so the compose file is checked statically: it parses, names its
 * services, and wires UPS only through environment variables that our config actually reads.
 */
class DeploymentFilesTest {
  private static final List<String> KNOBS =
      List.of(
          "WORLD_HOST", "WORLD_PORT", "AMAZON_HOST", "AMAZON_PORT", "HTTP_PORT", "UPS_TRUCKS",
          "DB_URL", "DB_USER", "DB_PASSWORD", "RESEND_INTERVAL");

  private static JsonNode compose() throws Exception {
    return new ObjectMapper(new YAMLFactory()).readTree(Path.of("docker-compose.yml").toFile());
  }

  private static String allConfig() throws Exception {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> files = Files.list(Path.of("conf"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".conf")).toList()) {
        out.append(Files.readString(file));
      }
    }
    return out.toString();
  }

  @Test
  void composeNamesTheDatabaseTheWorldAndUps() throws Exception {
    JsonNode services = compose().get("services");
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    assertTrue(names.containsAll(List.of("db", "world", "amazon", "ups")), "services: " + names);
    assertEquals("amazon", services.get("amazon").get("command").get(0).asText());
    assertEquals("serve", services.get("ups").get("command").get(0).asText());
    assertEquals("world", services.get("world").get("command").get(0).asText());
    assertTrue(services.get("db").get("image").asText().startsWith("postgres"));
  }

  @Test
  void upsIsWiredByEveryDeployKnobAndOurConfigReadsEachOne() throws Exception {
    JsonNode env = compose().get("services").get("ups").get("environment");
    String config = allConfig();
    for (String knob : KNOBS) {
      assertTrue(env.has(knob), "compose sets " + knob);
      assertTrue(config.contains("${?" + knob + "}"), "conf/ reads " + knob);
    }
    assertTrue(env.get("DB_URL").asText().startsWith("jdbc:postgresql://db:"), "UPS uses the compose database");
    assertEquals("world", env.get("WORLD_HOST").asText());
    assertEquals("amazon", env.get("AMAZON_HOST").asText());
  }

  /**
   * The cluster profile: three nodes, each reachable by the others at its own CLUSTER_HOST, all
   * given the same seed list naming the three (which our config reads as a list), the same
   * database, peers and session secret; the single node stays out of the profile's way.
   */
  @Test
  void theClusterProfileWiresThreeNodesIntoOneCluster() throws Exception {
    JsonNode services = compose().get("services");
    String config = allConfig();
    assertTrue(config.contains("${?CLUSTER_HOST}") && config.contains("${?CLUSTER_PORT}"), "conf/ reads the node's address");
    List<String> seeds = null;
    JsonNode first = null;
    for (int n = 1; n <= 3; n++) {
      JsonNode node = services.get("ups-" + n);
      assertTrue(node != null, "service ups-" + n);
      assertEquals(List.of("cluster"), List.of(node.get("profiles").get(0).asText()), "ups-" + n + " is in the cluster profile");
      assertEquals(1, node.get("profiles").size());
      assertEquals("serve", node.get("command").get(0).asText());
      JsonNode env = node.get("environment");
      assertEquals("ups-" + n, env.get("CLUSTER_HOST").asText(), "ups-" + n + " is known to the others by its service name");
      List<String> nodeSeeds =
          AppConfig.load(java.util.Map.of(), env.get("CLUSTER_SEED_NODES").asText()).getStringList(AppConfig.SEED_NODES);
      assertEquals(
          List.of("pekko://mini-ups@ups-1:" + env.get("CLUSTER_PORT").asText(),
              "pekko://mini-ups@ups-2:" + env.get("CLUSTER_PORT").asText(),
              "pekko://mini-ups@ups-3:" + env.get("CLUSTER_PORT").asText()),
          nodeSeeds);
      if (first == null) {
        first = env;
        seeds = nodeSeeds;
      }
      assertEquals(seeds, nodeSeeds, "one seed list for all");
      for (String shared : List.of("DB_URL", "WORLD_HOST", "AMAZON_HOST", "SESSION_SECRET", "UPS_TRUCKS")) {
        assertEquals(first.get(shared).asText(), env.get(shared).asText(), shared + " is the same on every node");
      }
      assertTrue(env.get("DB_URL").asText().startsWith("jdbc:postgresql://db:"), "one PostgreSQL journal");
      assertTrue(!env.get("SESSION_SECRET").asText().isBlank(), "sessions signed alike on every node");
      assertEquals("808" + n + ":" + env.get("HTTP_PORT").asText(), node.get("ports").get(0).asText());
    }
    assertTrue(services.get("ups").get("profiles") == null, "the single node runs without a profile");
  }

  @Test
  void imageBuildsTheRunnableJar() throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    assertTrue(dockerfile.contains("mvn -B -q package"));
    assertTrue(dockerfile.contains("mini-ups.jar"));
  }
}
