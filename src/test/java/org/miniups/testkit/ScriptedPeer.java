package org.miniups.testkit;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TextFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.miniups.node.PeerLinks;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;

/**
 * What the scripted World and the scripted Amazon share: the link actor in the connection's place,
 * what UPS sent (read in order by the {@code expect} methods), and the test's own items to UPS,
 * numbered 1, 2, 3… as a peer numbers them. Items are shown as the protobuf messages of
 * PROTOCOL.md, with the seqnums UPS gave them.
 */
public abstract class ScriptedPeer {
  private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);

  private final String peerName;
  private final long target;
  private final ScriptedLink.Traffic traffic =
      new ScriptedLink.Traffic(new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>());
  private final CompletableFuture<ActorRef<Object>> link = new CompletableFuture<>();
  private final CompletableFuture<Done> opened = new CompletableFuture<>();
  private final Map<Long, Message> sentToUps = new HashMap<>();
  private final List<Long> acksNotExpected = new ArrayList<>();
  private long nextSeqnum = 1;
  private KitClock clock;
  private Scheduler scheduler;
  private Duration patience;
  private ActorRef<ResendSupervisor.Command> outbox;
  private ActorRef<InboundDedup.Command> inbox;

  ScriptedPeer(String peerName, long target) {
    this.peerName = peerName;
    this.target = target;
  }

  /** The link's behavior, for {@link PeerLinks}. */
  Behavior<LinkConnection.Command> link(PeerLinks.Ends ends) {
    this.outbox = ends.outbox();
    this.inbox = ends.inbox();
    return ScriptedLink.create(ends, target, traffic, link, opened);
  }

  void attach(KitClock clock, Scheduler scheduler, Duration patience) {
    this.clock = clock;
    this.scheduler = scheduler;
    this.patience = patience;
  }

  void awaitOpened() {
    await(opened, "UPS to open its link to " + peerName);
  }

  /** The protobuf message UPS would put on the wire for {@code item}, with its seqnum. */
  abstract Message onTheWire(ResendSupervisor.Item item);

  /** The UPS items in {@code message} (one of the peer's item types), decoded as the link decodes them. */
  abstract List<LinkConnection.Received> decode(Message item);

  /**
   * Judges what passes the link by the protocol's rules, as far as this peer can observe them: our
   * item {@code sent}, UPS's item {@code received}, UPS's acks. A breach fails the test at once
   * with the rule it broke. The default judges nothing.
   */
  void judgeSent(Message sent) {}

  void judgeReceived(Message received) {}

  void judgeAcks(List<Long> acks) {}

  /** Whether this peer sent UPS an item under {@code seqnum}. */
  boolean sentToUps(long seqnum) {
    return sentToUps.containsKey(seqnum);
  }

  // --- what UPS sends

  /** The next item UPS sends, whatever it is. */
  public Message next() {
    return expect(Message.class, "an item", m -> true);
  }

  /** The next item UPS sends, which must be a {@code type}. */
  public <T extends Message> T expect(Class<T> type) {
    return expect(type, "a " + type.getSimpleName(), m -> true);
  }

  /**
   * The next item UPS sends, which must be a {@code type} that {@code matches}; else the test fails
   * with "expected {@code what}, got …" naming what came instead (or that nothing did).
   */
  public <T extends Message> T expect(Class<T> type, String what, Predicate<T> matches) {
    ResendSupervisor.Item item;
    try {
      item = traffic.items().poll(patience.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what);
    }
    if (item == null) {
      throw new AssertionError(
          "expected " + what + " from UPS to " + peerName + ", got nothing within " + seconds(patience)
              + " (unacked items come again only when time passes the resend interval)");
    }
    Message sent = onTheWire(item);
    judgeReceived(sent);
    if (!type.isInstance(sent) || !matches.test(type.cast(sent))) {
      throw new AssertionError("expected " + what + " from UPS to " + peerName + ", got " + describe(sent));
    }
    return type.cast(sent);
  }

  /**
   * Lets {@code duration} of ManualTime pass as {@link UpsTestKit#timePasses} does (timers fire:
   * re-sends, retries), then checks that UPS sent {@code peerName} nothing: neither before nor
   * because of it. The outbox and the link have handled everything the timers gave them before the
   * check.
   */
  public void expectNoMessage(Duration duration) {
    clock.passes(duration);
    settle();
    ResendSupervisor.Item item = traffic.items().poll();
    if (item != null) {
      Message sent = onTheWire(item);
      judgeReceived(sent);
      throw new AssertionError(
          "expected nothing more from UPS to " + peerName + " within " + seconds(duration) + " of ManualTime, got "
              + describe(sent));
    }
  }

  /** Acks these seqnums of UPS's items, as the peer does once it has them. */
  public void ack(long... seqnums) {
    List<Long> list = new ArrayList<>();
    for (long seqnum : seqnums) list.add(seqnum);
    linkRef().tell(new ScriptedLink.PeerAcked(list));
  }

  /** Acks these items of UPS's (as returned by the {@code expect} methods). */
  public void ack(Message... items) {
    long[] seqnums = new long[items.length];
    for (int i = 0; i < items.length; i++) seqnums[i] = seqnumOf(items[i]);
    ack(seqnums);
  }

  /**
   * Waits for UPS's next ack of our item {@code seqnum}; each call takes one ack (a repeat of an
   * item is acked again). Acks of other items may come first and are kept for their own calls.
   */
  public void expectAck(long seqnum) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (!acksNotExpected.remove(Long.valueOf(seqnum))) {
      Long ack;
      try {
        ack = traffic.acks().poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for an ack");
      }
      if (ack == null) {
        throw new AssertionError(
            "expected UPS to ack " + peerName + "'s seqnum " + seqnum + " within " + seconds(patience)
                + ", got acks of " + acksNotExpected + " only");
      }
      judgeAcks(List.of(ack));
      acksNotExpected.add(ack);
    }
  }

  /** The inbox's counters: items UPS handled, and repeats it acked without handling them again. */
  public InboundDedup.Stats inboxStats() {
    return await(AskPattern.ask(inbox, InboundDedup.GetStats::new, patience, scheduler).toCompletableFuture(), "the inbox");
  }

  // --- what the peer sends

  /**
   * Sends {@code item} (one of the peer's item types, or its builder) to UPS. An item without a
   * seqnum gets the peer's next one; returns the seqnum it went with.
   */
  public long send(MessageOrBuilder item) {
    Message.Builder builder = item instanceof Message.Builder b ? b.clone() : ((Message) item).toBuilder();
    Descriptors.FieldDescriptor field = builder.getDescriptorForType().findFieldByName("seqnum");
    long seqnum = builder.hasField(field) ? seqnumOf(builder) : nextSeqnum++;
    // Built in full: a message missing a field the protocol requires fails here, as on the wire.
    Message message = builder.setField(field, seqnum).build();
    if (!sentToUps.containsKey(seqnum)) judgeSent(message);
    sentToUps.put(seqnum, message);
    linkRef().tell(new ScriptedLink.FromPeer(decode(message)));
    return seqnum;
  }

  /** Sends our item {@code seqnum} again, as a peer does until UPS acks it. */
  public void resend(long seqnum) {
    Message message = sentToUps.get(seqnum);
    if (message == null) throw new IllegalArgumentException(peerName + " sent no item with seqnum " + seqnum);
    linkRef().tell(new ScriptedLink.FromPeer(decode(message)));
  }

  // --- plumbing

  static long seqnumOf(MessageOrBuilder item) {
    Descriptors.FieldDescriptor field = item.getDescriptorForType().findFieldByName("seqnum");
    if (field == null) throw new IllegalArgumentException(item.getDescriptorForType().getName() + " has no seqnum");
    return (Long) item.getField(field);
  }

  /**
   * Waits until the link, the outbox and the link again have handled everything already sent to
   * them: what the test sent the link (an ack) has reached the outbox, and what the outbox sent
   * (items) the test's queue.
   */
  void settle() {
    syncLink();
    await(AskPattern.ask(outbox, ResendSupervisor.GetStatus::new, patience, scheduler).toCompletableFuture(), "the outbox");
    syncLink();
  }

  /** Waits until the link has handled what was sent to it; before UPS starts it there is nothing to wait for. */
  void syncLink() {
    if (!link.isDone()) return;
    await(AskPattern.<Object, Done>ask(linkRef(), ScriptedLink.Sync::new, patience, scheduler).toCompletableFuture(), "the link");
  }

  private ActorRef<Object> linkRef() {
    return await(link, "the link to " + peerName + " to start");
  }

  private <T> T await(CompletableFuture<T> future, String what) {
    try {
      return future.get(patience.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("waited " + seconds(patience) + " for " + what + " in vain");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what);
    } catch (ExecutionException e) {
      throw new AssertionError("waiting for " + what + " failed: " + e.getCause(), e.getCause());
    }
  }

  /** E.g. {@code UQuery(truckid: 3 seqnum: 12)}. */
  static String describe(Message message) {
    return message.getDescriptorForType().getName() + "(" + ONE_LINE.printToString(message).trim() + ")";
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
  }
}
