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

  @Test
  void imageBuildsTheRunnableJar() throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    assertTrue(dockerfile.contains("mvn -B -q package"));
    assertTrue(dockerfile.contains("mini-ups.jar"));
  }
}
