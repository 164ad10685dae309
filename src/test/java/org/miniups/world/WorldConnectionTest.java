package org.miniups.world;

import org.miniups.FreePorts;
import org.miniups.TestLogs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.WorldUps;
import org.slf4j.LoggerFactory;

/** The World connection against a fake World on a raw socket: every way a connection goes wrong. */
class WorldConnectionTest {
  private static final ActorTestKit testKit = ActorTestKit.create(TestConfigs.inMemory());

  @AfterAll
  static void stopAll() {
    testKit.shutdownTestKit();
  }

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(LinkConnection.class);
  private ServerSocket fakeWorld;
  private TestProbe<ResendSupervisor.Command> outbox;
  private TestProbe<InboundDedup.Command> inbox;
  private ActorRef<LinkConnection.Command> connection;

  @BeforeEach
  void setUp() throws IOException {
    logs.start();
    logger.addAppender(logs);
    outbox = testKit.createTestProbe();
    inbox = testKit.createTestProbe();
  }

  @AfterEach
  void tearDown() throws IOException {
    logger.detachAppender(logs);
    if (connection != null) testKit.stop(connection);
    if (fakeWorld != null) fakeWorld.close();
  }

  private void connectTo(int port, long worldId) {
    var identity = testKit.spawn(WorldIdentity.create(PersistenceId.ofUniqueId("identity-" + UUID.randomUUID())));
    var settings =
        new LinkConnection.Settings("127.0.0.1", port, 1024, Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(2),
            Duration.ofSeconds(10));
    connection =
        testKit.spawn(
            WorldConnection.create(
                settings, List.of(new WorldConnection.TruckInit(1, 0, 0)), outbox.getRef(), inbox.getRef(), identity));
    connection.tell(new LinkConnection.Open(worldId, testKit.<LinkConnection.Opened>createTestProbe().getRef()));
  }

  private WorldUps.UConnect acceptHello(Socket socket) throws IOException {
    return WorldUps.UConnect.parseDelimitedFrom(socket.getInputStream());
  }

  private static void answer(Socket socket, long worldId, String result) throws IOException {
    WorldUps.UConnected.newBuilder().setWorldid(worldId).setResult(result).build().writeDelimitedTo(socket.getOutputStream());
  }

  private boolean logged(String fragment) {
    return TestLogs.seen(logs).stream().anyMatch(e -> e.getFormattedMessage().contains(fragment));
  }

