package org.miniups.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AConnect;
import org.miniups.proto.WorldAmazon.AConnected;
import org.miniups.proto.WorldAmazon.AErr;
import org.miniups.proto.WorldAmazon.AInitWarehouse;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APacked;
import org.miniups.proto.WorldAmazon.AProduct;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AResponses;

/**
 * Plays Amazon against the World in tests where UPS is driven directly: a small reliable client
 * (plain sockets, protobuf's own delimited framing) that re-sends until acked, acks and
 * de-duplicates what the World sends, and reconnects to the same world when the connection drops.
 */
final class AmazonWorldDriver implements AutoCloseable {
  private final String host;
  private final int port;
  private final long worldId;
  private final Map<Long, Object> pending = new LinkedHashMap<>(); // seqnum -> APack/APutOnTruck/APurchaseMore
  private final Map<Long, CompletableFuture<Void>> outcomes = new ConcurrentHashMap<>();
  private final Map<Long, CompletableFuture<Void>> packedByShip = new ConcurrentHashMap<>();
  private final Map<Long, CompletableFuture<Void>> loadedByShip = new ConcurrentHashMap<>();
  private final Map<Integer, java.util.ArrayDeque<CompletableFuture<Void>>> purchasesByWarehouse = new LinkedHashMap<>();
  private final Set<Long> seen = new HashSet<>();
  private final List<Long> acksToSend = new ArrayList<>();
  private long nextSeqnum = 1;
  private volatile boolean closed;
  private Socket socket;
  private final Thread resender;

  private AmazonWorldDriver(String host, int port, long worldId, Socket socket) {
    this.host = host;
    this.port = port;
    this.worldId = worldId;
    this.socket = socket;
    startReader(socket);
    this.resender = new Thread(this::resendLoop, "amazon-driver-resend");
    resender.setDaemon(true);
    resender.start();
  }

  /** Creates a world with these warehouses (id, x, y triples). */
  static AmazonWorldDriver createWorld(String host, int port, int[]... warehouses) throws IOException {
    AConnect.Builder hello = AConnect.newBuilder().setIsAmazon(true);
    for (int[] w : warehouses) hello.addInitwh(AInitWarehouse.newBuilder().setId(w[0]).setX(w[1]).setY(w[2]));
    Socket socket = new Socket(host, port);
    hello.build().writeDelimitedTo(socket.getOutputStream());
    AConnected answer = AConnected.parseDelimitedFrom(socket.getInputStream());
    if (!"connected!".equals(answer.getResult())) throw new IOException(answer.getResult());
    return new AmazonWorldDriver(host, port, answer.getWorldid(), socket);
  }

  long worldId() {
    return worldId;
  }

  /** Completes when the goods have arrived at the warehouse. */
  CompletableFuture<Void> purchase(int warehouseId, long productId, int count) {
    CompletableFuture<Void> arrived = new CompletableFuture<>();
    synchronized (this) {
      purchasesByWarehouse.computeIfAbsent(warehouseId, id -> new java.util.ArrayDeque<>()).add(arrived);
    }
    submit(seqnum -> APurchaseMore.newBuilder().setWhnum(warehouseId).addThings(product(productId, count)).setSeqnum(seqnum).build(), arrived);
    return arrived;
  }

  CompletableFuture<Void> pack(int warehouseId, long shipId, long productId) {
    CompletableFuture<Void> packed = packedByShip.computeIfAbsent(shipId, id -> new CompletableFuture<>());
    submit(seqnum -> APack.newBuilder().setWhnum(warehouseId).addThings(product(productId, 1)).setShipid(shipId).setSeqnum(seqnum).build(), packed);
    return packed;
  }

  CompletableFuture<Void> load(int warehouseId, int truckId, long shipId) {
    CompletableFuture<Void> loaded = loadedByShip.computeIfAbsent(shipId, id -> new CompletableFuture<>());
    submit(seqnum -> APutOnTruck.newBuilder().setWhnum(warehouseId).setTruckid(truckId).setShipid(shipId).setSeqnum(seqnum).build(), loaded);
    return loaded;
  }

