package org.miniups.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.miniups.AppConfig;
import org.miniups.node.PeerLinks;
import org.miniups.node.UpsComponents;
import org.miniups.node.UpsGuardian;
import org.miniups.link.LinkConnection;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck;
import org.miniups.world.WorldConnection;
import org.miniups.world.WorldIdentity;

/**
 * The testers' kit: the real UPS actors (trucks, shipments, dispatcher, outboxes, inboxes, the
 * sequence allocator) started by the service's own {@link UpsGuardian} in one local actor system,
 * with a {@link ScriptedWorld} and a {@link ScriptedAmazon} in the links' place. Time is {@link
 * ManualTime}: nothing is re-sent or retried until the test lets time pass. Events go to the
 * persistence testkit's in-memory journal unless {@link Builder#journal} names a database.
 *
 * <pre>{@code
 * try (UpsTestKit ups = UpsTestKit.start()) {
 *   ups.connect();
 *   ups.amazon().pickup(101, 7, 10, 20, 5, 5);
 *   int truck = ups.amazon().expectPickupAccepted(101).getTruckid();
 *   ups.world().expectGoPickup(truck);
 * }
 * }</pre>
 */
public final class UpsTestKit implements AutoCloseable {
  /** The world the scripted peers are in. */
  public static final long WORLD_ID = 1;

  private final ActorTestKit testKit;
  private final ManualTime time;
  private final KitClock clock;
  private final UpsComponents components;
  private final LocalPlacement placement;
  private final ScriptedWorld world;
  private final ScriptedAmazon amazon;
  private final Duration patience;

  private UpsTestKit(
      ActorTestKit testKit, UpsComponents components, ScriptedWorld world, ScriptedAmazon amazon, Duration patience) {
    this.testKit = testKit;
    this.time = ManualTime.get(testKit.system());
    this.components = components;
    this.placement = (LocalPlacement) components.placement();
    this.world = world;
    this.amazon = amazon;
    this.patience = patience;
    this.clock = new KitClock(time, List.of(world, amazon));
    world.attach(clock, testKit.system().scheduler(), patience);
    amazon.attach(clock, testKit.system().scheduler(), patience);
  }

  /** A kit with the defaults of {@link #builder()}. */
  public static UpsTestKit start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Where the kit keeps events. */
  public enum Journal {
    /** The persistence testkit's journal, in memory (the default). */
    IN_MEMORY,
    /** pekko-persistence-jdbc on a new embedded H2 database under target/. */
    H2,
    /** pekko-persistence-jdbc on the database given to {@link Builder#journal(String, String, String)}. */
    DATABASE
  }

  /**
   * Pekko times journal and snapshot calls and each event of a recovery on the system's scheduler,
   * ManualTime here: a test's jump past such a timeout fails a write or a recovery still running
   * in wall time, and the actor then waits in a restart backoff that only more ManualTime ends
   * (the outbox answers nothing: "waited 5 s for the outbox in vain"). A call-timeout of 0 sets
   * no timer at all (pekko's CircuitBreaker skips it); the recovery's timer cannot be 0.
   */
  static final Config TIMEOUTS_OUT_OF_REACH =
      ConfigFactory.parseString(
          """
          pekko.persistence.journal-plugin-fallback {
            circuit-breaker.call-timeout = 0s
            recovery-event-timeout = 3650d
          }
          pekko.persistence.snapshot-store-plugin-fallback.circuit-breaker.call-timeout = 0s
          """);

  public static final class Builder {
    private int trucks = 2;
    private Duration resendInterval = Duration.ofSeconds(5);
    private Duration truckQueries = Duration.ofDays(1);
    private Duration patience = Duration.ofSeconds(5);
    private Journal journal = Journal.IN_MEMORY;
    private String dbUrl;
    private String dbUser = "sa";
    private String dbPassword = "";
    private Config extra = ConfigFactory.empty();

    private Builder() {}

    /** Trucks 1..n (default 2), on the service's grid: 1 at (0, 0), 2 at (2, 0), … */
    public Builder trucks(int count) {
      this.trucks = count;
      return this;
    }

    /** {@code RESEND_INTERVAL} (default 5 s of ManualTime). */
    public Builder resendInterval(Duration interval) {
      this.resendInterval = interval;
      return this;
    }

    /** Query trucks on a trip this often ({@code UQuery}); by default once a day, i.e. not in a test. */
    public Builder truckQueries(Duration interval) {
      this.truckQueries = interval;
      return this;
    }

    /** How long an {@code expect} waits (real time) for UPS's actors to act (default 5 s). */
    public Builder patience(Duration patience) {
      this.patience = patience;
      return this;
    }

    /** Events on a new H2 database under target/ ({@link Journal#H2}) or in memory. */
    public Builder journal(Journal journal) {
      if (journal == Journal.DATABASE) throw new IllegalArgumentException("a database needs its URL: journal(url, user, password)");
      this.journal = journal;
      return this;
    }

    /**
     * Events (and the read side) on this database, H2 or PostgreSQL ({@code jdbc:postgresql:…}),
     * where the kit creates its tables when missing.
     */
    public Builder journal(String jdbcUrl, String user, String password) {
      this.journal = Journal.DATABASE;
      this.dbUrl = jdbcUrl;
      this.dbUser = user;
      this.dbPassword = password;
      return this;
    }

