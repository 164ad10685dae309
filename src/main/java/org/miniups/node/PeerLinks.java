package org.miniups.node;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.miniups.amazon.AmazonConnection;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.world.WorldConnection;
import org.miniups.world.WorldIdentity;

/**
 * How a node reaches its two peers: the seam between UPS's actors and the wire. In production
 * each link owns a TCP socket ({@link #overTcp}); the testers' kit puts scripted peers here. A link
 * carries its outbox's items out and the peer's items into its inbox, and acks both ways.
 */
public interface PeerLinks {

  /** The actors a link connects: what it sends from and what it delivers to. */
  record Ends(ActorRef<ResendSupervisor.Command> outbox, ActorRef<InboundDedup.Command> inbox) {}

  Behavior<LinkConnection.Command> world(
      Ends ends, List<WorldConnection.TruckInit> fleet, ActorRef<WorldIdentity.Command> identity);

  /** Amazon names the world when it connects; the link then joins it through {@code world}. */
  Behavior<LinkConnection.Command> amazon(Ends ends, ActorRef<LinkConnection.Command> world);

  /** Real TCP connections to the World and Amazon given in {@code config}. */
  static PeerLinks overTcp(Config config) {
    Duration worldJoinPatience = config.getDuration("mini-ups.ask-timeout").multipliedBy(3);
    return new PeerLinks() {
      @Override
      public Behavior<LinkConnection.Command> world(
          Ends ends, List<WorldConnection.TruckInit> fleet, ActorRef<WorldIdentity.Command> identity) {
        return WorldConnection.create(WorldConnection.settings(config), fleet, ends.outbox(), ends.inbox(), identity);
      }

      @Override
      public Behavior<LinkConnection.Command> amazon(Ends ends, ActorRef<LinkConnection.Command> world) {
        return AmazonConnection.create(
            AmazonConnection.settings(config), world, worldJoinPatience, ends.outbox(), ends.inbox());
      }
    };
  }
}
