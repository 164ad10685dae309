package org.miniups.sim.amazon;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.miniups.sim.SimSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code amazon}: runs the simulated Amazon against a World until killed. */
@Command(
    name = "amazon",
    mixinStandardHelpOptions = true,
    description =
        "Run the simulated Amazon: create a world with warehouses, wait for UPS on the UPS port, "
            + "emit pickups and load trucks.")
public final class AmazonCommand implements Callable<Integer> {

  @Option(names = "--world-host", defaultValue = "localhost", description = "World host (default ${DEFAULT-VALUE}).")
  String worldHost;

  @Option(names = "--world-port", defaultValue = "23456", description = "World port for Amazon (default ${DEFAULT-VALUE}).")
  int worldPort;

  @Option(names = "--ups-port", defaultValue = "34567", description = "Port UPS connects to (default ${DEFAULT-VALUE}).")
  int upsPort;

  @Option(names = "--warehouses", defaultValue = "3", description = "Warehouses of the new world (default ${DEFAULT-VALUE}).")
  int warehouses;

  @Option(names = "--packages", defaultValue = "20", description = "Pickups to emit in total (default ${DEFAULT-VALUE}).")
  int packages;

  @Option(names = "--rate", defaultValue = "5", description = "Pickups per second once UPS is connected (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--resend-interval", defaultValue = "5s", description = "Re-send unacked items after this long, e.g. 5s or 500ms (default ${DEFAULT-VALUE}).")
  String resendInterval;

  @Option(names = "--state-dir", description = "Save the run here before a peer hears of a change, and resume the run found here on start (same world, shipments, seqnums; give the same ports). Default: memory only.")
  Path stateDir;

  @Option(names = "--report", description = "Keep a JSON report (per shipment: notices heard, destinations, where delivered; the referee's violations; unacked items; connections; allDelivered) in this file, rewritten at most every 250 ms while something changes and on exit.")
  Path reportFile;

  @Option(names = "--load-again-after-delivery", description = "After each delivery, send that shipment's AULoaded once more under a new seqnum: a valid request UPS must ack and answer with nothing, as one handled again after a crash.")
  boolean loadAgainAfterDelivery;

  @Override
  public Integer call() throws Exception {
    SimAmazonSettings settings;
    try {
      settings =
          SimAmazonSettings.defaults()
              .withWorld(worldHost, worldPort)
              .withUpsPort(upsPort)
              .withWarehouses(warehouses)
              .withPackages(packages)
              .withRate(rate)
              .withRandomSeed(seed)
              .withResendInterval(parseDuration(resendInterval));
      if (stateDir != null) settings = settings.withStateDir(stateDir);
      if (reportFile != null) settings = settings.withReportFile(reportFile);
      if (loadAgainAfterDelivery) settings = settings.withLoadAgainAfterDelivery();
    } catch (IllegalArgumentException e) {
      System.err.println("Invalid setting: " + e.getMessage());
      return 2;
    }
    SimAmazonServer amazon;
    try {
      amazon = SimAmazonServer.start(settings);
    } catch (IllegalStateException e) {
      System.err.println("The simulated Amazon could not start: " + e.getMessage());
      return 1;
    }
    SimSystem.closeOnShutdown("Simulated Amazon", amazon);
    if (amazon.resumed()) {
      System.out.printf("Simulated Amazon: resumed world %d from %s%n", amazon.worldId(), stateDir);
    }
    System.out.printf(
        "Simulated Amazon: world %d (World at %s:%d), UPS port %d. Ctrl-C stops it.%n",
        amazon.worldId(), worldHost, worldPort, amazon.upsPort());
    new CountDownLatch(1).await();
    return 0;
  }

  /** HOCON durations, as every command reads them: "5s", "500ms", "2 minutes". */
  public static Duration parseDuration(String text) {
    try {
      return ConfigFactory.parseString("d = " + text).getDuration("d");
    } catch (ConfigException e) {
      throw new IllegalArgumentException("not a duration: " + text + " (try 5s or 500ms)");
    }
  }
}
