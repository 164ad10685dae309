package org.miniups.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.miniups.AppConfig;
import org.miniups.sim.SimSystem;
import org.miniups.sim.amazon.AmazonCommand;
import org.miniups.sim.amazon.SimAmazonServer;
import org.miniups.sim.amazon.SimAmazonSettings;
import org.miniups.sim.amazon.SimAmazonStats;
import org.miniups.sim.world.SimWorldServer;
import org.miniups.sim.world.SimWorldSettings;
import org.miniups.sim.world.SimWorldStats;
import org.miniups.http.LiveStreamSlots;
import org.miniups.user.SessionSecret;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code serve}, {@code world}, {@code amazon}, {@code demo}. */
@Command(
    name = "mini-ups",
    mixinStandardHelpOptions = true,
    version = "mini-UPS 1.0",
    description = "The shipping company of the Amazon/UPS logistics world.",
    subcommands = {
      Main.Serve.class, Main.World.class, AmazonCommand.class, Main.Demo.class, CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    useSharedPoolForAsyncCompletions();
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line with its error handling: a bad option or a service that cannot start is one
   * line on stderr saying what is wrong and what to do, and a non-zero exit, never a stack trace.
   */
  static CommandLine commandLine() {
    return new CommandLine(new Main())
        .setParameterExceptionHandler(
            (e, args) -> {
              e.getCommandLine().getErr().printf(
                  "mini-ups: %s (see '%s --help')%n",
                  e.getMessage(), e.getCommandLine().getCommandSpec().qualifiedName());
              return 2;
            })
        .setExecutionExceptionHandler(
            (e, commandLine, parseResult) -> {
              if (e instanceof IllegalArgumentException) {
                commandLine.getErr().printf(
                    "mini-ups: invalid option: %s (see '%s --help')%n",
                    e.getMessage(), commandLine.getCommandSpec().qualifiedName());
                return 2;
              }
              commandLine.getErr().println("mini-ups: could not run: " + UpsService.rootMessage(e));
              return 1;
            });
  }

  /**
   * Scala's futures (every ask's answer) complete their Java views with the *Async* methods, which
   * run on the common pool; on a 2-core machine that pool has one thread, and the JDK then starts
   * a new thread for every completion instead (thousands a second under load). A common pool of
   * at least two threads keeps them on pooled threads. Must run before anything uses the pool.
   */
  static void useSharedPoolForAsyncCompletions() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null) {
      System.setProperty(key, String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Options shared by every command that runs a UPS node; each overrides its environment variable. */
  static final class NodeOptions {
    @Option(names = "--world-host", description = "World simulator host (env WORLD_HOST).")
    String worldHost;

    @Option(names = "--world-port", description = "World simulator port for UPS (env WORLD_PORT).")
    Integer worldPort;

    @Option(names = "--world-id", description = "Join this world right away, before Amazon names it (env WORLD_ID).")
    Long worldId;

    @Option(names = "--amazon-host", description = "Amazon host (env AMAZON_HOST).")
    String amazonHost;

    @Option(names = "--amazon-port", description = "Amazon port UPS connects to (env AMAZON_PORT).")
    Integer amazonPort;

    @Option(names = "--trucks", description = "Fleet size (env UPS_TRUCKS).")
    Integer trucks;

    @Option(names = "--http-port", description = "Port of the tracking web site and API (env HTTP_PORT).")
    Integer httpPort;

    @Option(names = "--db-url", description = "JDBC URL; jdbc:postgresql:... selects PostgreSQL (env DB_URL).")
    String dbUrl;

    @Option(names = "--db-user", description = "Database user (env DB_USER).")
    String dbUser;

    @Option(names = "--db-password", description = "Database password (env DB_PASSWORD).")
    String dbPassword;

    @Option(names = "--resend-interval", description = "Re-send unacked messages after this long, e.g. 5s (env RESEND_INTERVAL).")
    String resendInterval;

    Map<String, Object> overrides() {
      Map<String, Object> out = new HashMap<>();
      putIf(out, "mini-ups.world.host", worldHost);
      putIf(out, "mini-ups.world.port", worldPort);
      putIf(out, "mini-ups.world.id", worldId);
      putIf(out, "mini-ups.amazon.host", amazonHost);
      putIf(out, "mini-ups.amazon.port", amazonPort);
      putIf(out, "mini-ups.fleet.trucks", trucks);
      putIf(out, "mini-ups.http.port", httpPort);
      putIf(out, AppConfig.DB_URL, dbUrl);
      putIf(out, "mini-ups.db.user", dbUser);
      putIf(out, "mini-ups.db.password", dbPassword);
      putIf(out, "mini-ups.link.resend-interval", resendInterval);
      return out;
    }

    private static void putIf(Map<String, Object> map, String key, Object value) {
      if (value != null) map.put(key, value);
    }
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run the UPS service against an external World (and Amazon).")
  static final class Serve implements Callable<Integer> {
    @CommandLine.Mixin NodeOptions node = new NodeOptions();

    @Override
    public Integer call() throws Exception {
      var settings = AppConfig.load(node.overrides());
      // Before anything starts: a guessable secret lets anyone sign a session for any account.
      Optional<String> weakSecret = SessionSecret.problem(settings.getString("mini-ups.accounts.session-secret"));
      if (weakSecret.isPresent()) {
        System.err.println("mini-UPS could not start: " + weakSecret.get());
        return 1;
      }
      try {
        LiveStreamSlots.fromConfig(settings);
      } catch (IllegalArgumentException e) {
        System.err.println("mini-UPS could not start: " + e.getMessage());
        return 1;
      }
      UpsService service;
      try {
        service = UpsService.start(settings);
      } catch (IllegalStateException e) {
        System.err.println("mini-UPS could not start: " + e.getMessage());
        return 1;
      }
      if (serveHttp(service).isEmpty()) return 1;
      var config = service.system().settings().config();
      System.out.printf(
          "mini-UPS is running with %d trucks; World at %s:%d, Amazon at %s:%d%n",
          service.truckIds().size(),
          config.getString("mini-ups.world.host"),
          config.getInt("mini-ups.world.port"),
          config.getString("mini-ups.amazon.host"),
          config.getInt("mini-ups.amazon.port"));
      service.connectToPeers();
      service.system().getWhenTerminated().toCompletableFuture().get();
      return 0;
    }
  }

  /**
   * Binds the tracking site; on failure (a taken port) says so in one line and stops the service.
   * Returns the port bound.
   */
  static Optional<Integer> serveHttp(UpsService service) throws InterruptedException {
    int configured = service.system().settings().config().getInt("mini-ups.http.port");
    try {
      int port = service.startHttp().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
      System.out.printf("Tracking site and API at http://localhost:%d/%n", port);
      return Optional.of(port);
    } catch (ExecutionException | TimeoutException e) {
      System.err.printf(
          "mini-UPS could not serve HTTP on port %d: %s; stop what uses it or set HTTP_PORT to a free port%n",
          configured, UpsService.rootMessage(e));
      service.close();
      return Optional.empty();
    }
  }

  @Command(
      name = "world",
      mixinStandardHelpOptions = true,
      description = "Run the simulated World alone (stand-in for the course's World simulator).")
  static final class World implements Callable<Integer> {
    @Option(names = "--ups-port", defaultValue = "12345", description = "Port for UPS (default ${DEFAULT-VALUE}).")
    int upsPort;

    @Option(names = "--amazon-port", defaultValue = "23456", description = "Port for Amazon (default ${DEFAULT-VALUE}).")
    int amazonPort;

    @Option(names = "--flakiness", defaultValue = "0", description = "Percent of requests silently dropped, 0..99 (default ${DEFAULT-VALUE}).")
    int flakiness;

    @Option(names = "--speed", defaultValue = "100", description = "simspeed of new worlds; larger is faster (default ${DEFAULT-VALUE}).")
    int speed;

    @Option(names = "--resend-interval", defaultValue = "5s", description = "Re-send unacked items after this long (default ${DEFAULT-VALUE}).")
    String resendInterval;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the flakiness draws (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--state-dir", description = "Save every world here before a peer hears of a change, and resume the worlds found here on start (same ids; give the same ports). Default: memory only.")
    Path stateDir;

    @Option(names = "--report", description = "Keep a JSON report of every world (deliveries, where and by which truck, unacked items, connections, counts) in this file, rewritten at most every 250 ms while something changes and on exit.")
    Path reportFile;

    @Override
    public Integer call() throws Exception {
      SimWorldSettings settings;
      try {
        settings =
            SimWorldSettings.defaults()
                .withPorts(upsPort, amazonPort)
                .withFlakinessPercent(flakiness)
                .withSimSpeed(speed)
                .withResendInterval(AmazonCommand.parseDuration(resendInterval))
                .withRandomSeed(seed);
        if (stateDir != null) settings = settings.withStateDir(stateDir);
        if (reportFile != null) settings = settings.withReportFile(reportFile);
      } catch (IllegalArgumentException e) {
        System.err.println("Invalid setting: " + e.getMessage());
        return 2;
      }
      SimWorldServer world = SimWorldServer.start(settings);
      SimSystem.closeOnShutdown("Simulated World", world);
      for (long worldId : world.resumedWorldIds()) {
        System.out.printf("Simulated World: resumed world %d from %s%n", worldId, stateDir);
      }
      System.out.printf(
          "Simulated World: UPS port %d, Amazon port %d, flakiness %d%%, speed %d. Ctrl-C stops it.%n",
          world.upsPort(), world.amazonPort(), flakiness, speed);
      new java.util.concurrent.CountDownLatch(1).await();
      return 0;
    }
  }

  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description = "Everything in one process on embedded H2: the simulated World, the simulated Amazon and UPS.")
  static final class Demo implements Callable<Integer> {
    static final String DEMO_USER = "demo";
    static final String DEMO_PASSWORD = "demo-password";
    static final long DEMO_PROFILE_ID = 1001;

    @Option(names = "--trucks", defaultValue = "${env:UPS_TRUCKS:-10}", description = "Fleet size (env UPS_TRUCKS, default ${DEFAULT-VALUE}).")
    int trucks;

    @Option(names = "--speed", defaultValue = "100", description = "World simspeed; larger is faster (default ${DEFAULT-VALUE}).")
    int speed;

    @Option(names = "--flakiness", defaultValue = "0", description = "World flakiness, 0..99 (default ${DEFAULT-VALUE}).")
    int flakiness;

    @Option(names = "--packages", defaultValue = "50", description = "Pickups Amazon asks for (default ${DEFAULT-VALUE}).")
    int packages;

    @Option(names = "--rate", defaultValue = "2", description = "Pickups per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--warehouses", defaultValue = "3", description = "Amazon's warehouses (default ${DEFAULT-VALUE}).")
    int warehouses;

    @Option(names = "--exit-when-done", description = "Exit once every package is delivered; exit 1 unless each was delivered exactly once.")
    boolean exitWhenDone;

    @Option(names = "--timeout", defaultValue = "10m", description = "With --exit-when-done: give up after this long (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--http-port", defaultValue = "${env:HTTP_PORT:-8080}", description = "Web site port (env HTTP_PORT, default ${DEFAULT-VALUE}).")
    int httpPort;

    @Override
    public Integer call() throws Exception {
      java.time.Duration patience = AmazonCommand.parseDuration(timeout); // a bad value fails before anything starts
      SimWorldSettings worldSettings =
          SimWorldSettings.defaults()
              .withHost("127.0.0.1")
              .withPorts(0, 0)
              .withFlakinessPercent(flakiness)
              .withSimSpeed(speed)
              .withResendInterval(java.time.Duration.ofSeconds(1));
      SimAmazonSettings amazonSettings =
          SimAmazonSettings.defaults()
              .withHost("127.0.0.1")
              .withUpsPort(0)
              .withPackages(packages)
              .withRate(rate)
              .withWarehouses(warehouses)
              .withUpsUserIds(List.of(DEMO_PROFILE_ID))
              .withResendInterval(java.time.Duration.ofSeconds(1));
      Path dataDir = Path.of("data", "demo");
      deleteRecursively(dataDir); // a demo starts a new world, so it starts a new database too
      long started = System.nanoTime();
      SimWorldServer world = SimWorldServer.start(worldSettings);
      SimAmazonServer amazon;
      try {
        amazon = SimAmazonServer.start(amazonSettings.withWorld("127.0.0.1", world.amazonPort()));
      } catch (RuntimeException e) {
        world.close();
        throw e;
      }
      UpsService ups;
      try {
        ups = UpsService.start(AppConfig.load(upsOverrides(dataDir, world, amazon)));
      } catch (RuntimeException e) {
        amazon.close();
        world.close();
        System.err.println("mini-UPS could not start: " + e.getMessage());
        return 1;
      }
      // The simulators stop once UPS has left them and written what it had.
      CoordinatedShutdown.get(ups.system())
          .addTask(
              CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
              "stop-simulators",
              () ->
                  CompletableFuture.supplyAsync(
                      () -> {
                        amazon.close();
                        world.close();
                        return Done.getInstance();
                      }));
      createDemoAccount(ups); // before the site opens: whoever follows its address can log in
      Optional<Integer> port = serveHttp(ups);
      if (port.isEmpty()) return 1;
      ups.connectToPeers();
      System.out.printf(
          "Demo: world %d, %d UPS trucks, Amazon asking for %d packages at %.1f/s.%n"
              + "Open http://localhost:%d/ and log in as %s / %s: My packages lists the packages Amazon%n"
              + "ships to that account (about half); the Fleet page shows the trucks moving.%n",
          amazon.worldId(), trucks, packages, rate, port.get(), DEMO_USER, DEMO_PASSWORD);
      if (!exitWhenDone) {
        ups.system().getWhenTerminated().toCompletableFuture().get();
        return 0;
      }
      DemoOutcome outcome = awaitEveryDelivery(world, amazon, patience, started);
      SimWorldStats ledger = world.stats(amazon.worldId());
      ups.close(); // before the summary, so that it is the last line
      long delivered = ledger.deliveries().size();
      System.out.printf(
          "The World's ledger: %d trips, %.0f units driven (%.0f on the grid's streets), %.1f (%.1f) per package delivered.%n",
          ledger.processed("UGoPickup"), ledger.unitsDriven(), ledger.gridUnitsDriven(),
          ledger.unitsDriven() / Math.max(1, delivered), ledger.gridUnitsDriven() / Math.max(1, delivered));
      System.out.println(outcome.summary());
      return outcome.everyPackageDeliveredOnce() ? 0 : 1;
    }

    /**
     * The demo's own World, Amazon and database; the environment (HTTP_PORT, DB_URL, ...) and the
     * options override the rest, as they do for {@code serve}.
     */
    private Map<String, Object> upsOverrides(Path dataDir, SimWorldServer world, SimAmazonServer amazon) {
      Map<String, Object> overrides = new HashMap<>();
      if (System.getenv("DB_URL") == null) {
        overrides.put(AppConfig.DB_URL, "jdbc:h2:file:./" + dataDir.resolve("mini-ups").toString().replace('\\', '/'));
        overrides.put("mini-ups.db.user", "sa");
        overrides.put("mini-ups.db.password", "");
      }
      if (System.getenv("RESEND_INTERVAL") == null) overrides.put("mini-ups.link.resend-interval", "1s");
      if (System.getenv("CLUSTER_PORT") == null) overrides.put("pekko.remote.artery.canonical.port", 0);
      overrides.put("mini-ups.world.host", "127.0.0.1");
      overrides.put("mini-ups.world.port", world.upsPort());
      overrides.put("mini-ups.world.id", 0);
      overrides.put("mini-ups.amazon.host", "127.0.0.1");
      overrides.put("mini-ups.amazon.port", amazon.upsPort());
      overrides.put("mini-ups.fleet.trucks", trucks);
      overrides.put("mini-ups.http.port", httpPort);
      return overrides;
    }

    /**
     * The demo's database is new, so its first account gets the first profile id, which the
     * simulated Amazon puts on about half of its orders.
     */
    private static void createDemoAccount(UpsService ups) throws Exception {
      org.miniups.user.Accounts.Registered registered =
          org.apache.pekko.actor.typed.javadsl.AskPattern.<org.miniups.user.Accounts.Command, org.miniups.user.Accounts.Registered>ask(
                  ups.accounts(),
                  replyTo -> new org.miniups.user.Accounts.Register(DEMO_USER, DEMO_PASSWORD, null, replyTo),
                  java.time.Duration.ofSeconds(10),
                  ups.system().scheduler())
              .toCompletableFuture()
              .get(15, java.util.concurrent.TimeUnit.SECONDS);
      if (registered.user() == null || registered.user().id() != DEMO_PROFILE_ID) {
        throw new IllegalStateException("could not create the demo account: " + registered.error());
      }
    }

    /** @param summary e.g. {@code delivered 200/200 in 31.2s}, and Amazon's errors if any */
    record DemoOutcome(String summary, boolean everyPackageDeliveredOnce) {}

    /** Waits until Amazon heard of every delivery, then checks each happened exactly once. */
    private DemoOutcome awaitEveryDelivery(
        SimWorldServer world, SimAmazonServer amazon, java.time.Duration patience, long started)
        throws InterruptedException {
      long deadline = System.nanoTime() + patience.toNanos();
      SimAmazonStats stats = amazon.stats();
      while (!stats.allDelivered() && System.nanoTime() < deadline) {
        Thread.sleep(200);
        stats = amazon.stats();
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      Map<Long, Integer> worldDeliveries = world.stats(amazon.worldId()).deliveries();
      long exactlyOnce =
          stats.delivered().entrySet().stream()
              .filter(e -> e.getValue() == 1 && worldDeliveries.getOrDefault(e.getKey(), 0) == 1)
              .count();
      String summary = String.format("delivered %d/%d in %.1fs", exactlyOnce, packages, seconds);
      if (!stats.errors().isEmpty()) summary = "errors: " + stats.errors() + System.lineSeparator() + summary;
      return new DemoOutcome(summary, exactlyOnce == packages && stats.allDelivered());
    }
  }

  static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
