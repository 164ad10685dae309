package org.miniups.sim.amazon;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;
import org.miniups.proto.UpsAmazon.AUCommands;
import org.miniups.proto.UpsAmazon.AUErr;
import org.miniups.proto.UpsAmazon.AUItem;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.AUQuery;
import org.miniups.proto.UpsAmazon.AUWarehouse;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.proto.UpsAmazon.UADelivered;
import org.miniups.proto.UpsAmazon.UAErr;
import org.miniups.proto.UpsAmazon.UAOutForDelivery;
import org.miniups.proto.UpsAmazon.UAPickupAccepted;
import org.miniups.proto.UpsAmazon.UAStatus;
import org.miniups.proto.UpsAmazon.UATruckArrived;
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AErr;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APackage;
import org.miniups.proto.WorldAmazon.APacked;
import org.miniups.proto.WorldAmazon.AProduct;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AResponses;
import org.miniups.sim.ReliableLink;
import org.slf4j.Logger;

/**
 * The simulated Amazon's rules: warehouses and their stock, the shipments, and what each notice
 * of the world or UPS makes Amazon do (pack, load, tell UPS, query). Items go out through the two
 * reliable links; every UPS item, and every request Amazon makes of UPS, is also shown to the
 * {@link ProtocolReferee}. Owned by the {@link SimAmazon} actor.
 */
final class Fulfilment {

  private record Product(long id, String description) {}

  private static final List<Product> CATALOGUE =
      List.of(
          new Product(1, "book"),
          new Product(2, "headphones"),
          new Product(3, "coffee beans"),
          new Product(4, "desk lamp"),
          new Product(5, "phone charger"),
          new Product(6, "board game"));
  private static final List<Long> PRODUCT_IDS = CATALOGUE.stream().map(Product::id).toList();
  private static final int MAX_ITEMS = 3;
  private static final int MAX_COUNT = 3;

  private final SimAmazonSettings settings;
  private final Logger log;
  private final Random random;
  private final ReliableLink<ACommands.Builder> world;
  private final ReliableLink<AUCommands.Builder> ups;
  private final ProtocolReferee referee;
  /** The UPS user ids pickups may name: existing accounts and ids of no account. */
  private final List<Long> namedUserIds;
  private final List<BiConsumer<Long, String>> acceptedWatchers = new ArrayList<>();
  final List<Warehouse> warehouses = new ArrayList<>();
  /** Every shipid Amazon emitted or heard of. */
  final Map<Long, Shipment> shipments = new HashMap<>();
  /** Emitted shipments whose warehouse lacks the goods for now; packed as stock arrives. */
  final List<Shipment> waitingForStock = new ArrayList<>();
  /** UPS's AUErr texts ("UPS: …") and the world's AErr texts ("world: …"). */
  final List<String> errors = new ArrayList<>();
  long lastSeqnum;
  /** Pickups emitted so far (shipids 1..created). */
  int created;
  int shipmentsDelivered;

  Fulfilment(
      SimAmazonSettings settings,
      Logger log,
      long randomSeed,
      ReliableLink<ACommands.Builder> world,
      ReliableLink<AUCommands.Builder> ups,
      ProtocolReferee referee) {
    this.settings = settings;
    this.log = log;
    this.random = new Random(randomSeed);
    this.world = world;
    this.ups = ups;
    this.referee = referee;
    this.namedUserIds =
        Stream.concat(settings.upsUserIds().stream(), settings.unknownUpsUserIds().stream()).toList();
  }

  /** Warehouses 1..n at distinct random addresses of the grid, stocked before the first pack. */
  void openWarehouses() {
    Set<List<Integer>> taken = new HashSet<>();
    while (warehouses.size() < settings.warehouses()) {
      int x = randomCoordinate();
      int y = randomCoordinate();
      if (taken.add(List.of(x, y))) warehouses.add(new Warehouse(warehouses.size() + 1, x, y));
    }
    // The purchases go out as soon as the world is joined.
    warehouses.forEach(warehouse -> reorder(warehouse, Map.of()));
  }

  void watchPickupsAccepted(BiConsumer<Long, String> watcher) {
    acceptedWatchers.add(watcher);
  }

  /** The shipment Amazon emitted under this shipid; null if none. */
  Shipment emitted(long shipId) {
    Shipment shipment = shipments.get(shipId);
    return shipment != null && shipment.isEmitted() ? shipment : null;
  }

  /** The shipment of this shipid, Amazon's or one it only heard of. */
  Shipment heardOf(long shipId) {
    return shipments.computeIfAbsent(shipId, Shipment::new);
  }

