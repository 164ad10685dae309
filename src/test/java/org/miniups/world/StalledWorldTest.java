package org.miniups.world;

import org.miniups.TestLogs;
import static org.awaitility.Awaitility.await;
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
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.miniups.TestConfigs;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.link.VarintFraming;
import org.miniups.proto.WorldUps;

/**
 * A World that stalls in the middle of a frame, under ManualTime: after the frame read timeout the
 * connection is dropped and made again; a frame that completes in time, however slowly it came,
 * keeps it. (The Amazon link reads through the same TcpSession and decoder.)
 */
class StalledWorldTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(TestConfigs.inMemory()));
  private static final ManualTime time = ManualTime.get(testKit.system());
  private static final Duration FRAME_READ_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REAL_PATIENCE = Duration.ofSeconds(5);
  private static final long WORLD = 8;

  @AfterAll
  static void stopAll() {
    testKit.shutdownTestKit();
  }

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) org.slf4j.LoggerFactory.getLogger(LinkConnection.class);
  private ServerSocket fakeWorld;
  private TestProbe<ResendSupervisor.Command> outbox;
  private ActorRef<LinkConnection.Command> connection;

  @BeforeEach
  void setUp() throws IOException {
    logs.start();
    logger.addAppender(logs);
    outbox = testKit.createTestProbe();
    fakeWorld = new ServerSocket(0);
    fakeWorld.setSoTimeout((int) REAL_PATIENCE.toMillis()); // a failing test fails, not hangs
    var identity = testKit.spawn(WorldIdentity.create(PersistenceId.ofUniqueId("identity-" + UUID.randomUUID())));
    var settings =
        new LinkConnection.Settings(
            "127.0.0.1", fakeWorld.getLocalPort(), 4096, Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(2),
            FRAME_READ_TIMEOUT);
    connection =
        testKit.spawn(
            WorldConnection.create(
                settings, List.of(new WorldConnection.TruckInit(1, 0, 0)), outbox.getRef(),
                testKit.<InboundDedup.Command>createTestProbe().getRef(), identity));
    connection.tell(new LinkConnection.Open(WORLD, testKit.<LinkConnection.Opened>createTestProbe().getRef()));
  }

  @AfterEach
  void tearDown() throws IOException {
    logger.detachAppender(logs);
    testKit.stop(connection);
    fakeWorld.close();
  }

  private Socket joined() throws IOException {
    Socket socket = fakeWorld.accept();
    socket.setSoTimeout((int) REAL_PATIENCE.toMillis());
    assertEquals(WORLD, WorldUps.UConnect.parseDelimitedFrom(socket.getInputStream()).getWorldid());
    WorldUps.UConnected.newBuilder().setWorldid(WORLD).setResult("connected!").build().writeDelimitedTo(socket.getOutputStream());
    outbox.expectMessageClass(ResendSupervisor.LinkUp.class, REAL_PATIENCE);
    return socket;
  }

  private static ByteString acks(long from, long to) {
    return VarintFraming.encode(WorldUps.UResponses.newBuilder().addAllAcks(LongStream.range(from, to).boxed().toList()).build());
  }

  private static void write(Socket socket, ByteString bytes) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(bytes.toArray());
    out.flush();
  }

  private void expectAcked(long from, long to) {
    assertEquals(
        LongStream.range(from, to).boxed().toList(),
        outbox.expectMessageClass(ResendSupervisor.Acked.class, REAL_PATIENCE).seqnums());
  }

  /** Read as closed, or reset: UPS closed it with our bytes unread. */
  private static boolean closed(Socket socket) throws IOException {
    try {
      return socket.getInputStream().read() == -1;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  private boolean logged(String fragment) {
    return TestLogs.seen(logs).stream().anyMatch(e -> e.getFormattedMessage().contains(fragment));
  }

  @Test
  void halfAFrameAndThenATrickleIsDroppedAfterTheTimeoutAndTheLinkIsMadeAgain() throws Exception {
    try (Socket stalled = joined()) {
      // A whole frame (its ack proves UPS read this write), then the start of one of 100 bytes.
      write(stalled, acks(1, 2).concat(ByteString.fromArray(new byte[] {100, 8, 1, 8, 2})));
      expectAcked(1, 2);
      time.timePasses(FRAME_READ_TIMEOUT.dividedBy(2));
      write(stalled, ByteString.fromArray(new byte[] {8, 3})); // more bytes do not buy more time
      time.timePasses(FRAME_READ_TIMEOUT.dividedBy(2));

      outbox.expectMessageClass(ResendSupervisor.LinkDown.class, REAL_PATIENCE);
      // (7 or 9 bytes: whether UPS read the trickle before its deadline passed is up to the threads.)
      String prefix = "Protocol error from the World at 127.0.0.1:" + fakeWorld.getLocalPort() + ": half a frame (";
      String rest = " bytes), and not the rest within 10.0s; dropped the connection; reconnecting in";
      // The line may be written just after the outbox hears of the drop.
      await("one clear line").atMost(REAL_PATIENCE).ignoreExceptions().until(() -> logged(prefix) && logged(rest));
      assertTrue(closed(stalled), "the stalled connection is closed");
      time.timePasses(Duration.ofSeconds(1)); // the reconnect backoff
      try (Socket again = joined()) {
        write(again, acks(2, 3));
        expectAcked(2, 3);
      }
    }
  }

  @Test
  void aSlowFrameThatCompletesJustInTimeKeepsTheConnection() throws Exception {
    try (Socket slow = joined()) {
      ByteString frame = acks(10, 70);
      int quarter = frame.size() / 4;
      write(slow, acks(1, 2).concat(frame.take(quarter)));
      expectAcked(1, 2);
      for (int part = 1; part < 3; part++) {
        time.timePasses(Duration.ofSeconds(3));
        write(slow, frame.slice(part * quarter, (part + 1) * quarter));
      }
      time.timePasses(FRAME_READ_TIMEOUT.minus(Duration.ofSeconds(6)).minusMillis(1));
      write(slow, frame.drop(3 * quarter));
      expectAcked(10, 70);

      // Well past the first frame's deadline: the connection stands and carries frames.
      time.timePasses(FRAME_READ_TIMEOUT);
      write(slow, acks(99, 100));
      expectAcked(99, 100);
      assertFalse(logged("half a frame"), logs.list.toString());
    }
  }

  @Test
  void aPeerSilentBetweenFramesIsNotTimedOut() throws Exception {
    try (Socket quiet = joined()) {
      write(quiet, acks(1, 2));
      expectAcked(1, 2);
      time.timePasses(FRAME_READ_TIMEOUT.multipliedBy(3));
      write(quiet, acks(2, 3));
      expectAcked(2, 3);
      assertFalse(logged("half a frame"), logs.list.toString());
    }
  }
}
