package org.miniups.sim.world;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AConnect;
import org.miniups.proto.WorldAmazon.AConnected;
import org.miniups.proto.WorldAmazon.AErr;
import org.miniups.proto.WorldAmazon.AInitWarehouse;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APackage;
import org.miniups.proto.WorldAmazon.APacked;
import org.miniups.proto.WorldAmazon.AProduct;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AQuery;
import org.miniups.proto.WorldAmazon.AResponses;

/** Amazon's side of the world, as a test drives it. Items are recorded once, in arrival order. */
final class AmazonTestClient extends BlockingPeer<AResponses> {

  final List<APurchaseMore> arrived = new ArrayList<>();
  final List<APacked> ready = new ArrayList<>();
  final List<ALoaded> loaded = new ArrayList<>();
  final List<AErr> errors = new ArrayList<>();
  final List<APackage> packageStatuses = new ArrayList<>();
  private long nextSeqnum = 1;

  private AmazonTestClient(int port, AConnect connect) throws IOException {
    super(port, connect, AConnected.parser(), AResponses.parser());
  }

  static AmazonTestClient connect(int port, Long worldId, AInitWarehouse... warehouses)
      throws IOException {
    AConnect.Builder connect =
        AConnect.newBuilder().setIsAmazon(true).addAllInitwh(List.of(warehouses));
    if (worldId != null) connect.setWorldid(worldId);
    return new AmazonTestClient(port, connect.build());
  }

  static AInitWarehouse warehouse(int id, int x, int y) {
    return AInitWarehouse.newBuilder().setId(id).setX(x).setY(y).build();
  }

  static AProduct product(long id, int count) {
    return AProduct.newBuilder().setId(id).setDescription("product " + id).setCount(count).build();
  }

  AConnected connected() {
    return (AConnected) connectedMessage();
  }

  long purchase(int warehouseId, AProduct... products) {
    long seqnum = nextSeqnum++;
    send(ACommands.newBuilder()
        .addBuy(APurchaseMore.newBuilder()
            .setWhnum(warehouseId).addAllThings(List.of(products)).setSeqnum(seqnum))
        .build());
    return seqnum;
  }

  long pack(int warehouseId, long shipId, AProduct... products) {
    long seqnum = nextSeqnum++;
    send(ACommands.newBuilder()
        .addTopack(APack.newBuilder()
            .setWhnum(warehouseId).addAllThings(List.of(products)).setShipid(shipId)
            .setSeqnum(seqnum))
        .build());
    return seqnum;
  }

  long load(int warehouseId, int truckId, long shipId) {
    long seqnum = nextSeqnum++;
    send(ACommands.newBuilder().addLoad(loadOf(warehouseId, truckId, shipId, seqnum)).build());
    return seqnum;
  }

  static APutOnTruck loadOf(int warehouseId, int truckId, long shipId, long seqnum) {
    return APutOnTruck.newBuilder()
        .setWhnum(warehouseId).setTruckid(truckId).setShipid(shipId).setSeqnum(seqnum).build();
  }

  long nextSeqnum() {
    return nextSeqnum++;
  }

  long query(long packageId) {
    long seqnum = nextSeqnum++;
    send(ACommands.newBuilder()
        .addQueries(AQuery.newBuilder().setPackageid(packageId).setSeqnum(seqnum))
        .build());
    return seqnum;
  }

  /** Buys, waits for the stock to arrive, packs, and waits until the package is packed. */
  void stockAndPack(int warehouseId, long shipId, long productId, int count) {
    int arrivedBefore = arrived.size();
    purchase(warehouseId, product(productId, count));
    awaitUntil("purchase arrival", () -> arrived.size() > arrivedBefore);
    pack(warehouseId, shipId, product(productId, count));
    awaitUntil("APacked " + shipId, () -> isReady(shipId));
  }

  boolean isReady(long shipId) {
    return ready.stream().anyMatch(p -> p.getShipid() == shipId);
  }

  boolean isLoaded(long shipId) {
    return loaded.stream().anyMatch(p -> p.getShipid() == shipId);
  }

  AErr awaitError(long originSeqnum) {
    awaitUntil("AErr for seqnum " + originSeqnum,
        () -> errors.stream().anyMatch(e -> e.getOriginseqnum() == originSeqnum));
    return errors.stream().filter(e -> e.getOriginseqnum() == originSeqnum).findFirst().get();
  }

  /** Asks the world for a package's status and waits for the answer. */
  String awaitStatus(long packageId) {
    int before = packageStatuses.size();
    query(packageId);
    awaitUntil("APackage " + packageId, () -> packageStatuses.size() > before);
    return packageStatuses.get(packageStatuses.size() - 1).getStatus();
  }

  @Override
  List<Long> acks(AResponses response) {
    return response.getAcksList();
  }

  @Override
  boolean finished(AResponses response) {
    return response.getFinished();
  }

  @Override
  List<Item> items(AResponses response) {
    List<Item> items = new ArrayList<>();
    response.getArrivedList().forEach(a -> items.add(new Item(a.getSeqnum(), () -> arrived.add(a))));
    response.getReadyList().forEach(r -> items.add(new Item(r.getSeqnum(), () -> ready.add(r))));
    response.getLoadedList().forEach(l -> items.add(new Item(l.getSeqnum(), () -> loaded.add(l))));
    response.getErrorList().forEach(e -> items.add(new Item(e.getSeqnum(), () -> errors.add(e))));
    response.getPackagestatusList()
        .forEach(p -> items.add(new Item(p.getSeqnum(), () -> packageStatuses.add(p))));
    return items;
  }

  @Override
  MessageLite ackMessage(List<Long> worldSeqnums) {
    return ACommands.newBuilder().addAllAcks(worldSeqnums).build();
  }
}