  @Test
  void refusedConnectionIsLoggedInOneLineAndRetriedUntilTheWorldListens() throws Exception {
    int port = FreePorts.next();
    connectTo(port, 5);
    outbox.awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(logged("World at 127.0.0.1:" + port + " is not reachable (connection refused); retrying in"));
      return null;
    });
    assertTrue(TestLogs.seen(logs).stream().allMatch(e -> e.getThrowableProxy() == null), "no stack traces");

    fakeWorld = new ServerSocket(port);
    try (Socket socket = fakeWorld.accept()) {
      WorldUps.UConnect hello = acceptHello(socket);
      assertEquals(5, hello.getWorldid());
      assertEquals(1, hello.getTrucksCount());
      assertFalse(hello.getIsAmazon());
      answer(socket, 5, "connected!");
      outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
    }
  }

  @Test
  void refusedJoinIsRetriedWithBackoff() throws Exception {
    fakeWorld = new ServerSocket(0);
    connectTo(fakeWorld.getLocalPort(), 9);
    try (Socket first = fakeWorld.accept()) {
      acceptHello(first);
      answer(first, 9, "error: UPS already connected to world 9");
    }
    try (Socket second = fakeWorld.accept()) {
      assertEquals(9, acceptHello(second).getWorldid());
      answer(second, 9, "connected!");
      outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
    }
    assertTrue(logged("Handshake with the World at 127.0.0.1:" + fakeWorld.getLocalPort() + " failed: error: UPS already connected"));
  }

  @Test
  void aWorldThatNeverAnswersTheHandshakeIsDroppedAndTriedAgain() throws Exception {
    fakeWorld = new ServerSocket(0);
    connectTo(fakeWorld.getLocalPort(), 4);
    try (Socket silent = fakeWorld.accept()) {
      acceptHello(silent); // and say nothing
      try (Socket second = fakeWorld.accept()) {
        assertEquals(4, acceptHello(second).getWorldid());
        answer(second, 4, "connected!");
        outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
      }
    }
    assertTrue(logged("no answer to the handshake within"));
  }

  @Test
  void oversizedFrameDropsTheConnectionAndWeReconnect() throws Exception {
    fakeWorld = new ServerSocket(0);
    connectTo(fakeWorld.getLocalPort(), 3);
    try (Socket first = fakeWorld.accept()) {
      acceptHello(first);
      answer(first, 3, "connected!");
      outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
      OutputStream out = first.getOutputStream();
      out.write(new byte[] {(byte) 0x80, (byte) 0x80, 0x40}); // declares 1 MiB > our 1 KiB limit
      out.flush();
      try (Socket second = fakeWorld.accept()) {
        assertEquals(3, acceptHello(second).getWorldid(), "rejoins the same world");
        outbox.expectMessageClass(ResendSupervisor.LinkDown.class, Duration.ofSeconds(5));
        answer(second, 3, "connected!");
        outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
        WorldUps.UResponses.newBuilder()
            .addDelivered(WorldUps.UDeliveryMade.newBuilder().setTruckid(1).setPackageid(9).setSeqnum(502))
            .build()
            .writeDelimitedTo(second.getOutputStream());
        // The inbox hears items in order: the first it hears is this one, nothing of the big frame.
        assertEquals(502, inbox.expectMessageClass(InboundDedup.Deliver.class, Duration.ofSeconds(5)).seqnum());
      }
    }
    assertTrue(logged("exceeds the maximum of 1024 bytes"));
  }

  @Test
  void malformedBodyDropsTheConnectionAndWeReconnect() throws Exception {
    fakeWorld = new ServerSocket(0);
    connectTo(fakeWorld.getLocalPort(), 4);
    try (Socket first = fakeWorld.accept()) {
      acceptHello(first);
      answer(first, 4, "connected!");
      outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
      OutputStream out = first.getOutputStream();
      out.write(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff}); // 3 bytes that are not a UResponses
      out.flush();
      try (Socket second = fakeWorld.accept()) {
        assertEquals(4, acceptHello(second).getWorldid());
      }
    }
    assertTrue(logged("Protocol error from the World at 127.0.0.1"));
  }

  @Test
  void worldItemsGoToTheInboxAndAcksGoBackAfterHandling() throws Exception {
    fakeWorld = new ServerSocket(0);
    connectTo(fakeWorld.getLocalPort(), 6);
    try (Socket socket = fakeWorld.accept()) {
      acceptHello(socket);
      answer(socket, 6, "connected!");
      outbox.expectMessageClass(ResendSupervisor.LinkUp.class, Duration.ofSeconds(5));
      WorldUps.UResponses.newBuilder()
          .addAcks(77)
          .addDelivered(WorldUps.UDeliveryMade.newBuilder().setTruckid(1).setPackageid(9).setSeqnum(501))
          .build()
          .writeDelimitedTo(socket.getOutputStream());
      ResendSupervisor.Acked acked = outbox.expectMessageClass(ResendSupervisor.Acked.class, Duration.ofSeconds(5));
      assertEquals(List.of(77L), acked.seqnums());
      InboundDedup.Deliver deliver = inbox.expectMessageClass(InboundDedup.Deliver.class, Duration.ofSeconds(5));
      assertEquals(new WorldEvent.PackageDelivered(1, 9), deliver.message());
      // Only once the inbox says it is handled does the ack travel to the World.
      deliver.replyTo().tell(new InboundDedup.Ack(501));
      WorldUps.UCommands commands = WorldUps.UCommands.parseDelimitedFrom(socket.getInputStream());
      assertEquals(List.of(501L), commands.getAcksList());
    }
  }
}
