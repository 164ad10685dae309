package org.miniups.node;

import org.apache.pekko.actor.typed.ActorRef;
import org.miniups.Placement;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.SequenceAllocator;

/**
 * The links' durable outgoing ends, one per peer: they start before the entities that write to
 * them.
 */
public record Outboxes(ActorRef<ResendSupervisor.Command> world, ActorRef<ResendSupervisor.Command> amazon) {

  /** Starts both outboxes and the allocator of their sequence numbers. */
  public static Outboxes init(Placement placement) {
    ActorRef<SequenceAllocator.Command> allocator = SequenceAllocator.init(placement);
    return new Outboxes(ResendSupervisor.init(placement, "world", allocator), ResendSupervisor.init(placement, "amazon", allocator));
  }
}
