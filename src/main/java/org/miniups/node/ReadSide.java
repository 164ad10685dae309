package org.miniups.node;

import com.typesafe.config.Config;
import java.time.Clock;
import org.apache.pekko.actor.typed.ActorRef;
import org.miniups.AppConfig;
import org.miniups.Placement;
import org.miniups.db.DatabaseMonitor;
import org.miniups.db.ReadSideDatabase;
import org.miniups.shipment.KnownTrackingNumbers;
import org.miniups.shipment.PackageDirectory;
import org.miniups.shipment.TrackingNumberRegister;
import org.miniups.user.Accounts;
import org.miniups.user.LoginLimiter;
import org.miniups.user.PasswordHasher;
import org.miniups.user.SessionTokens;
import org.miniups.user.UserRepository;

/** The node's actors over the read-side database: accounts, tracking numbers, the package index and the database's health. */
public record ReadSide(
    ReadSideDatabase database,
    SessionTokens sessions,
    ActorRef<Accounts.Command> accounts,
    ActorRef<PackageDirectory.Command> directory,
    KnownTrackingNumbers knownTrackingNumbers,
    ActorRef<TrackingNumberRegister.Command> trackingNumbers,
    ActorRef<DatabaseMonitor.Command> databaseMonitor) {

  /** Starts them on this node; {@code database}'s tables must exist. */
  public static ReadSide init(Placement placement, ReadSideDatabase database, Clock clock) {
    Config app = placement.system().settings().config().getConfig("mini-ups");
    Config accountSettings = app.getConfig("accounts");
    SessionTokens sessions =
        SessionTokens.fromConfig(
            accountSettings.getString("session-secret"), accountSettings.getDuration("session-lifetime"), clock);
    ActorRef<Accounts.Command> accounts =
        placement.spawn(
            Accounts.create(
                new UserRepository(database.dataSource(), clock),
                new PasswordHasher(
                    accountSettings.getInt("bcrypt-cost"), accountSettings.getInt("bcrypt-threads"), accountSettings.getInt("bcrypt-queue")),
                sessions,
                new LoginLimiter(
                    accountSettings.getInt("login-max-failures"), accountSettings.getDuration("login-window"),
                    accountSettings.getLong("login-limiter-size"), clock)),
            "accounts");
    ActorRef<PackageDirectory.Command> directory =
        placement.spawn(PackageDirectory.create(database.dataSource()), "package-directory");
    KnownTrackingNumbers known = new KnownTrackingNumbers(app.getLong("read-side.tracking-cache-size"));
    ActorRef<TrackingNumberRegister.Command> trackingNumbers =
        placement.spawn(TrackingNumberRegister.create(database.dataSource(), known), "tracking-numbers");
    ActorRef<DatabaseMonitor.Command> databaseMonitor =
        placement.spawn(
            DatabaseMonitor.create(
                database.dataSource(),
                placement.system().settings().config().getString(AppConfig.DB_URL),
                app.getDuration("db.check-interval"),
                clock),
            "database-monitor");
    return new ReadSide(database, sessions, accounts, directory, known, trackingNumbers, databaseMonitor);
  }
}
