package org.miniups.sim.amazon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AmazonCommandTest {

  @Test
  void readsItsOptionsWithTheDocumentedDefaults() {
    AmazonCommand defaults = new AmazonCommand();
    new CommandLine(defaults).parseArgs();
    assertEquals("localhost", defaults.worldHost);
    assertEquals(23456, defaults.worldPort);
    assertEquals(34567, defaults.upsPort);
    assertEquals(20, defaults.packages);

    AmazonCommand given = new AmazonCommand();
    new CommandLine(given).parseArgs("--world-host", "world", "--world-port", "1", "--ups-port", "2",
        "--warehouses", "5", "--packages", "100", "--rate", "2.5", "--seed", "9",
        "--resend-interval", "500ms", "--state-dir", "run/amazon", "--report", "run/amazon.json");
    assertEquals("world", given.worldHost);
    assertEquals(5, given.warehouses);
    assertEquals(2.5, given.rate);
    assertEquals(9, given.seed);
    assertEquals(Duration.ofMillis(500), AmazonCommand.parseDuration(given.resendInterval));
    assertEquals(Path.of("run/amazon"), given.stateDir);
    assertEquals(Path.of("run/amazon.json"), given.reportFile);
    assertNull(defaults.stateDir, "memory only unless asked");
    assertNull(defaults.reportFile);
  }

  @Test
  void rejectsANonsenseDuration() {
    assertThrows(IllegalArgumentException.class, () -> AmazonCommand.parseDuration("soon"));
  }
}
