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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.miniups.user.SessionSecret;

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

  /** The image the service runs in (the last stage) switches to a user it creates, before the entry point. */
  @Test
  void theImageRunsAsANonRootUserCreatedInItsRuntimeStage() throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
    Matcher user = Pattern.compile("(?m)^USER\\s+([^\\s:]+)").matcher(runtime);
    assertTrue(user.find(), "the runtime stage has a USER line:\n" + runtime);
    String name = user.group(1);
    assertTrue(!name.equals("root") && !name.equals("0"), "USER " + name + " is not root");
    assertTrue(Pattern.compile("(?m)^RUN .*useradd .*\\b" + Pattern.quote(name) + "\\s*$").matcher(runtime).find(),
        "the runtime stage creates " + name);
    assertTrue(user.start() < runtime.indexOf("ENTRYPOINT"), "the entry point runs as " + name);
  }

  /** Every serve in compose needs SESSION_SECRET from the environment: there is no default to fall back on. */
  @Test
  void composeShipsNoSessionSecret() throws Exception {
    JsonNode services = compose().get("services");
    List<String> serving = new ArrayList<>();
    services.fields().forEachRemaining(service -> {
      if (!"serve".equals(service.getValue().path("command").path(0).asText())) return;
      serving.add(service.getKey());
      String secret = service.getValue().path("environment").path("SESSION_SECRET").asText();
      assertTrue(secret.matches("\\$\\{SESSION_SECRET:\\?[^}]+}"), service.getKey() + " SESSION_SECRET: " + secret);
    });
    assertEquals(List.of("ups", "ups-1", "ups-2", "ups-3"), serving);
  }

  /** A value written in the repository next to SESSION_SECRET is one serve refuses (it is public). */
  @Test
  void noSessionSecretWrittenInTheRepositoryWouldBeAccepted() throws Exception {
    Pattern assignment =
        Pattern.compile("(?:SESSION_SECRET\\s*[=:]|session-secret\\s*=)\\s*[\"']?([^\\s\"'`]*)");
    List<Path> files = new ArrayList<>(List.of(Path.of("docker-compose.yml"), Path.of("Dockerfile")));
    for (String dir : List.of(".", "conf", "bench", "scripts")) {
      try (Stream<Path> listed = Files.list(Path.of(dir))) {
        listed.filter(f -> f.toString().matches(".*\\.(md|conf|sh|py|yml|yaml)$")).forEach(files::add);
      }
    }
    for (Path file : files) {
      Matcher found = assignment.matcher(Files.readString(file));
      while (found.find()) {
        String value = found.group(1);
        if (value.startsWith("$")) continue; // taken from the environment
        assertTrue(SessionSecret.problem(value).isPresent(), file + " publishes a session secret serve would accept: " + value);
      }
    }
  }
}