    /** Any other setting, in HOCON (e.g. {@code "mini-ups.dispatch.max-shipments-per-trip = 1"}). */
    public Builder config(String hocon) {
      this.extra = ConfigFactory.parseString(hocon).withFallback(extra);
      return this;
    }

    /** Starts UPS and waits until its components are up (the links stay closed until {@link #connect}). */
    public UpsTestKit start() {
      String name = "ups-kit-" + UUID.randomUUID().toString().substring(0, 8);
      ScriptedWorld world = new ScriptedWorld(WORLD_ID);
      ScriptedAmazon amazon = new ScriptedAmazon(WORLD_ID);
      PeerLinks links =
          new PeerLinks() {
            @Override
            public Behavior<LinkConnection.Command> world(
                Ends ends, List<WorldConnection.TruckInit> fleet, ActorRef<WorldIdentity.Command> identity) {
              return world.link(ends);
            }

            @Override
            public Behavior<LinkConnection.Command> amazon(
                Ends ends, ActorRef<LinkConnection.Command> worldLink) {
              return amazon.link(ends);
            }
          };
      CompletableFuture<UpsComponents> started = new CompletableFuture<>();
      ActorSystem<UpsGuardian.Command> system =
          ActorSystem.create(UpsGuardian.create(LocalPlacement::new, links, Clock.systemUTC(), started), name, systemConfig(name));
      ActorTestKit testKit = ActorTestKit.create(system);
      try {
        return new UpsTestKit(testKit, started.get(30, TimeUnit.SECONDS), world, amazon, patience);
      } catch (Exception e) {
        testKit.shutdownTestKit();
        throw new IllegalStateException("UPS did not start in the kit: " + e.getMessage(), e);
      }
    }

    private Config systemConfig(String name) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(
          AppConfig.DB_URL,
          switch (journal) {
            // The read side (accounts, tracking numbers) needs a database even when events do not.
            case IN_MEMORY -> "jdbc:h2:mem:" + name;
            case H2 -> "jdbc:h2:file:./target/ups-kit/" + name;
            case DATABASE -> dbUrl;
          });
      settings.put("mini-ups.db.user", dbUser);
      settings.put("mini-ups.db.password", dbPassword);
      settings.put("mini-ups.fleet.trucks", trucks);
      settings.put("mini-ups.fleet.query-interval", truckQueries.toMillis() + "ms");
      settings.put("mini-ups.link.resend-interval", resendInterval.toMillis() + "ms");
      settings.put("mini-ups.world.id", WORLD_ID);
      // Time is manual here: a loaded truck leaves at once unless a test asks for the wait
      // (config("mini-ups.dispatch.consolidation-wait = 3s"), then lets the time pass).
      settings.put("mini-ups.dispatch.consolidation-wait", "0s");
      settings.put("pekko.actor.provider", "local");
      settings.put("pekko.loglevel", "WARNING");
      Config base = extra.withFallback(AppConfig.load(settings));
      Config manual = ManualTime.config().withFallback(TIMEOUTS_OUT_OF_REACH);
      if (journal != Journal.IN_MEMORY) return manual.withFallback(base);
      return manual
          .withFallback(PersistenceTestKitPlugin.getInstance().config())
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(base);
    }
  }

  /** Opens both links as {@code serve} does once its peers answer; the fleet then starts. */
  public void connect() {
    components.connectToPeers();
    world.awaitOpened();
    amazon.awaitOpened();
  }

  public ScriptedWorld world() {
    return world;
  }

  public ScriptedAmazon amazon() {
    return amazon;
  }

  public ManualTime time() {
    return time;
  }

  /**
   * Lets {@code duration} of ManualTime pass: timers due meanwhile fire. It passes once both links
   * have handed on what the test sent them (see {@link KitClock}).
   */
  public void timePasses(Duration duration) {
    clock.passes(duration);
  }

  public Duration resendInterval() {
    return testKit.system().settings().config().getDuration("mini-ups.link.resend-interval");
  }

  /**
   * Stops truck {@code truckId} as a crash would (whatever it had not persisted is gone) and starts
   * it again from its journal, as a restarted node's first link opening does.
   */
  public void restartTruck(int truckId) {
    placement
        .forget(Truck.ENTITY_KEY, String.valueOf(truckId))
        .ifPresent(
            running -> {
              Adapter.toClassic(running).tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
              testKit.createTestProbe().expectTerminated(running, patience);
            });
    truck(truckId);
  }

  /** Truck {@code truckId} as it stands (starting it when it is not running). */
  public Truck.Summary truck(int truckId) {
    return ask(components.truck(truckId), Truck.GetSummary::new);
  }

  /** Shipment {@code shipId} as tracking shows it. */
  public Shipment.Summary shipment(long shipId) {
    return ask(components.shipment(shipId), Shipment.Get::new);
  }

  /** Every component, for what the kit has no method for (e.g. the outboxes' status). */
  public UpsComponents components() {
    return components;
  }

  public ActorTestKit testKit() {
    return testKit;
  }

  private <T, R> R ask(RecipientRef<T> target, Function<ActorRef<R>, T> message) {
    try {
      return AskPattern.<T, R>ask(target, message::apply, patience, testKit.system().scheduler())
          .toCompletableFuture()
          .get(patience.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer within " + patience.toSeconds() + " s from " + target + ": " + e, e);
    }
  }

  /** Stops UPS as {@code serve} stops (links, then entities, then the database). */
  @Override
  public void close() {
    testKit.shutdownTestKit();
  }
}
