package org.miniups.testkit;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.miniups.node.PeerLinks;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;

/**
 * The actor in a link's place ({@code world-connection}, {@code amazon-connection}): the real
 * outbox hands it items to send and the real inbox its acks, as they would to a {@link
 * LinkConnection}; it puts both where the test reads them, and delivers what the test sends as
 * the peer. Opening it succeeds at once; leaving it (shutdown) closes it.
 */
final class ScriptedLink {
  private ScriptedLink() {}

  /** Items and acks from UPS, in the order the outbox and inbox handed them over. */
  record Traffic(BlockingQueue<ResendSupervisor.Item> items, BlockingQueue<Long> acks) {}

  /** The test, as the peer, sends these items to UPS. */
  record FromPeer(List<LinkConnection.Received> items) implements NoSerializationVerificationNeeded {}

  /** The test, as the peer, acks these UPS seqnums. */
  record PeerAcked(List<Long> seqnums) implements NoSerializationVerificationNeeded {}

  /** Answered once everything sent to the link before it has been handled. */
  record Sync(ActorRef<Done> replyTo) implements NoSerializationVerificationNeeded {}

  /**
   * @param self completed with the link's reference once it runs
   * @param opened completed when UPS first opens the link
   */
  static Behavior<LinkConnection.Command> create(
      PeerLinks.Ends ends,
      long target,
      Traffic traffic,
      CompletableFuture<ActorRef<Object>> self,
      CompletableFuture<Done> opened) {
    Behavior<Object> link =
        Behaviors.setup(
            context -> {
              self.complete(context.getSelf());
              boolean[] up = {false};
              return Behaviors.receive(Object.class)
                  .onMessage(
                      LinkConnection.Open.class,
                      open -> {
                        if (!up[0]) {
                          up[0] = true;
                          ends.outbox().tell(new ResendSupervisor.LinkUp(context.getSelf().narrow()));
                          opened.complete(Done.getInstance());
                        }
                        open.replyTo().tell(new LinkConnection.Opened(target, "connected!", true));
                        return Behaviors.same();
                      })
                  .onMessage(
                      LinkConnection.GetLinkState.class,
                      get -> {
                        get.replyTo().tell(new LinkConnection.LinkState(up[0], target, up[0] ? "scripted by a test" : "closed"));
                        return Behaviors.same();
                      })
                  .onMessage(
                      LinkConnection.Leave.class,
                      leave -> {
                        if (up[0]) ends.outbox().tell(new ResendSupervisor.LinkDown(context.getSelf().narrow()));
                        up[0] = false;
                        leave.replyTo().tell(Done.getInstance());
                        return Behaviors.same();
                      })
                  .onMessage(
                      ResendSupervisor.Transmit.class,
                      transmit -> {
                        if (up[0]) traffic.items().addAll(transmit.items());
                        return Behaviors.same();
                      })
                  .onMessage(
                      InboundDedup.Ack.class,
                      ack -> {
                        traffic.acks().add(ack.seqnum());
                        return Behaviors.same();
                      })
                  .onMessage(
                      FromPeer.class,
                      from -> {
                        for (LinkConnection.Received item : from.items()) {
                          ends.inbox().tell(new InboundDedup.Deliver(item.seqnum(), item.message(), context.getSelf().narrow()));
                        }
                        return Behaviors.same();
                      })
                  .onMessage(
                      PeerAcked.class,
                      acked -> {
                        ends.outbox().tell(new ResendSupervisor.Acked(acked.seqnums()));
                        return Behaviors.same();
                      })
                  .onMessage(
                      Sync.class,
                      sync -> {
                        sync.replyTo().tell(Done.getInstance());
                        return Behaviors.same();
                      })
                  .build();
            });
    return link.narrow();
  }
}