  /** Each shipment's value that {@code of} gives, leaving out those it gives null for. */
  <V> Map<Long, V> perShipment(Function<Shipment, V> of) {
    Map<Long, V> values = new HashMap<>();
    for (Shipment shipment : shipments.values()) {
      V value = of.apply(shipment);
      if (value != null) values.put(shipment.id, value);
    }
    return values;
  }

  /** Each shipment's count that {@code of} gives, leaving out the zeros. */
  Map<Long, Integer> countPerShipment(ToIntFunction<Shipment> of) {
    return perShipment(shipment -> {
      int count = of.applyAsInt(shipment);
      return count == 0 ? null : count;
    });
  }

  /** What UPS and the world said of each shipment so far, and their errors. */
  Tallies tallies() {
    return new Tallies(
        countPerShipment(s -> s.accepted),
        countPerShipment(s -> s.arrived),
        countPerShipment(s -> s.outForDelivery),
        countPerShipment(s -> s.delivered),
        countPerShipment(s -> s.timesLoaded),
        perShipment(s -> s.deliveredAt),
        perShipment(s -> s.destination),
        perShipment(s -> s.outForDeliveryDest),
        perShipment(s -> s.status),
        errors);
  }

  Collection<Shipment> emittedShipments() {
    return shipments.values().stream().filter(Shipment::isEmitted).toList();
  }

  // ---- the world's responses -----------------------------------------------------------------

  void onWorldResponses(AResponses responses) {
    for (APurchaseMore purchase : responses.getArrivedList()) {
      if (!world.receive(purchase.getSeqnum())) continue;
      Warehouse warehouse = warehouse(purchase.getWhnum());
      if (warehouse == null) {
        log.warn("world reported a purchase for unknown warehouse {}", purchase.getWhnum());
        continue;
      }
      purchase.getThingsList().forEach(p -> warehouse.arrived(p.getId(), p.getCount()));
    }
    for (APacked packed : responses.getReadyList()) {
      if (!world.receive(packed.getSeqnum())) continue;
      Shipment shipment = knownShipment(packed.getShipid(), "APacked");
      if (shipment == null) continue;
      shipment.packed = true;
      loadIfPossible(shipment);
    }
    for (ALoaded aLoaded : responses.getLoadedList()) {
      if (!world.receive(aLoaded.getSeqnum())) continue;
      Shipment shipment = knownShipment(aLoaded.getShipid(), "ALoaded");
      if (shipment == null) continue;
      onLoaded(shipment);
    }
    for (AErr error : responses.getErrorList()) {
      if (!world.receive(error.getSeqnum())) continue;
      log.warn("world error for our seqnum {}: {}", error.getOriginseqnum(), error.getErr());
      errors.add("world: " + error.getErr() + " (our seqnum " + error.getOriginseqnum() + ")");
    }
    // We never query, but a package status is an item like any other: ack it once.
    for (APackage status : responses.getPackagestatusList()) world.receive(status.getSeqnum());
    // Only new stock can let a waiting shipment be packed (looking at every one on each message
    // of a busy world would cost time in proportion to the backlog).
    if (responses.getArrivedCount() > 0) packWhatFits();
  }

  private void onLoaded(Shipment shipment) {
    shipment.loaded = true;
    shipment.timesLoaded++;
    sendLoaded(shipment);
  }

  private void sendLoaded(Shipment shipment) {
    long seqnum = nextSeqnum();
    AULoaded notice =
        AULoaded.newBuilder()
            .setShipid(shipment.id)
            .setTruckid(shipment.loadingOnto)
            .setSeqnum(seqnum)
            .build();
    referee.loadedQueued(notice);
    ups.send(seqnum, message -> message.addLoaded(notice));
  }

  /** Loads once both are true: the world packed it and UPS said a truck waits for it. */
  private void loadIfPossible(Shipment shipment) {
    if (!shipment.packed || shipment.truckId == null || shipment.loaded) return;
    if (shipment.truckId.equals(shipment.loadingOnto)) return;
    shipment.loadingOnto = shipment.truckId;
    long seqnum = nextSeqnum();
    APutOnTruck load =
        APutOnTruck.newBuilder()
            .setWhnum(shipment.warehouse.id)
            .setTruckid(shipment.truckId)
            .setShipid(shipment.id)
            .setSeqnum(seqnum)
            .build();
    world.send(seqnum, message -> message.addLoad(load));
  }

