package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.MessageLite;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.proto.WorldUps;

/**
 * A failure nobody expected (here: a protocol whose decoder throws) restarts the link: its
 * connection is closed, the outbox hears the link is down, and it connects again to the same
 * target.
 */
class LinkRestartTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());
  private static final Duration PATIENCE = Duration.ofSeconds(5);
  private static final long TARGET = 5;

  @AfterAll
  static void stopAll() {
    testKit.shutdownTestKit();
  }

  /** Greets with a UConnect naming the target, accepts any first frame, fails on every later one. */
  private static final class BuggyProtocol implements LinkConnection.Protocol {
    @Override
    public String peerName() {
      return "the test peer";
    }

    @Override
    public CompletionStage<Long> resolve(long requestedTarget) {
      return CompletableFuture.completedFuture(requestedTarget);
    }

    @Override
    public Optional<MessageLite> greeting(long target) {
      return Optional.of(WorldUps.UConnect.newBuilder().setIsAmazon(false).setWorldid(target).build());
    }

    @Override
    public CompletionStage<LinkConnection.Handshake> handshake(long target, ByteString firstFrame) {
      return CompletableFuture.completedFuture(
          new LinkConnection.Handshake(true, "connected!", target, true, List.of(), Optional.empty()));
    }

    @Override
    public MessageLite commands(List<ResendSupervisor.Item> items, List<Long> acks) {
      return WorldUps.UCommands.newBuilder().addAllAcks(acks).build();
    }

    @Override
    public LinkConnection.Inbound parse(long target, ByteString frame) {
      throw new IllegalStateException("a bug in the decoder");
    }

    @Override
    public Optional<MessageLite> farewell() {
      return Optional.empty();
    }

    @Override
    public String describe(long target) {
      return "target " + target;
    }
  }

  private static long joined(Socket socket) throws Exception {
    long target = WorldUps.UConnect.parseDelimitedFrom(socket.getInputStream()).getWorldid();
    WorldUps.UConnected.newBuilder().setWorldid(target).setResult("connected!").build().writeDelimitedTo(socket.getOutputStream());
    return target;
  }

  /** Read as closed, or reset: the link closed it with our bytes unread. */
  private static boolean closed(Socket socket) throws Exception {
    socket.setSoTimeout((int) PATIENCE.toMillis());
    try {
      return socket.getInputStream().read() == -1;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  @Test
  void aFailureRestartsTheLinkWhichConnectsAgainToItsTarget() throws Exception {
    TestProbe<ResendSupervisor.Command> outbox = testKit.createTestProbe();
    TestProbe<LinkConnection.Opened> opened = testKit.createTestProbe();
    try (ServerSocket peer = new ServerSocket(0)) {
      peer.setSoTimeout((int) PATIENCE.toMillis());
      var settings =
          new LinkConnection.Settings(
              "127.0.0.1", peer.getLocalPort(), 1024, Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(2),
              Duration.ofSeconds(10));
      ActorRef<LinkConnection.Command> link =
          testKit.spawn(
              LinkConnection.create(
                  settings, new BuggyProtocol(), outbox.getRef(), testKit.<InboundDedup.Command>createTestProbe().getRef()));
      link.tell(new LinkConnection.Open(TARGET, opened.getRef()));
      try (Socket first = peer.accept()) {
        assertEquals(TARGET, joined(first));
        assertTrue(opened.expectMessageClass(LinkConnection.Opened.class, PATIENCE).accepted());
        outbox.expectMessageClass(ResendSupervisor.LinkUp.class, PATIENCE);
        WorldUps.UResponses.newBuilder().addAcks(1).build().writeDelimitedTo(first.getOutputStream());
        outbox.expectMessageClass(ResendSupervisor.LinkDown.class, PATIENCE);
        assertTrue(closed(first), "the failed connection is closed");
        try (Socket second = peer.accept()) {
          assertEquals(TARGET, joined(second), "connects again to the same target");
          outbox.expectMessageClass(ResendSupervisor.LinkUp.class, PATIENCE);
        }
      }
      testKit.stop(link);
    }
  }
}