  private static AProduct product(long id, int count) {
    return AProduct.newBuilder().setId(id).setDescription("item " + id).setCount(count).build();
  }

  private synchronized CompletableFuture<Void> submit(
      java.util.function.LongFunction<Object> command, CompletableFuture<Void> outcome) {
    long seqnum = nextSeqnum++;
    Object message = command.apply(seqnum);
    pending.put(seqnum, message);
    CompletableFuture<Void> result = outcome != null ? outcome : new CompletableFuture<>();
    outcomes.put(seqnum, result);
    flush(List.of(message));
    return result;
  }

  private void resendLoop() {
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(100);
        List<Object> all;
        synchronized (this) {
          all = new ArrayList<>(pending.values());
        }
        flush(all);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // the reader reconnects; the next round re-sends
      }
    }
  }

  private synchronized void flush(List<Object> messages) {
    ACommands.Builder out = ACommands.newBuilder().addAllAcks(acksToSend);
    for (Object m : messages) {
      if (m instanceof APack p) out.addTopack(p);
      else if (m instanceof APutOnTruck l) out.addLoad(l);
      else if (m instanceof APurchaseMore b) out.addBuy(b);
    }
    acksToSend.clear();
    try {
      OutputStream os = socket.getOutputStream();
      out.build().writeDelimitedTo(os);
      os.flush();
    } catch (IOException e) {
      // dropped: the reader thread reconnects, and everything pending goes again
    }
  }

  private void startReader(Socket s) {
    Thread reader = new Thread(() -> readLoop(s), "amazon-driver-read");
    reader.setDaemon(true);
    reader.start();
  }

  private void readLoop(Socket s) {
    try {
      InputStream in = s.getInputStream();
      while (!closed) {
        AResponses responses = AResponses.parseDelimitedFrom(in);
        if (responses == null) break;
        onResponses(responses);
      }
    } catch (IOException e) {
      // fall through to reconnect
    }
    if (!closed) reconnect();
  }

  private void reconnect() {
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(100);
        Socket fresh = new Socket(host, port);
        AConnect.newBuilder().setIsAmazon(true).setWorldid(worldId).build().writeDelimitedTo(fresh.getOutputStream());
        AConnected answer = AConnected.parseDelimitedFrom(fresh.getInputStream());
        if (answer != null && "connected!".equals(answer.getResult())) {
          synchronized (this) {
            socket = fresh;
          }
          startReader(fresh);
          return;
        }
        fresh.close();
      } catch (IOException | InterruptedException e) {
        // retry
      }
    }
  }

  private synchronized void onResponses(AResponses r) {
    for (long ack : r.getAcksList()) pending.remove(ack);
    for (APacked p : r.getReadyList()) if (firstTime(p.getSeqnum())) packedByShip.computeIfAbsent(p.getShipid(), id -> new CompletableFuture<>()).complete(null);
    for (ALoaded l : r.getLoadedList()) if (firstTime(l.getSeqnum())) loadedByShip.computeIfAbsent(l.getShipid(), id -> new CompletableFuture<>()).complete(null);
    for (APurchaseMore a : r.getArrivedList()) {
      if (firstTime(a.getSeqnum())) {
        var waiting = purchasesByWarehouse.get(a.getWhnum());
        if (waiting != null && !waiting.isEmpty()) waiting.poll().complete(null);
      }
    }
    for (AErr e : r.getErrorList()) {
      if (firstTime(e.getSeqnum())) {
        CompletableFuture<Void> f = outcomes.remove(e.getOriginseqnum());
        if (f != null) f.completeExceptionally(new IllegalStateException(e.getErr()));
      }
    }
    r.getPackagestatusList().forEach(p -> firstTime(p.getSeqnum()));
    if (!acksToSend.isEmpty()) flush(List.of());
  }

  /** Acks every World item, and says whether it is new. */
  private boolean firstTime(long seqnum) {
    acksToSend.add(seqnum);
    return seen.add(seqnum);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    resender.interrupt();
    socket.close();
  }
}