  void packWhatFits() {
    Map<Warehouse, Map<Long, Integer>> stillWaitingFor = new HashMap<>();
    Iterator<Shipment> waiting = waitingForStock.iterator();
    while (waiting.hasNext()) {
      Shipment shipment = waiting.next();
      if (!shipment.warehouse.has(shipment.items)) {
        Map<Long, Integer> wanted = stillWaitingFor.computeIfAbsent(shipment.warehouse, w -> new HashMap<>());
        shipment.items.forEach(item -> wanted.merge(item.getProductid(), item.getCount(), Integer::sum));
        continue;
      }
      shipment.warehouse.take(shipment.items);
      waiting.remove();
      long seqnum = nextSeqnum();
      APack pack =
          APack.newBuilder()
              .setWhnum(shipment.warehouse.id)
              .addAllThings(shipment.items.stream().map(Fulfilment::product).toList())
              .setShipid(shipment.id)
              .setSeqnum(seqnum)
              .build();
      world.send(seqnum, message -> message.addTopack(pack));
    }
    warehouses.forEach(warehouse -> reorder(warehouse, stillWaitingFor.getOrDefault(warehouse, Map.of())));
  }

  private void reorder(Warehouse warehouse, Map<Long, Integer> waitingFor) {
    Map<Long, Integer> toBuy = warehouse.reorder(PRODUCT_IDS, waitingFor);
    if (toBuy.isEmpty()) return;
    long seqnum = nextSeqnum();
    APurchaseMore.Builder purchase = APurchaseMore.newBuilder().setWhnum(warehouse.id).setSeqnum(seqnum);
    toBuy.forEach(
        (productId, count) ->
            purchase.addThings(
                AProduct.newBuilder()
                    .setId(productId)
                    .setDescription(describe(productId))
                    .setCount(count)));
    APurchaseMore built = purchase.build();
    world.send(seqnum, message -> message.addBuy(built));
  }

  // ---- UPS notices ---------------------------------------------------------------------------

  /** Handles the items in PROTOCOL.md's order: accepted, arrived, outfordelivery, delivered, status, errors. */
  void onUpsNotices(UACommands commands) {
    for (UAPickupAccepted notice : commands.getAcceptedList()) {
      if (firstTime(notice.getSeqnum(), notice)) onPickupAccepted(notice);
    }
    for (UATruckArrived notice : commands.getArrivedList()) {
      if (firstTime(notice.getSeqnum(), notice)) onTruckArrived(notice);
    }
    for (UAOutForDelivery notice : commands.getOutfordeliveryList()) {
      if (firstTime(notice.getSeqnum(), notice)) onOutForDelivery(notice);
    }
    for (UADelivered notice : commands.getDeliveredList()) {
      if (firstTime(notice.getSeqnum(), notice)) onDelivered(notice);
    }
    for (UAStatus notice : commands.getStatusList()) {
      if (firstTime(notice.getSeqnum(), notice)) onStatus(notice);
    }
    for (UAErr error : commands.getErrorsList()) {
      if (firstTime(error.getSeqnum(), error)) onUpsError(error);
    }
  }

  /** Acks a UPS item; true the first time its seqnum comes (a re-send is only checked for reuse). */
  private boolean firstTime(long seqnum, Message item) {
    referee.item(seqnum, item);
    return ups.receive(seqnum);
  }

  private void onPickupAccepted(UAPickupAccepted notice) {
    referee.accepted(notice);
    Shipment shipment = heardOf(notice.getShipid());
    if (++shipment.accepted == 1) {
      acceptedWatchers.forEach(w -> w.accept(notice.getShipid(), notice.getTrackingnumber()));
    }
    if (shipment.isEmitted()) queryIfDue(shipment);
  }

  /** Every n-th shipment is asked about once, as soon as UPS has taken it on. */
  private void queryIfDue(Shipment shipment) {
    int every = settings.queryEvery();
    if (every == 0 || shipment.id % every != 0 || shipment.queried) return;
    shipment.queried = true;
    long seqnum = nextSeqnum();
    AUQuery query = AUQuery.newBuilder().setShipid(shipment.id).setSeqnum(seqnum).build();
    referee.queryQueued(query);
    ups.send(seqnum, message -> message.addQueries(query));
  }

  private void onOutForDelivery(UAOutForDelivery notice) {
    referee.outForDelivery(notice);
    Shipment shipment = heardOf(notice.getShipid());
    shipment.outForDelivery++;
    shipment.outForDeliveryDest = new int[] {notice.getDestx(), notice.getDesty()};
  }

  private void onDelivered(UADelivered notice) {
    referee.delivered(notice);
    Shipment shipment = heardOf(notice.getShipid());
    if (shipment.deliveredNanos == null) shipment.deliveredNanos = System.nanoTime();
    boolean first = ++shipment.delivered == 1;
    if (first && shipment.isEmitted() && ++shipmentsDelivered == settings.packages()) {
      log.info("UPS delivered all {} shipments", shipmentsDelivered);
    }
    if (first && settings.loadAgainAfterDelivery() && shipment.isEmitted() && shipment.loadingOnto != null) {
      sendLoaded(shipment);
    }
    shipment.deliveredAt = new int[] {notice.getX(), notice.getY()};
  }

