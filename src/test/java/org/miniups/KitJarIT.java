package org.miniups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/** The build packages the testers' kit as the {@code tests} jar: the kit's classes, nothing else. */
class KitJarIT {
  @Test
  void theTestsJarHoldsTheKitAlone() throws Exception {
    Path jar = Path.of("target", "mini-ups-tests.jar");
    assertTrue(Files.exists(jar), jar + " is built by mvn package");
    try (JarFile file = new JarFile(jar.toFile())) {
      List<String> classes =
          file.stream().map(ZipEntry::getName).filter(name -> name.endsWith(".class")).sorted().toList();
      assertTrue(classes.contains("org/miniups/testkit/UpsTestKit.class"), "the kit: " + classes);
      assertTrue(classes.contains("org/miniups/testkit/ScriptedWorld.class"), "the kit: " + classes);
      assertTrue(classes.contains("org/miniups/testkit/ScriptedAmazon.class"), "the kit: " + classes);
      assertEquals(
          List.of(),
          classes.stream().filter(name -> !name.startsWith("org/miniups/testkit/") || name.endsWith("Test.class")
              || name.contains("/examples/")).toList(),
          "nothing but the kit (no tests, no examples, no fixtures)");
    }
  }
}
