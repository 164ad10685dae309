package org.miniups.link;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.miniups.AppConfig;
import org.miniups.TestConfigs;
import org.miniups.TestConfigs.Database;
import org.miniups.node.UpsService;
import org.miniups.proto.UpsAmazon;
import org.miniups.proto.WorldUps;
import org.miniups.truck.Truck;
import org.slf4j.LoggerFactory;

/**
 * Resilience scenario 6: a hostile peer on either link. One UPS connects to a fake World and a
 * fake Amazon, each a plain {@link ServerSocket} on loopback; every test abuses one link and
 * proves UPS dropped or survived it as the contract says, logged it in one line without a stack
 * trace, and is connected and handling items again afterwards. Tests share the UPS: each leaves
 * both links up.
 */
class HostilePeerTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final long WORLD = 7;
  private static final int MAX_FRAME = 1024 * 1024; // the default MAX_FRAME_SIZE

  private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private static final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private static FakeWorld world;
  private static FakeAmazon amazon;
  private static UpsService ups;
  private static long nextSeqnum = 1;
  private int logMark;

  @BeforeAll
  static void start() throws Exception {
    logs.start();
    root.addAppender(logs);
    world = new FakeWorld();
    amazon = new FakeAmazon();
    Map<String, Object> settings = TestConfigs.node(Database.H2.freshUrl(), world.port(), 2);
    settings.put("mini-ups.amazon.host", "127.0.0.1");
    settings.put("mini-ups.amazon.port", amazon.port());
    ups = UpsService.start(AppConfig.load(settings));
    ups.connectToPeers();
    // Amazon names the world; UPS joins it before it answers Amazon.
    amazon.acceptAndNameWorld(WORLD);
    world.acceptAndJoin();
    amazon.expectConnected();
  }

  @AfterAll
  static void stop() throws Exception {
    root.detachAppender(logs);
    if (ups != null) ups.close();
    if (world != null) world.close();
    if (amazon != null) amazon.close();
  }

  @BeforeEach
  void markLogs() {
    logMark = logsSoFar().size();
  }

  static Stream<Peer> links() {
    return Stream.of(world, amazon);
  }

  // --- the scenarios

  @ParameterizedTest(name = "{0}")
  @MethodSource("links")
  void randomBytesDropTheLinkInOneLineAndUpsReconnects(Peer peer) throws Exception {
    // More than the largest frame: whatever length the garbage starts with, UPS has all of that
    // frame (or refuses the length) and judges it, rather than wait for the rest.
    byte[] garbage = new byte[MAX_FRAME + 16];
    new Random(6).nextBytes(garbage); // fixed: the same garbage every run
    peer.conn.writeUntilDropped(garbage);
    peer.conn.awaitClosed();
    peer.reconnect();
    assertOneDropLine(peer, "at 127.0.0.1:" + peer.port());
    assertHandlesItemsAgain(peer);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("links")
  void aTwoGibLengthPrefixDropsTheLinkWithoutWaitingForTheBody(Peer peer) throws Exception {
    // 2^31 as a varint, and no body: UPS must refuse the length, not allocate or wait for it.
    peer.conn.writeUntilDropped(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08});
    peer.conn.awaitClosed();
    peer.reconnect();
    assertOneDropLine(peer, "exceeds the maximum of " + MAX_FRAME + " bytes");
    assertHandlesItemsAgain(peer);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("links")
  void aFrameThatIsNotTheExpectedMessageDropsTheLink(Peer peer) throws Exception {
    peer.conn.writeUntilDropped(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    peer.conn.awaitClosed();
    peer.reconnect();
    assertOneDropLine(peer, "a message that does not parse");
    assertHandlesItemsAgain(peer);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("links")
  void aFrameWrittenOneByteAtATimeIsHandled(Peer peer) throws Exception {
    long seqnum = nextSeqnum++;
    for (byte b : peer.frameWithItems(List.of(seqnum))) peer.conn.write(new byte[] {b}); // a flush per byte
    peer.awaitAcked(Set.of(seqnum));
    assertEquals(List.of(), linkLines(), "the link stayed up");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("links")
  void tenThousandFramesInOneWriteAreAllHandledAndAcked(Peer peer) throws Exception {
    ByteArrayOutputStream oneWrite = new ByteArrayOutputStream();
    Set<Long> seqnums = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      long seqnum = nextSeqnum++;
      seqnums.add(seqnum);
      oneWrite.write(peer.frameWithItems(List.of(seqnum)));
    }
    peer.conn.write(oneWrite.toByteArray());
    peer.awaitAcked(seqnums);
    assertEquals(List.of(), linkLines(), "the link stayed up");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("links")
  void acksForSeqnumsUpsNeverSentAreIgnored(Peer peer) throws Exception {
    ResendSupervisor.Status before = status(peer.outbox());
    List<Long> neverSent = LongStream.rangeClosed(1, 1000).map(n -> 9_000_000_000L + n).boxed().toList();
    peer.conn.write(peer.acksOnly(neverSent));
    // On the same connection, an item after the acks is handled: nothing was dropped or stuck.
    assertHandlesItemsAgain(peer);
    ResendSupervisor.Status after = status(peer.outbox());
    assertEquals(before.unacked(), after.unacked(), "nothing of ours counted as acked");
    assertTrue(after.linkUp());
    assertTrue(logsSince().stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).count() <= 1,
        "at most one line for the message, never one per ack: " + lines(logsSince()));
    assertNoStackTraces();
  }

  @Test
  void worldReportsOnTrucksAndPackagesWeDoNotHaveAreAckedAndLogged() throws Exception {
    long finished = nextSeqnum++;
    long deliveredByStranger = nextSeqnum++;
    long unknownPackage = nextSeqnum++;
    long strangerStatus = nextSeqnum++;
    long errorForNothing = nextSeqnum++;
    world.conn.write(VarintFraming.encode(WorldUps.UResponses.newBuilder()
        .addCompletions(WorldUps.UFinished.newBuilder().setTruckid(999).setX(1).setY(1).setStatus("idle").setSeqnum(finished))
        .addDelivered(WorldUps.UDeliveryMade.newBuilder().setTruckid(999).setPackageid(5).setSeqnum(deliveredByStranger))
        .addDelivered(WorldUps.UDeliveryMade.newBuilder().setTruckid(1).setPackageid(777_777).setSeqnum(unknownPackage))
        .addTruckstatus(WorldUps.UTruck.newBuilder().setTruckid(998).setStatus("idle").setX(0).setY(0).setSeqnum(strangerStatus))
        .addError(WorldUps.UErr.newBuilder().setErr("no such truck").setOriginseqnum(123_456_789).setSeqnum(errorForNothing))
        .build()).toArray());
    // Acked, so the World stops re-sending them.
    world.awaitAcked(Set.of(finished, deliveredByStranger, unknownPackage, strangerStatus, errorForNothing));
    // The inbox acks once it has recorded an item; the handling (and its log line) may follow.
    await("the strangers logged").atMost(PATIENCE).untilAsserted(() -> {
      assertTrue(logged("truck 999, which is not in our fleet"), () -> String.join("\n", lines(logsSince())));
      assertTrue(logged("truck 998, which is not in our fleet"), () -> String.join("\n", lines(logsSince())));
      assertTrue(logged("World error for our command 123456789"), () -> String.join("\n", lines(logsSince())));
    });
    assertNoStackTraces();
    // Everyone is still there: the truck that got a stranger's package, both links.
    Truck.Summary truck1 = ups.truck(1).<Truck.Summary>ask(Truck.GetSummary::new, PATIENCE).toCompletableFuture().get();
    assertEquals(Truck.Phase.IDLE, truck1.phase());
    assertEquals(0, truck1.delivered(), "a package we never had is not counted");
    assertEquals(List.of(), linkLines(), "no link dropped");
    assertHandlesItemsAgain(world);
    assertHandlesItemsAgain(amazon);
  }

  @Test
  void anAmazonThatNamesAnotherWorldOnReconnectIsRefusedAndTheWorldLinkStays() throws Exception {
    amazon.conn.close();
    amazon.acceptAndNameWorld(WORLD + 1);
    UpsAmazon.UAConnected refusal = amazon.expectConnectedAnswer();
    assertEquals(WORLD + 1, refusal.getWorldid());
    assertTrue(refusal.getResult().startsWith("error:"), refusal.getResult());
    assertTrue(refusal.getResult().contains("belongs to world " + WORLD + "; refusing to join world " + (WORLD + 1)),
        refusal.getResult());
    amazon.conn.awaitClosed();
    LinkConnection.LinkState worldLink = linkState(ups.worldConnection());
    assertTrue(worldLink.connected(), worldLink.detail());
    assertEquals(WORLD, worldLink.target(), "the World link stays in our world");
    // Amazon tries again with our world: connected as before.
    amazon.reconnect();
    assertHandlesItemsAgain(amazon);
    assertNoStackTraces();
  }

  @Test
  void anAmazonThatNamesAnotherWorldLaterOnTheLinkIsDroppedNotFollowed() throws Exception {
    long query = nextSeqnum++;
    // A later message naming another world, with a request for it: a protocol error.
    amazon.conn.write(VarintFraming.encode(UpsAmazon.AUCommands.newBuilder()
        .setWorld(UpsAmazon.AUWorld.newBuilder().setWorldid(WORLD + 2))
        .addQueries(UpsAmazon.AUQuery.newBuilder().setShipid(1).setSeqnum(query))
        .build()).toArray());
    List<Message> before = amazon.conn.awaitClosed();
    assertTrue(before.stream().noneMatch(m -> acksOf(m).contains(query)), "its request was not taken: " + before);
    amazon.reconnect();
    assertOneDropLine(amazon, "names world " + (WORLD + 2) + " on a link to world " + WORLD);
    assertEquals(WORLD, linkState(ups.worldConnection()).target());
    assertHandlesItemsAgain(amazon);
  }

  // --- what every scenario checks

  /** A fresh item on the current connection is handled and acked. */
  private static void assertHandlesItemsAgain(Peer peer) throws Exception {
    long seqnum = nextSeqnum++;
    peer.conn.write(peer.frameWithItems(List.of(seqnum)));
    peer.awaitAcked(Set.of(seqnum));
  }

  /** Since the test began: one line for the drop, with what the peer did, and no stack trace. */
  private void assertOneDropLine(Peer peer, String what) {
    List<ILoggingEvent> drops = linkWarnings();
    assertEquals(1, drops.size(), "one line per drop: " + lines(drops));
    String line = drops.get(0).getFormattedMessage();
    assertTrue(line.contains(peer.name) && line.contains(what) && line.contains("reconnecting in"), line);
    assertNoStackTraces();
  }

  private void assertNoStackTraces() {
    List<ILoggingEvent> traced = logsSince().stream().filter(e -> e.getThrowableProxy() != null).toList();
    assertEquals(List.of(), lines(traced), "no stack traces");
  }

  private List<ILoggingEvent> linkWarnings() {
    return logsSince().stream()
        .filter(e -> e.getLoggerName().equals(LinkConnection.class.getName()) && e.getLevel().isGreaterOrEqual(Level.WARN))
        .toList();
  }

  private List<String> linkLines() {
    return lines(linkWarnings());
  }

  private boolean logged(String fragment) {
    return logsSince().stream().anyMatch(e -> e.getFormattedMessage().contains(fragment));
  }

  private List<ILoggingEvent> logsSince() {
    List<ILoggingEvent> all = logsSoFar();
    return all.subList(logMark, all.size());
  }

  private static List<ILoggingEvent> logsSoFar() {
    synchronized (logs) { // the appender appends under this lock
      return new ArrayList<>(logs.list);
    }
  }

  private static List<String> lines(List<ILoggingEvent> events) {
    return events.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  private static ResendSupervisor.Status status(ActorRef<ResendSupervisor.Command> outbox) throws Exception {
    return AskPattern.<ResendSupervisor.Command, ResendSupervisor.Status>ask(
            outbox, ResendSupervisor.GetStatus::new, PATIENCE, ups.system().scheduler())
        .toCompletableFuture()
        .get();
  }

  private static LinkConnection.LinkState linkState(ActorRef<LinkConnection.Command> link) throws Exception {
    return AskPattern.<LinkConnection.Command, LinkConnection.LinkState>ask(
            link, LinkConnection.GetLinkState::new, PATIENCE, ups.system().scheduler())
        .toCompletableFuture()
        .get();
  }

  @SuppressWarnings("unchecked")
  private static List<Long> acksOf(Message fromUps) {
    return (List<Long>) fromUps.getField(fromUps.getDescriptorForType().findFieldByName("acks"));
  }

  /** The seqnums of every item in a message (each item type has a field "seqnum"). */
  private static List<Long> itemSeqnums(Message fromUps) {
    List<Long> seqnums = new ArrayList<>();
    for (FieldDescriptor field : fromUps.getDescriptorForType().getFields()) {
      if (!field.isRepeated() || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) continue;
      for (int i = 0; i < fromUps.getRepeatedFieldCount(field); i++) {
        Message item = (Message) fromUps.getRepeatedField(field, i);
        FieldDescriptor seqnum = item.getDescriptorForType().findFieldByName("seqnum");
        if (seqnum != null) seqnums.add((Long) item.getField(seqnum));
      }
    }
    return seqnums;
  }

  // --- the fake peers

  /** One end of a link as the fake peer sees it; UPS connects to it. */
  abstract static class Peer {
    final String name;
    final ServerSocket server;
    Conn conn;

    Peer(String name) throws Exception {
      this.name = name;
      this.server = new ServerSocket(0);
      server.setSoTimeout((int) PATIENCE.toMillis()); // accept fails rather than hang
    }

    int port() {
      return server.getLocalPort();
    }

    abstract ActorRef<ResendSupervisor.Command> outbox();

    /** UPS came back after a drop: take the new connection through the handshake. */
    abstract void reconnect() throws Exception;

    /** One valid frame, one harmless item per seqnum. */
    abstract byte[] frameWithItems(List<Long> seqnums);

    abstract byte[] acksOnly(List<Long> seqnums);

    Conn accept(Parser<? extends Message> first, Parser<? extends Message> rest) throws Exception {
      Socket socket = server.accept();
      socket.setTcpNoDelay(true); // a write of one byte travels as one
      conn = new Conn(socket, first, rest);
      return conn;
    }

    /** Reads what UPS sends, acking its items as a peer does, until all of {@code seqnums} are acked. */
    void awaitAcked(Set<Long> seqnums) {
      Set<Long> missing = new HashSet<>(seqnums);
      await(name + " hears acks for " + seqnums.size() + " items").atMost(PATIENCE).pollInSameThread()
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
          .until(() -> {
            Message fromUps = conn.next();
            acksOf(fromUps).forEach(missing::remove);
            List<Long> items = itemSeqnums(fromUps);
            if (!items.isEmpty()) conn.write(acksOnly(items));
            return missing.isEmpty();
          });
    }

    @Override
    public String toString() {
      return name;
    }

    void close() throws Exception {
      if (conn != null) conn.close();
      server.close();
    }
  }

  static final class FakeWorld extends Peer {
    FakeWorld() throws Exception {
      super("the World");
    }

    void acceptAndJoin() throws Exception {
      accept(WorldUps.UConnect.parser(), WorldUps.UCommands.parser());
      WorldUps.UConnect hello = (WorldUps.UConnect) conn.next();
      assertEquals(WORLD, hello.getWorldid(), "UPS joins its own world");
      conn.write(VarintFraming.encode(
          WorldUps.UConnected.newBuilder().setWorldid(WORLD).setResult("connected!").build()).toArray());
    }

    @Override
    ActorRef<ResendSupervisor.Command> outbox() {
      return ups.worldOutbox();
    }

    @Override
    void reconnect() throws Exception {
      acceptAndJoin();
    }

    @Override
    byte[] frameWithItems(List<Long> seqnums) {
      // A truck's position: handled by the truck, changes nothing.
      WorldUps.UResponses.Builder out = WorldUps.UResponses.newBuilder();
      seqnums.forEach(s -> out.addTruckstatus(WorldUps.UTruck.newBuilder().setTruckid(1).setStatus("idle").setX(0).setY(0).setSeqnum(s)));
      return VarintFraming.encode(out.build()).toArray();
    }

    @Override
    byte[] acksOnly(List<Long> seqnums) {
      return VarintFraming.encode(WorldUps.UResponses.newBuilder().addAllAcks(seqnums).build()).toArray();
    }
  }

  static final class FakeAmazon extends Peer {
    FakeAmazon() throws Exception {
      super("Amazon");
    }

    void acceptAndNameWorld(long worldId) throws Exception {
      accept(UpsAmazon.UACommands.parser(), UpsAmazon.UACommands.parser());
      conn.write(VarintFraming.encode(UpsAmazon.AUCommands.newBuilder()
          .setWorld(UpsAmazon.AUWorld.newBuilder().setWorldid(worldId)).build()).toArray());
    }

    UpsAmazon.UAConnected expectConnectedAnswer() throws Exception {
      UpsAmazon.UACommands answer = (UpsAmazon.UACommands) conn.next();
      assertTrue(answer.hasConnected(), "UPS answers the world first: " + answer);
      return answer.getConnected();
    }

    void expectConnected() throws Exception {
      assertEquals("connected!", expectConnectedAnswer().getResult());
    }

    @Override
    ActorRef<ResendSupervisor.Command> outbox() {
      return ups.amazonOutbox();
    }

    @Override
    void reconnect() throws Exception {
      acceptAndNameWorld(WORLD);
      expectConnected();
    }

    @Override
    byte[] frameWithItems(List<Long> seqnums) {
      // Amazon could not use a message of ours that it names: UPS logs it, nothing else changes.
      UpsAmazon.AUCommands.Builder out = UpsAmazon.AUCommands.newBuilder();
      seqnums.forEach(s -> out.addErrors(UpsAmazon.AUErr.newBuilder().setErr("hostile test").setOriginseqnum(0).setSeqnum(s)));
      return VarintFraming.encode(out.build()).toArray();
    }

    @Override
    byte[] acksOnly(List<Long> seqnums) {
      return VarintFraming.encode(UpsAmazon.AUCommands.newBuilder().addAllAcks(seqnums).build()).toArray();
    }
  }

  /** One accepted connection: a reader thread turns what UPS sends into a queue. */
  static final class Conn implements AutoCloseable {
    private static final Object CLOSED = new Object();
    private final Socket socket;
    private final OutputStream out;
    private final BlockingQueue<Object> fromUps = new LinkedBlockingQueue<>();

    Conn(Socket socket, Parser<? extends Message> first, Parser<? extends Message> rest) throws Exception {
      this.socket = socket;
      this.out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      Thread reader = new Thread(() -> {
        try {
          Parser<? extends Message> parser = first;
          for (Message m; (m = parser.parseDelimitedFrom(in)) != null; parser = rest) fromUps.add(m);
        } catch (IOException e) {
          // reset by UPS: closed, as far as the test is concerned
        }
        fromUps.add(CLOSED);
      }, "hostile-peer-reader");
      reader.setDaemon(true);
      reader.start();
    }

    void write(byte[] bytes) throws Exception {
      out.write(bytes);
      out.flush();
    }

    /** Writes bytes UPS should refuse: it may drop the connection before it read them all. */
    void writeUntilDropped(byte[] bytes) throws Exception {
      try {
        write(bytes);
      } catch (java.net.SocketException droppedWhileWriting) {
        // "Broken pipe" or "Connection reset": UPS closed it mid-write, as it should
      }
    }

    /** The next message from UPS; fails if none comes in time or UPS closed the connection. */
    Message next() throws InterruptedException {
      Object next = fromUps.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(next, "UPS sent nothing within " + PATIENCE);
      if (next == CLOSED) fail("UPS closed the connection");
      return (Message) next;
    }

    /** Waits until UPS closes the connection; what it sent before. */
    List<Message> awaitClosed() {
      List<Message> before = new ArrayList<>();
      // UPS may keep sending (re-sends) on a connection it should have dropped: one deadline.
      await("UPS closes the connection").atMost(PATIENCE).pollInSameThread()
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
          .until(() -> {
            Object next = fromUps.poll(100, TimeUnit.MILLISECONDS);
            if (next instanceof Message m) before.add(m);
            return next == CLOSED;
          });
      return before;
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }
}