  private void onStatus(UAStatus notice) {
    referee.status(notice);
    heardOf(notice.getShipid()).status = notice.getStatus();
  }

  private void onUpsError(UAErr error) {
    referee.error(error);
    log.warn("UPS error for our seqnum {}: {}", error.getOriginseqnum(), error.getErr());
    errors.add("UPS: " + error.getErr() + " (our seqnum " + error.getOriginseqnum() + ")");
  }

  private void onTruckArrived(UATruckArrived notice) {
    referee.arrived(notice);
    List<Long> unknown = new ArrayList<>();
    for (long shipId : notice.getShipidsList()) {
      Shipment shipment = heardOf(shipId);
      shipment.arrived++;
      if (!shipment.isEmitted() || shipment.warehouse.id != notice.getWhid()) {
        unknown.add(shipId);
        continue;
      }
      shipment.truckId = notice.getTruckid();
      loadIfPossible(shipment);
    }
    if (!unknown.isEmpty()) {
      upsError(notice.getSeqnum(),
          "no shipments " + unknown + " at warehouse " + notice.getWhid() + "; not loading them");
    }
  }

  private void upsError(long originSeqnum, String text) {
    log.warn("telling UPS about its seqnum {}: {}", originSeqnum, text);
    long seqnum = nextSeqnum();
    AUErr error = AUErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum).build();
    ups.send(seqnum, message -> message.addErrors(error));
  }

  // ---- emission ------------------------------------------------------------------------------

  void emitPickup() {
    long shipId = ++created;
    Warehouse warehouse = warehouses.get(random.nextInt(warehouses.size()));
    int destX;
    int destY;
    do {
      destX = randomCoordinate();
      destY = randomCoordinate();
    } while (destX == warehouse.x && destY == warehouse.y);
    List<AUItem> items = randomItems();
    long seqnum = nextSeqnum();
    // UPS may have named this shipid before: what it said still counts.
    Shipment shipment = heardOf(shipId);
    shipment.emit(warehouse, items, seqnum);
    shipment.destination = new int[] {destX, destY};
    AUPickup.Builder pickup =
        AUPickup.newBuilder()
            .setShipid(shipId)
            .setWarehouse(AUWarehouse.newBuilder().setId(warehouse.id).setX(warehouse.x).setY(warehouse.y))
            .setDestx(destX)
            .setDesty(destY)
            .addAllItems(items)
            .setSeqnum(seqnum);
    if (!namedUserIds.isEmpty() && random.nextBoolean()) {
      pickup.setUpsuserid(namedUserIds.get(random.nextInt(namedUserIds.size())));
    }
    AUPickup built = pickup.build();
    referee.pickupQueued(built);
    ups.send(seqnum, message -> message.addPickups(built));
    waitingForStock.add(shipment);
  }

  /** 1..3 different products, 1..3 of each. */
  private List<AUItem> randomItems() {
    List<Product> products = new ArrayList<>(CATALOGUE);
    Collections.shuffle(products, random);
    int kinds = 1 + random.nextInt(MAX_ITEMS);
    List<AUItem> items = new ArrayList<>();
    for (Product product : products.subList(0, kinds)) {
      items.add(
          AUItem.newBuilder()
              .setProductid(product.id())
              .setDescription(product.description())
              .setCount(1 + random.nextInt(MAX_COUNT))
              .build());
    }
    return List.copyOf(items);
  }

  private int randomCoordinate() {
    int half = settings.gridHalfSize();
    return random.nextInt(2 * half + 1) - half;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private long nextSeqnum() {
    return ++lastSeqnum;
  }

  Warehouse warehouse(int id) {
    return id >= 1 && id <= warehouses.size() ? warehouses.get(id - 1) : null;
  }

  private Shipment knownShipment(long shipId, String what) {
    Shipment shipment = emitted(shipId);
    if (shipment == null) log.warn("world sent {} for unknown shipment {}", what, shipId);
    return shipment;
  }

  private static AProduct product(AUItem item) {
    return AProduct.newBuilder()
        .setId(item.getProductid())
        .setDescription(item.getDescription())
        .setCount(item.getCount())
        .build();
  }

  private static String describe(long productId) {
    return CATALOGUE.stream().filter(p -> p.id() == productId).findFirst().orElseThrow().description();
  }
}
