package org.miniups;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code serve}, {@code world}, {@code demo}. */
@Command(
    name = "mini-ups",
    mixinStandardHelpOptions = true,
    version = "mini-UPS 1.0",
    description = "The shipping company of the Amazon/UPS logistics world.",
    subcommands = {Main.Serve.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
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

    @Option(names = "--world-id", description = "Join this world instead of creating one (env WORLD_ID).")
    Long worldId;

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
      UpsService service;
      try {
        service = UpsService.start(AppConfig.load(node.overrides()));
      } catch (IllegalStateException e) {
        System.err.println("mini-UPS could not start: " + e.getMessage());
        return 1;
      }
      var config = service.system().settings().config();
      System.out.printf(
          "mini-UPS is running with %d trucks; World at %s:%d%n",
          service.truckIds().size(),
          config.getString("mini-ups.world.host"),
          config.getInt("mini-ups.world.port"));
      service.joinConfiguredWorld();
      service.system().getWhenTerminated().toCompletableFuture().get();
      return 0;
    }
  }
}
