package org.miniups.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import com.google.protobuf.MessageLite;
import org.miniups.proto.UpsAmazon.AUCommands;
import org.miniups.proto.UpsAmazon.AUErr;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.AUQuery;
import org.miniups.proto.UpsAmazon.AUWarehouse;
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
import org.miniups.proto.WorldUps.UDeliveryMade;
import org.miniups.proto.WorldUps.UErr;
import org.miniups.proto.WorldUps.UFinished;
import org.miniups.proto.WorldUps.UGoDeliver;
import org.miniups.proto.WorldUps.UGoPickup;
import org.miniups.proto.WorldUps.UInitTruck;
import org.miniups.proto.WorldUps.UResponses;
import org.miniups.proto.WorldUps.UTruck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The yardstick of the pipeline benchmark: a UPS that persists nothing and keeps all its state
 * in one thread. It speaks the real protocol over real TCP (seqnums, acks, re-sends of unacked
 * items, de-duplication of peer seqnums, Amazon's notices in causal order) and batches: every
 * round of the loop takes all messages that arrived, then sends at most one message per peer.
 * A broken connection ends it (no reconnect): the run it was part of is then void.
 *
 * <p>It lives under src/test rather than in the product or a bench-only source folder: it is never
 * shipped, it needs only the protobuf classes the tests already have, and {@code MinimalUpsTest}
 * beside it runs it against the simulators on every CI run, so the yardstick cannot rot; another
 * source folder would need another build plugin for the same result.
 */
public final class MinimalUps implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MinimalUps.class);
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  private static final String CONNECTED = "connected!";

  /**
   * @param maxShipmentsPerTrip the same knob as mini-ups.dispatch.max-shipments-per-trip
   * @param resendInterval unacked items go out again after this long
   */
  public record Settings(
      String amazonHost,
      int amazonPort,
      String worldHost,
      int worldPort,
      int trucks,
      int maxShipmentsPerTrip,
      Duration resendInterval) {}

  /** What it did so far; {@code failure} is set once a link broke and the loop stopped. */
  public record Stats(
      long worldId,
      long tripsStarted,
      long shipmentsDelivered,
      long worldErrors,
      long amazonErrors,
      long resentToWorld,
      long resentToAmazon,
      Optional<String> failure) {}

  private sealed interface Event {}

  private record FromAmazon(AUCommands commands) implements Event {}

  private record FromWorld(UResponses responses) implements Event {}

  private record LinkLost(String reason) implements Event {}

  private static final class Shipment {
    final AUPickup request; // without its seqnum: what a repeat with a new seqnum is compared to
    final int warehouseId;
    Integer truckId;
    int answersOwed = 1;
    boolean loaded;
    boolean outForDelivery;
    boolean delivered;

    Shipment(AUPickup request) {
      this.request = request;
      this.warehouseId = request.getWarehouse().getId();
    }
  }

  /** One truck's trip: to the warehouse, wait until every shipment is loaded, deliver. */
  private static final class Trip {
    final int truckId;
    final int warehouseId;
    final List<Shipment> shipments = new ArrayList<>();
    boolean atWarehouse;
    int loaded;
    boolean departed;

    Trip(int truckId, int warehouseId) {
      this.truckId = truckId;
      this.warehouseId = warehouseId;
    }
  }

  private final Settings settings;
  private final long worldId;
  private final Socket amazonSocket;
  private final Socket worldSocket;
  private final OutputStream amazonOut;
  private final OutputStream worldOut;
  private final BlockingQueue<Event> inbox = new LinkedBlockingQueue<>();
  private final Outbox<UACommands.Builder> amazon;
  private final Outbox<UCommands.Builder> world;
  private final long resendCheckNanos;
  private final Thread loop;
  private volatile boolean closing;
  private volatile Stats stats;

  // Owned by the loop thread.
  private final Map<Long, Shipment> shipments = new HashMap<>();
  private final Map<Integer, AUWarehouse> warehouses = new HashMap<>();
  private final Map<List<Integer>, Integer> warehouseByAddress = new HashMap<>();
  private final Map<Integer, ArrayDeque<Shipment>> waiting = new LinkedHashMap<>();
  private int waitingCount;
  private final ArrayDeque<Integer> idleTrucks = new ArrayDeque<>();
  private final Map<Integer, Trip> trips = new HashMap<>();
  private long tripsStarted;
  private long delivered;
  private long worldErrors;
  private long amazonErrors;
  private String failure;

  private MinimalUps(Settings settings, long worldId, Socket amazonSocket, Socket worldSocket) throws IOException {
    this.settings = settings;
    this.worldId = worldId;
    this.amazonSocket = amazonSocket;
    this.worldSocket = worldSocket;
    this.amazonOut = new BufferedOutputStream(amazonSocket.getOutputStream(), 1 << 16);
    this.worldOut = new BufferedOutputStream(worldSocket.getOutputStream(), 1 << 16);
    this.amazon = new Outbox<>(settings.resendInterval());
    this.world = new Outbox<>(settings.resendInterval());
    // Checked a few times per interval, so an item waits between 1 and 1.25 intervals.
    this.resendCheckNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), settings.resendInterval().toNanos() / 4);
    for (int id = 1; id <= settings.trucks(); id++) idleTrucks.add(id);
    this.loop = new Thread(this::run, "minimal-ups-loop");
    loop.setDaemon(true);
    publishStats();
  }

  /**
   * Connects to Amazon, which names the world, joins that world with the fleet, answers Amazon
   * {@code connected}, and returns with the loop running.
   */
  public static MinimalUps start(Settings settings) throws IOException {
    Socket amazonSocket = connect(settings.amazonHost(), settings.amazonPort());
    InputStream amazonIn = new BufferedInputStream(amazonSocket.getInputStream(), 1 << 16);
    AUCommands hello = AUCommands.parseDelimitedFrom(amazonIn);
    if (hello == null || !hello.hasWorld()) throw new IOException("Amazon's first message did not name the world");
    long worldId = hello.getWorld().getWorldid();

    Socket worldSocket = connect(settings.worldHost(), settings.worldPort());
    InputStream worldIn = new BufferedInputStream(worldSocket.getInputStream(), 1 << 16);
    write(worldSocket.getOutputStream(), joinRequest(worldId, settings.trucks()));
    UConnected joined = UConnected.parseDelimitedFrom(worldIn);
    if (joined == null || !CONNECTED.equals(joined.getResult())) {
      throw new IOException("the World refused world " + worldId + ": " + (joined == null ? "closed" : joined.getResult()));
    }
    amazonSocket.setSoTimeout(0);
    worldSocket.setSoTimeout(0);

    MinimalUps ups = new MinimalUps(settings, worldId, amazonSocket, worldSocket);
    ups.inbox.add(new FromAmazon(hello.toBuilder().clearWorld().build())); // anything else it said
    write(ups.amazonOut, UACommands.newBuilder()
        .setConnected(UAConnected.newBuilder().setWorldid(worldId).setResult(joined.getResult()))
        .build());
    ups.startReader("Amazon", amazonIn, in -> {
      AUCommands commands = AUCommands.parseDelimitedFrom(in);
      return commands == null ? null : new FromAmazon(commands);
    });
    ups.startReader("the World", worldIn, in -> {
      UResponses responses = UResponses.parseDelimitedFrom(in);
      return responses == null ? null : new FromWorld(responses);
    });
    ups.loop.start();
    log.info("minimal UPS joined world {} with {} trucks", worldId, settings.trucks());
    return ups;
  }

  public Stats stats() {
    return stats;
  }

  @Override
  public void close() {
    closing = true;
    loop.interrupt();
    closeQuietly(amazonSocket);
    closeQuietly(worldSocket);
    try {
      loop.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- connections ---------------------------------------------------------------------------

  private static Socket connect(String host, int port) throws IOException {
    Socket socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), (int) HANDSHAKE_TIMEOUT.toMillis());
    socket.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
    return socket;
  }

  /** Trucks 1..n on the same starting grid as mini-UPS (five to a row, 2 apart). */
  private static UConnect joinRequest(long worldId, int trucks) {
    UConnect.Builder join = UConnect.newBuilder().setWorldid(worldId).setIsAmazon(false);
    for (int id = 1; id <= trucks; id++) {
      join.addTrucks(UInitTruck.newBuilder().setId(id).setX(((id - 1) % 5) * 2).setY(((id - 1) / 5) * 2));
    }
    return join.build();
  }

  private interface Parser {
    Event next(InputStream in) throws IOException;
  }

  private void startReader(String peer, InputStream in, Parser parser) {
    Thread reader = new Thread(() -> {
      try {
        for (Event event = parser.next(in); event != null; event = parser.next(in)) inbox.add(event);
        inbox.add(new LinkLost(peer + " closed the connection"));
      } catch (IOException e) {
        if (!closing) inbox.add(new LinkLost("connection to " + peer + " failed: " + e.getMessage()));
      }
    }, "minimal-ups-read-" + (peer.contains("Amazon") ? "amazon" : "world"));
    reader.setDaemon(true);
    reader.start();
  }

  private static void write(OutputStream out, MessageLite message) throws IOException {
    message.writeDelimitedTo(out);
    out.flush();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  // ---- the loop ------------------------------------------------------------------------------

  /** Each round: every message that has arrived, then dispatch, then one message per peer. */
  private void run() {
    long nextResendCheck = System.nanoTime() + resendCheckNanos;
    try {
      while (!closing && failure == null) {
        Event event = inbox.poll(resendCheckNanos, TimeUnit.NANOSECONDS);
        while (event != null && failure == null) {
          handle(event);
          event = inbox.poll();
        }
        dispatch();
        long now = System.nanoTime();
        if (now >= nextResendCheck) {
          world.resendOverdue(now);
          amazon.resendOverdue(now);
          nextResendCheck = now + resendCheckNanos;
        }
        flush(now);
        publishStats();
      }
    } catch (InterruptedException e) {
      // closing
    } catch (IOException e) {
      if (!closing) failure = "write failed: " + e.getMessage();
    } catch (RuntimeException e) {
      failure = "bug: " + e;
      log.error("minimal UPS stopped", e);
    }
    publishStats();
  }

  private void handle(Event event) {
    if (event instanceof FromAmazon fromAmazon) {
      onAmazon(fromAmazon.commands());
    } else if (event instanceof FromWorld fromWorld) {
      onWorld(fromWorld.responses());
    } else if (event instanceof LinkLost lost && !closing) {
      failure = lost.reason();
      log.error("minimal UPS stops: {}", failure);
    }
  }

  private void flush(long now) throws IOException {
    UCommands.Builder toWorld = UCommands.newBuilder();
    if (world.drainInto(toWorld, UCommands.Builder::addAcks, now)) write(worldOut, toWorld.build());
    UACommands.Builder toAmazon = UACommands.newBuilder();
    if (amazon.drainInto(toAmazon, UACommands.Builder::addAcks, now)) write(amazonOut, toAmazon.build());
  }

  private void publishStats() {
    stats = new Stats(worldId, tripsStarted, delivered, worldErrors, amazonErrors, world.resent(), amazon.resent(),
        Optional.ofNullable(failure));
  }

  // ---- Amazon --------------------------------------------------------------------------------

  private void onAmazon(AUCommands commands) {
    amazon.acked(commands.getAcksList());
    commands.getPickupsList().forEach(this::onPickup);
    commands.getLoadedList().forEach(this::onLoaded);
    commands.getQueriesList().forEach(this::onQuery);
    for (AUErr error : commands.getErrorsList()) {
      if (!amazon.receive(error.getSeqnum())) continue;
      amazonErrors++;
      log.warn("Amazon reports an error for our seqnum {}: {}", error.getOriginseqnum(), error.getErr());
    }
  }

  private void onPickup(AUPickup pickup) {
    if (!amazon.receive(pickup.getSeqnum())) return;
    String refusal = warehouseRefusal(pickup.getWarehouse());
    if (refusal != null) {
      amazonError(pickup.getSeqnum(), refusal);
      return;
    }
    AUPickup request = pickup.toBuilder().clearSeqnum().buildPartial();
    Shipment known = shipments.get(pickup.getShipid());
    if (known == null) {
      Shipment shipment = new Shipment(request);
      shipments.put(pickup.getShipid(), shipment);
      waiting.computeIfAbsent(shipment.warehouseId, id -> new ArrayDeque<>()).add(shipment);
      waitingCount++;
    } else if (!known.request.equals(request)) {
      amazonError(pickup.getSeqnum(), "shipment " + pickup.getShipid() + " is already known with other content");
    } else if (known.truckId == null) {
      known.answersOwed++; // answered with the first one, once a truck is assigned
    } else {
      accept(known);
    }
  }

  /** Warehouses are known by address: one id, one address. */
  private String warehouseRefusal(AUWarehouse warehouse) {
    List<Integer> address = List.of(warehouse.getX(), warehouse.getY());
    AUWarehouse known = warehouses.get(warehouse.getId());
    Integer atAddress = warehouseByAddress.get(address);
    if (known != null && !known.equals(warehouse)) {
      return "warehouse " + warehouse.getId() + " is at (" + known.getX() + ", " + known.getY() + ")";
    }
    if (atAddress != null && atAddress != warehouse.getId()) {
      return "(" + warehouse.getX() + ", " + warehouse.getY() + ") is warehouse " + atAddress;
    }
    warehouses.put(warehouse.getId(), warehouse);
    warehouseByAddress.put(address, warehouse.getId());
    return null;
  }

  private void onLoaded(AULoaded loaded) {
    if (!amazon.receive(loaded.getSeqnum())) return;
    Shipment shipment = shipments.get(loaded.getShipid());
    if (shipment == null) {
      amazonError(loaded.getSeqnum(), "unknown shipment " + loaded.getShipid());
      return;
    }
    if (shipment.loaded) return;
    Trip trip = shipment.truckId == null ? null : trips.get(shipment.truckId);
    if (trip == null || !trip.atWarehouse || trip.truckId != loaded.getTruckid()) {
      amazonError(loaded.getSeqnum(),
          "shipment " + loaded.getShipid() + " was not announced on truck " + loaded.getTruckid());
      return;
    }
    shipment.loaded = true;
    if (++trip.loaded == trip.shipments.size()) depart(trip);
  }

  /** Status as on the tracking page; position: the warehouse, then the destination (no truck queries). */
  private void onQuery(AUQuery query) {
    if (!amazon.receive(query.getSeqnum())) return;
    Shipment shipment = shipments.get(query.getShipid());
    if (shipment == null) {
      amazonError(query.getSeqnum(), "unknown shipment " + query.getShipid());
      return;
    }
    AUPickup request = shipment.request;
    boolean atDestination = shipment.delivered;
    int x = atDestination ? request.getDestx() : request.getWarehouse().getX();
    int y = atDestination ? request.getDesty() : request.getWarehouse().getY();
    String status = status(shipment);
    amazon.send(seqnum -> message -> message.addStatus(
        UAStatus.newBuilder().setShipid(query.getShipid()).setStatus(status).setX(x).setY(y).setSeqnum(seqnum)));
  }

  private String status(Shipment shipment) {
    if (shipment.delivered) return "delivered";
    if (shipment.outForDelivery) return "out for delivery";
    if (shipment.truckId == null) return "created";
    return trips.get(shipment.truckId).atWarehouse ? "truck waiting for package" : "truck en route to warehouse";
  }

  private void amazonError(long originSeqnum, String text) {
    log.warn("refusing Amazon's seqnum {}: {}", originSeqnum, text);
    amazon.send(seqnum -> message -> message.addErrors(
        UAErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum)));
  }

  private void accept(Shipment shipment) {
    long shipId = shipment.request.getShipid();
    int truckId = shipment.truckId;
    amazon.send(seqnum -> message -> message.addAccepted(
        UAPickupAccepted.newBuilder()
            .setShipid(shipId)
            .setTrackingnumber(String.format("1ZMIN%013d", shipId))
            .setTruckid(truckId)
            .setUserlinked(false)
            .setSeqnum(seqnum)));
  }

  // ---- dispatch ------------------------------------------------------------------------------

  /**
   * Waiting shipments first join a trip still on its way to their warehouse (Amazon hears of its
   * arrival only later, so the trip can grow up to {@code maxShipmentsPerTrip}); then every idle
   * truck takes shipments of the warehouse with the most waiting: as many as spread the waiting
   * ones over the idle trucks, at most {@code maxShipmentsPerTrip}.
   */
  private void dispatch() {
    if (waitingCount == 0) return;
    for (Trip trip : trips.values()) {
      ArrayDeque<Shipment> queue = waiting.get(trip.warehouseId);
      if (trip.atWarehouse || queue == null) continue;
      while (trip.shipments.size() < settings.maxShipmentsPerTrip() && !queue.isEmpty()) {
        assign(trip, queue.poll());
        waitingCount--;
      }
    }
    while (waitingCount > 0 && !idleTrucks.isEmpty()) {
      Map.Entry<Integer, ArrayDeque<Shipment>> fullest = null;
      for (Map.Entry<Integer, ArrayDeque<Shipment>> queue : waiting.entrySet()) {
        if (fullest == null || queue.getValue().size() > fullest.getValue().size()) fullest = queue;
      }
      int share = (waitingCount + idleTrucks.size() - 1) / idleTrucks.size();
      int perTrip = Math.min(settings.maxShipmentsPerTrip(), share);
      Trip trip = startTrip(idleTrucks.poll(), fullest.getKey());
      while (trip.shipments.size() < perTrip && !fullest.getValue().isEmpty()) {
        assign(trip, fullest.getValue().poll());
        waitingCount--;
      }
    }
  }

  /** The pickup goes to the World in this round, with Amazon's answers for what it takes. */
  private Trip startTrip(int truckId, int warehouseId) {
    Trip trip = new Trip(truckId, warehouseId);
    trips.put(truckId, trip);
    tripsStarted++;
    world.send(seqnum -> message -> message.addPickups(
        UGoPickup.newBuilder().setTruckid(truckId).setWhid(warehouseId).setSeqnum(seqnum)));
    return trip;
  }

  private void assign(Trip trip, Shipment shipment) {
    trip.shipments.add(shipment);
    shipment.truckId = trip.truckId;
    for (; shipment.answersOwed > 0; shipment.answersOwed--) accept(shipment);
  }

  /** Every shipment is aboard: Amazon hears "out for delivery" before the World moves the truck. */
  private void depart(Trip trip) {
    trip.departed = true;
    UGoDeliver.Builder delivery = UGoDeliver.newBuilder().setTruckid(trip.truckId);
    for (Shipment shipment : trip.shipments) {
      AUPickup request = shipment.request;
      shipment.outForDelivery = true;
      delivery.addPackages(
          UDeliveryLocation.newBuilder().setPackageid(request.getShipid()).setX(request.getDestx()).setY(request.getDesty()));
      amazon.send(seqnum -> message -> message.addOutfordelivery(
          UAOutForDelivery.newBuilder()
              .setShipid(request.getShipid())
              .setDestx(request.getDestx())
              .setDesty(request.getDesty())
              .setSeqnum(seqnum)));
    }
    world.send(seqnum -> message -> message.addDeliveries(delivery.setSeqnum(seqnum)));
  }

  // ---- World ---------------------------------------------------------------------------------

  private void onWorld(UResponses responses) {
    world.acked(responses.getAcksList());
    for (UFinished finished : responses.getCompletionsList()) {
      if (world.receive(finished.getSeqnum())) onFinished(finished);
    }
    for (UDeliveryMade made : responses.getDeliveredList()) {
      if (world.receive(made.getSeqnum())) onDeliveryMade(made);
    }
    for (UTruck truck : responses.getTruckstatusList()) world.receive(truck.getSeqnum());
    for (UErr error : responses.getErrorList()) {
      if (!world.receive(error.getSeqnum())) continue;
      worldErrors++;
      log.warn("the World refused our seqnum {}: {}", error.getOriginseqnum(), error.getErr());
    }
  }

  private void onFinished(UFinished finished) {
    Trip trip = trips.get(finished.getTruckid());
    if (trip == null) return;
    if ("arrive warehouse".equalsIgnoreCase(finished.getStatus()) && !trip.atWarehouse) {
      trip.atWarehouse = true;
      List<Long> shipIds = trip.shipments.stream().map(s -> s.request.getShipid()).toList();
      amazon.send(seqnum -> message -> message.addArrived(
          UATruckArrived.newBuilder()
              .setTruckid(trip.truckId)
              .setWhid(trip.warehouseId)
              .addAllShipids(shipIds)
              .setSeqnum(seqnum)));
    } else if ("idle".equalsIgnoreCase(finished.getStatus()) && trip.departed) {
      trips.remove(trip.truckId);
      idleTrucks.add(trip.truckId);
    }
  }

  private void onDeliveryMade(UDeliveryMade made) {
    Shipment shipment = shipments.get(made.getPackageid());
    if (shipment == null || shipment.delivered) return;
    shipment.delivered = true;
    delivered++;
    AUPickup request = shipment.request;
    amazon.send(seqnum -> message -> message.addDelivered(
        UADelivered.newBuilder()
            .setShipid(request.getShipid())
            .setX(request.getDestx())
            .setY(request.getDesty())
            .setSeqnum(seqnum)));
  }
}
