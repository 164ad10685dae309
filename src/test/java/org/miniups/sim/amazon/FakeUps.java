package org.miniups.sim.amazon;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.miniups.proto.UpsAmazon.AUCommands;
import org.miniups.proto.UpsAmazon.AUErr;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.AUQuery;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.proto.UpsAmazon.UAConnected;
import org.miniups.proto.UpsAmazon.UADelivered;
import org.miniups.proto.UpsAmazon.UAErr;
import org.miniups.proto.UpsAmazon.UAOutForDelivery;
import org.miniups.proto.UpsAmazon.UAPickupAccepted;
import org.miniups.proto.UpsAmazon.UAStatus;
import org.miniups.proto.UpsAmazon.UATruckArrived;
import org.miniups.proto.WorldUps.UCommands;
import org.miniups.proto.WorldUps.UConnect;
import org.miniups.proto.WorldUps.UConnected;
import org.miniups.proto.WorldUps.UDeliveryLocation;
import org.miniups.proto.WorldUps.UFinished;
import org.miniups.proto.WorldUps.UGoDeliver;
import org.miniups.proto.WorldUps.UGoPickup;
import org.miniups.proto.WorldUps.UInitTruck;
import org.miniups.proto.WorldUps.UResponses;

/**
 * Plays UPS against the simulated Amazon and World with plain sockets and protobuf-java's own
 * delimited framing, so the simulator's framing is checked by an independent implementation.
 * Reader threads feed one queue; the test thread handles it, acks what arrives (unless told not
 * to) and re-sends its own unacked requests, since the world may be flaky.
 */
