package org.miniups.sim.world;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
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
import org.miniups.proto.WorldUps.UQuery;
import org.miniups.proto.WorldUps.UResponses;
import org.miniups.proto.WorldUps.UTruck;

/** UPS's side of the world, as a test drives it. Items are recorded once, in arrival order. */
final class UpsTestClient extends BlockingPeer<UResponses> {

  final List<UFinished> completions = new ArrayList<>();
  final List<UDeliveryMade> delivered = new ArrayList<>();
  final List<UTruck> truckStatuses = new ArrayList<>();
  final List<UErr> errors = new ArrayList<>();
  private long nextSeqnum;

  private UpsTestClient(int port, MessageLite connect, long firstSeqnum) throws IOException {
    super(port, connect, UConnected.parser(), UResponses.parser());
    this.nextSeqnum = firstSeqnum;
  }

  /** Connects and sends UConnect; whatever the answer, it is in {@link #connected()}. */
  static UpsTestClient connect(int port, Long worldId, UInitTruck... trucks) throws IOException {
    return connect(port, worldId, 1, trucks);
  }

  /** Sends {@code first} as the first message, whatever it is, and reads a UConnected back. */
  static UpsTestClient connectWith(int port, MessageLite first) throws IOException {
    return new UpsTestClient(port, first, 1);
  }

  static UpsTestClient connect(int port, Long worldId, long firstSeqnum, UInitTruck... trucks)
      throws IOException {
    UConnect.Builder connect = UConnect.newBuilder().setIsAmazon(false).addAllTrucks(List.of(trucks));
    if (worldId != null) connect.setWorldid(worldId);
    return new UpsTestClient(port, connect.build(), firstSeqnum);
  }

  /**
   * Joins a world, retrying while the world still sees a previous UPS connection (the world
   * learns asynchronously that a closed socket is gone), as PROTOCOL.md tells peers to.
   */
  static UpsTestClient join(int port, long worldId, long firstSeqnum, UInitTruck... trucks) {
    AtomicReference<UpsTestClient> joined = new AtomicReference<>();
    // In this thread: a client is not shared with Awaitility's poller.
    await("UPS joined world " + worldId).atMost(TIMEOUT).pollInSameThread().pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> {
          UpsTestClient client = connect(port, worldId, firstSeqnum, trucks);
          String result = client.connected().getResult();
          if (result.equals("connected!")) {
            joined.set(client);
            return true;
          }
          client.close();
          if (!result.contains("already has a connected")) fail("could not join world " + worldId + ": " + result);
          return false;
        });
    return joined.get();
  }

  static UInitTruck truck(int id, int x, int y) {
    return UInitTruck.newBuilder().setId(id).setX(x).setY(y).build();
  }

  static UDeliveryLocation to(long packageId, int x, int y) {
    return UDeliveryLocation.newBuilder().setPackageid(packageId).setX(x).setY(y).build();
  }

  UConnected connected() {
    return (UConnected) connectedMessage();
  }

  long nextSeqnum() {
    return nextSeqnum++;
  }

  long pickup(int truckId, int warehouseId) {
    long seqnum = nextSeqnum();
    send(UCommands.newBuilder().addPickups(pickupOf(truckId, warehouseId, seqnum)).build());
    return seqnum;
  }

  static UGoPickup pickupOf(int truckId, int warehouseId, long seqnum) {
    return UGoPickup.newBuilder().setTruckid(truckId).setWhid(warehouseId).setSeqnum(seqnum).build();
  }

  long deliver(int truckId, UDeliveryLocation... packages) {
    long seqnum = nextSeqnum();
    send(UCommands.newBuilder().addDeliveries(deliveryOf(truckId, seqnum, packages)).build());
    return seqnum;
  }

  static UGoDeliver deliveryOf(int truckId, long seqnum, UDeliveryLocation... packages) {
    return UGoDeliver.newBuilder()
        .setTruckid(truckId)
        .addAllPackages(List.of(packages))
        .setSeqnum(seqnum)
        .build();
  }

  long query(int truckId) {
    long seqnum = nextSeqnum();
    send(UCommands.newBuilder().addQueries(queryOf(truckId, seqnum)).build());
    return seqnum;
  }

  static UQuery queryOf(int truckId, long seqnum) {
    return UQuery.newBuilder().setTruckid(truckId).setSeqnum(seqnum).build();
  }

  /** Waits for the truck's next UFinished with that status (after {@code seen} earlier ones). */
  UFinished awaitFinished(int truckId, String status) {
    long before = finishedCount(truckId, status);
    awaitUntil("UFinished " + status + " of truck " + truckId,
        () -> finishedCount(truckId, status) > before);
    return lastFinished(truckId, status);
  }

  long finishedCount(int truckId, String status) {
    return completions.stream()
        .filter(f -> f.getTruckid() == truckId && f.getStatus().equals(status))
        .count();
  }

  private UFinished lastFinished(int truckId, String status) {
    UFinished last = null;
    for (UFinished f : completions) {
      if (f.getTruckid() == truckId && f.getStatus().equals(status)) last = f;
    }
    return last;
  }

  UErr awaitError(long originSeqnum) {
    awaitUntil("UErr for seqnum " + originSeqnum, () -> errorFor(originSeqnum) != null);
    return errorFor(originSeqnum);
  }

  UErr errorFor(long originSeqnum) {
    return errors.stream().filter(e -> e.getOriginseqnum() == originSeqnum).findFirst().orElse(null);
  }

  boolean wasDelivered(long packageId) {
    return delivered.stream().anyMatch(d -> d.getPackageid() == packageId);
  }

  @Override
  List<Long> acks(UResponses response) {
    return response.getAcksList();
  }

  @Override
  boolean finished(UResponses response) {
    return response.getFinished();
  }

  @Override
  List<Item> items(UResponses response) {
    List<Item> items = new ArrayList<>();
    response.getCompletionsList().forEach(f -> items.add(new Item(f.getSeqnum(), () -> completions.add(f))));
    response.getDeliveredList().forEach(d -> items.add(new Item(d.getSeqnum(), () -> delivered.add(d))));
    response.getTruckstatusList().forEach(t -> items.add(new Item(t.getSeqnum(), () -> truckStatuses.add(t))));
    response.getErrorList().forEach(e -> items.add(new Item(e.getSeqnum(), () -> errors.add(e))));
    return items;
  }

  @Override
  MessageLite ackMessage(List<Long> worldSeqnums) {
    return UCommands.newBuilder().addAllAcks(worldSeqnums).build();
  }
}