final class FakeUps implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(15);
  private static final long RESEND_MILLIS = 200;

  private enum Peer {
    AMAZON,
    WORLD
  }

  private record Incoming(Peer from, Object message) {}

  private static final Object CLOSED = new Object();

  private final BlockingQueue<Incoming> inbox = new LinkedBlockingQueue<>();
  private final Socket amazonSocket;
  private Socket worldSocket;
  private long worldId = -1;
  private UConnected worldAnswer;
  private boolean amazonClosed;
  private long nextSeqnum = 1;
  private long lastResendNanos = System.nanoTime();
  private final Map<Long, MessageLite> unackedToAmazon = new LinkedHashMap<>();
  private final Map<Long, MessageLite> unackedToWorld = new LinkedHashMap<>();
  private final Map<Long, Integer> amazonAcks = new HashMap<>();
  private final Map<Long, Integer> amazonItemsReceived = new HashMap<>();
  private final Map<Long, Integer> worldItemsReceived = new HashMap<>();

  /** When false, Amazon's items are not acked, so Amazon keeps them for a re-send. */
  boolean ackAmazon = true;

  /** The UPS user ids that are accounts here: a pickup naming one is accepted userlinked. */
  Set<Long> accounts = Set.of();

  /** When true, each new AUQuery is answered with a UAStatus (status "created"). */
  boolean answerQueries = true;

  /** First arrival of each, in order. */
  final Map<Long, AUPickup> pickups = new LinkedHashMap<>();
  final Map<Long, AULoaded> loaded = new LinkedHashMap<>();
  final Map<Long, AUQuery> queries = new LinkedHashMap<>();
  /** How many pickups each of Amazon's messages with pickups carried, and its largest body. */
  final List<Integer> pickupsPerMessage = new ArrayList<>();
  int largestMessageBytes;
  final List<AUErr> amazonErrors = new ArrayList<>();
  final List<UFinished> completions = new ArrayList<>();
  final List<Long> deliveredPackages = new ArrayList<>();
  final List<String> worldErrors = new ArrayList<>();

  private FakeUps(int amazonPort) throws IOException {
    amazonSocket = open(amazonPort);
    startReader(amazonSocket, Peer.AMAZON, AUCommands.parser(), AUCommands.parser());
    pump("Amazon's greeting", () -> worldId >= 0);
  }

  /** Connects to Amazon and reads its first message, which must name the world. */
  static FakeUps connectToAmazon(int amazonPort) throws IOException {
    return new FakeUps(amazonPort);
  }

  long worldIdFromAmazon() {
    return worldId;
  }

  /** Joins the world Amazon named, retrying while the world still sees a previous UPS. */
  UConnected joinWorld(int worldUpsPort, UInitTruck... trucks) {
    // In this thread: the fake's state is not shared with Awaitility's poller.
    await("UPS joined world " + worldId).atMost(TIMEOUT).pollInSameThread()
        .pollInterval(Duration.ofMillis(20)).until(() -> tryJoin(worldUpsPort, trucks));
    return worldAnswer;
  }

  private boolean tryJoin(int worldUpsPort, UInitTruck... trucks) throws IOException {
    if (worldSocket != null) worldSocket.close();
    worldAnswer = null;
    worldSocket = open(worldUpsPort);
    startReader(worldSocket, Peer.WORLD, UConnected.parser(), UResponses.parser());
    send(worldSocket, UConnect.newBuilder().setWorldid(worldId).setIsAmazon(false).addAllTrucks(List.of(trucks)).build());
    pump("UConnected", () -> worldAnswer != null);
    return worldAnswer.getResult().equals("connected!");
  }

  static UInitTruck truck(int id, int x, int y) {
    return UInitTruck.newBuilder().setId(id).setX(x).setY(y).build();
  }

  /** Tells Amazon how joining the world went (no seqnum: not acked). */
  void answerConnected(String result) {
    answerConnected(worldId, result);
  }

  void answerConnected(long joinedWorldId, String result) {
    send(amazonSocket, UACommands.newBuilder()
        .setConnected(UAConnected.newBuilder().setWorldid(joinedWorldId).setResult(result))
        .build());
  }

  // ---- requests to Amazon (re-sent until acked) ----------------------------------------------

  /** Goes on from {@code next}, as a UPS that outlives its connections goes on numbering. */
  void continueSeqnumsFrom(long next) {
    nextSeqnum = Math.max(nextSeqnum, next);
  }

  /** Reserves the next seqnum, for an item built by hand. */
  long seqnum() {
    return nextSeqnum++;
  }

  long accepted(long shipId, int truckId) {
    return accepted(shipId, truckId, "T" + shipId);
  }

  long accepted(long shipId, int truckId, String trackingNumber) {
    return accepted(shipId, truckId, trackingNumber, userLinked(shipId));
  }

  long accepted(long shipId, int truckId, String trackingNumber, boolean userLinked) {
    long seqnum = seqnum();
    sendItems(UACommands.newBuilder()
        .addAccepted(acceptance(shipId, truckId, trackingNumber, userLinked, seqnum)).build());
    return seqnum;
  }

  /** A UAPickupAccepted the way UPS should write it. */
  UAPickupAccepted acceptance(long shipId, int truckId, long seqnum) {
    return acceptance(shipId, truckId, "T" + shipId, userLinked(shipId), seqnum);
  }

  private static UAPickupAccepted acceptance(
      long shipId, int truckId, String trackingNumber, boolean userLinked, long seqnum) {
    return UAPickupAccepted.newBuilder().setShipid(shipId).setTrackingnumber(trackingNumber)
        .setTruckid(truckId).setUserlinked(userLinked).setSeqnum(seqnum).build();
  }

  /** True when the pickup named one of {@link #accounts}. */
  private boolean userLinked(long shipId) {
    AUPickup pickup = pickups.get(shipId);
    return pickup != null && pickup.hasUpsuserid() && accounts.contains(pickup.getUpsuserid());
  }

  long truckArrived(int truckId, int warehouseId, List<Long> shipIds) {
    long seqnum = seqnum();
    sendItems(UACommands.newBuilder().addArrived(arrival(truckId, warehouseId, shipIds, seqnum)).build());
    return seqnum;
  }

  static UATruckArrived arrival(int truckId, int warehouseId, List<Long> shipIds, long seqnum) {
    return UATruckArrived.newBuilder()
        .setTruckid(truckId).setWhid(warehouseId).addAllShipids(shipIds).setSeqnum(seqnum).build();
  }

  long outForDelivery(long shipId, int x, int y) {
    long seqnum = seqnum();
    sendItems(UACommands.newBuilder().addOutfordelivery(UAOutForDelivery.newBuilder()
        .setShipid(shipId).setDestx(x).setDesty(y).setSeqnum(seqnum)).build());
    return seqnum;
  }

  long delivered(long shipId, int x, int y) {
    long seqnum = seqnum();
    sendItems(deliveredMessage(shipId, x, y, seqnum));
    return seqnum;
  }

  static UACommands deliveredMessage(long shipId, int x, int y, long seqnum) {
    return UACommands.newBuilder().addDelivered(UADelivered.newBuilder()
        .setShipid(shipId).setX(x).setY(y).setSeqnum(seqnum)).build();
  }

  long status(long shipId, String status) {
    long seqnum = seqnum();
    sendItems(UACommands.newBuilder().addStatus(UAStatus.newBuilder()
        .setShipid(shipId).setStatus(status).setX(0).setY(0).setSeqnum(seqnum)).build());
    return seqnum;
  }

  long error(String text, long amazonSeqnum) {
    long seqnum = seqnum();
    sendItems(UACommands.newBuilder().addErrors(UAErr.newBuilder()
        .setErr(text).setOriginseqnum(amazonSeqnum).setSeqnum(seqnum)).build());
    return seqnum;
  }

  /** Sends items in one UACommands; each is re-sent (with its message) until Amazon acks it. */
  void sendItems(UACommands message) {
    for (long seqnum : ProtocolReferee.itemSeqnums(message)) unackedToAmazon.put(seqnum, message);
    send(amazonSocket, message);
  }

  /** Sends a message as it is, outside the re-send machinery (e.g. a deliberate duplicate). */
  void sendToAmazon(UACommands message) {
    send(amazonSocket, message);
  }

  int amazonAckCount(long seqnum) {
    return amazonAcks.getOrDefault(seqnum, 0);
  }

  /** How often Amazon sent the item with this seqnum (re-sends included). */
  int timesReceivedFromAmazon(long amazonSeqnum) {
    return amazonItemsReceived.getOrDefault(amazonSeqnum, 0);
  }

  // ---- requests to the world (re-sent until acked) -------------------------------------------

  void goPickup(int truckId, int warehouseId) {
    long seqnum = nextSeqnum++;
    toWorld(seqnum, UCommands.newBuilder().addPickups(UGoPickup.newBuilder()
        .setTruckid(truckId).setWhid(warehouseId).setSeqnum(seqnum)).build());
  }

  void goDeliver(int truckId, List<UDeliveryLocation> stops) {
    long seqnum = nextSeqnum++;
    toWorld(seqnum, UCommands.newBuilder().addDeliveries(UGoDeliver.newBuilder()
        .setTruckid(truckId).addAllPackages(stops).setSeqnum(seqnum)).build());
  }

  private void toWorld(long seqnum, UCommands message) {
    unackedToWorld.put(seqnum, message);
    send(worldSocket, message);
  }

  long finishedCount(int truckId, String status) {
    return completions.stream()
        .filter(f -> f.getTruckid() == truckId && f.getStatus().equalsIgnoreCase(status))
        .count();
  }

  /**
   * The whole UPS side of a run with one truck: waits for {@code count} pickups, accepts them,
   * then per warehouse collects the batch and delivers it.
   */
  void deliverEverything(int count, int truckId) {
    pump(count + " pickups", () -> pickups.size() >= count);
    Map<Integer, List<AUPickup>> byWarehouse = new LinkedHashMap<>();
    for (AUPickup pickup : pickups.values()) {
      accepted(pickup.getShipid(), truckId);
      byWarehouse.computeIfAbsent(pickup.getWarehouse().getId(), id -> new ArrayList<>()).add(pickup);
    }
    byWarehouse.forEach((warehouseId, batch) -> {
      collect(truckId, warehouseId, batch);
      deliver(truckId, batch);
    });
    pump("Amazon's acks", () -> unackedToAmazon.isEmpty());
  }

  /** Truck to the warehouse, UATruckArrived, then wait for every AULoaded. */
  void collect(int truckId, int warehouseId, List<AUPickup> batch) {
    awaitAtWarehouse(truckId, warehouseId);
    List<Long> shipIds = batch.stream().map(AUPickup::getShipid).toList();
    truckArrived(truckId, warehouseId, shipIds);
    pump("AULoaded for " + shipIds, () -> loaded.keySet().containsAll(shipIds));
  }

  void awaitAtWarehouse(int truckId, int warehouseId) {
    long arrivals = finishedCount(truckId, "arrive warehouse");
    goPickup(truckId, warehouseId);
    pump("truck " + truckId + " at warehouse " + warehouseId,
        () -> finishedCount(truckId, "arrive warehouse") > arrivals);
  }

  /** UAOutForDelivery, UGoDeliver, wait for every UDeliveryMade, UADelivered. */
  void deliver(int truckId, List<AUPickup> batch) {
    List<Long> shipIds = batch.stream().map(AUPickup::getShipid).toList();
    List<UDeliveryLocation> stops = new ArrayList<>();
    for (AUPickup pickup : batch) {
      outForDelivery(pickup.getShipid(), pickup.getDestx(), pickup.getDesty());
      stops.add(UDeliveryLocation.newBuilder().setPackageid(pickup.getShipid())
          .setX(pickup.getDestx()).setY(pickup.getDesty()).build());
    }
    goDeliver(truckId, stops);
    pump("UDeliveryMade for " + shipIds, () -> deliveredPackages.containsAll(shipIds));
    for (AUPickup pickup : batch) delivered(pickup.getShipid(), pickup.getDestx(), pickup.getDesty());
  }

  boolean allAckedByAmazon() {
    return unackedToAmazon.isEmpty();
  }

  // ---- the loop ------------------------------------------------------------------------------

  /** Handles what arrives until {@code condition} holds; fails after {@link #TIMEOUT}. */
  void pump(String what, BooleanSupplier condition) {
    // In this thread: the fake's state is not shared with Awaitility's poller. Each evaluation
    // waits up to 20 ms for the next message (a blocking read), then re-sends what is overdue.
    await(what).atMost(TIMEOUT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(() -> {
          if (condition.getAsBoolean()) return true;
          Incoming next = inbox.poll(20, TimeUnit.MILLISECONDS);
          if (next != null) handle(next);
          resendOverdue();
          return condition.getAsBoolean();
        });
  }


  boolean amazonClosed() {
    return amazonClosed;
  }

  private void handle(Incoming incoming) {
    if (incoming.message() == CLOSED) {
      if (incoming.from() == Peer.AMAZON) amazonClosed = true;
      return;
    }
    if (incoming.message() instanceof AUCommands commands) {
      onAmazon(commands);
    } else if (incoming.message() instanceof UConnected connected) {
      worldAnswer = connected;
    } else {
      onWorld((UResponses) incoming.message());
    }
  }

  private void onAmazon(AUCommands commands) {
    if (commands.hasWorld()) worldId = commands.getWorld().getWorldid();
    for (long ack : commands.getAcksList()) {
      unackedToAmazon.remove(ack);
      amazonAcks.merge(ack, 1, Integer::sum);
    }
    largestMessageBytes = Math.max(largestMessageBytes, commands.getSerializedSize());
    if (commands.getPickupsCount() > 0) pickupsPerMessage.add(commands.getPickupsCount());
    List<Long> items = new ArrayList<>();
    commands.getPickupsList().forEach(p -> {
      items.add(p.getSeqnum());
      if (firstTime(amazonItemsReceived, p.getSeqnum())) pickups.putIfAbsent(p.getShipid(), p);
    });
    commands.getLoadedList().forEach(l -> {
      items.add(l.getSeqnum());
      if (firstTime(amazonItemsReceived, l.getSeqnum())) loaded.putIfAbsent(l.getShipid(), l);
    });
    commands.getErrorsList().forEach(e -> {
      items.add(e.getSeqnum());
      if (firstTime(amazonItemsReceived, e.getSeqnum())) amazonErrors.add(e);
    });
    commands.getQueriesList().forEach(q -> {
      items.add(q.getSeqnum());
      if (firstTime(amazonItemsReceived, q.getSeqnum())) {
        queries.put(q.getShipid(), q);
        if (answerQueries) status(q.getShipid(), "created");
      }
    });
    if (ackAmazon && !items.isEmpty() && !amazonClosed) {
      sendIfOpen(amazonSocket, UACommands.newBuilder().addAllAcks(items).build());
    }
  }

  private void onWorld(UResponses responses) {
    responses.getAcksList().forEach(unackedToWorld::remove);
    List<Long> items = new ArrayList<>();
    responses.getCompletionsList().forEach(f -> {
      items.add(f.getSeqnum());
      if (firstTime(worldItemsReceived, f.getSeqnum())) completions.add(f);
    });
    responses.getDeliveredList().forEach(d -> {
      items.add(d.getSeqnum());
      if (firstTime(worldItemsReceived, d.getSeqnum())) deliveredPackages.add(d.getPackageid());
    });
    responses.getErrorList().forEach(e -> {
      items.add(e.getSeqnum());
      if (firstTime(worldItemsReceived, e.getSeqnum())) worldErrors.add(e.getErr());
    });
    responses.getTruckstatusList().forEach(t -> items.add(t.getSeqnum()));
    if (!items.isEmpty()) sendIfOpen(worldSocket, UCommands.newBuilder().addAllAcks(items).build());
  }

  private static boolean firstTime(Map<Long, Integer> seen, long seqnum) {
    return seen.merge(seqnum, 1, Integer::sum) == 1;
  }

  private void resendOverdue() {
    long now = System.nanoTime();
    if (now - lastResendNanos < TimeUnit.MILLISECONDS.toNanos(RESEND_MILLIS)) return;
    lastResendNanos = now;
    unackedToAmazon.values().forEach(m -> sendIfOpen(amazonSocket, m));
    unackedToWorld.values().forEach(m -> sendIfOpen(worldSocket, m));
  }

  // ---- sockets -------------------------------------------------------------------------------

  private static Socket open(int port) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setTcpNoDelay(true);
    return socket;
  }

  private <F, R> void startReader(Socket socket, Peer peer, Parser<F> firstParser, Parser<R> parser)
      throws IOException {
    InputStream in = socket.getInputStream();
    Thread reader = new Thread(() -> {
      try {
        Object first = firstParser.parseDelimitedFrom(in);
        if (first != null) {
          inbox.add(new Incoming(peer, first));
          for (Object next; (next = parser.parseDelimitedFrom(in)) != null; ) {
            inbox.add(new Incoming(peer, next));
          }
        }
      } catch (IOException e) {
        // A reset connection is a closed connection for the tests.
      }
      inbox.add(new Incoming(peer, CLOSED));
    }, "fake-ups-" + peer);
    reader.setDaemon(true);
    reader.start();
  }

  private static void send(Socket socket, MessageLite message) {
    try {
      OutputStream out = socket.getOutputStream();
      message.writeDelimitedTo(out);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("send failed", e);
    }
  }

  /** A lost ack or re-send is harmless: the peer re-sends, we re-send on the next connection. */
  private static void sendIfOpen(Socket socket, MessageLite message) {
    if (socket == null || socket.isClosed()) return;
    try {
      message.writeDelimitedTo(socket.getOutputStream());
      socket.getOutputStream().flush();
    } catch (IOException e) {
      // closed by the peer
    }
  }

  @Override
  public void close() throws IOException {
    amazonSocket.close();
    if (worldSocket != null) worldSocket.close();
  }
}
