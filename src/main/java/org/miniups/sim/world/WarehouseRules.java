package org.miniups.sim.world;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.miniups.proto.WorldAmazon.AErr;
import org.miniups.proto.WorldAmazon.ALoaded;
import org.miniups.proto.WorldAmazon.APack;
import org.miniups.proto.WorldAmazon.APackage;
import org.miniups.proto.WorldAmazon.APacked;
import org.miniups.proto.WorldAmazon.AProduct;
import org.miniups.proto.WorldAmazon.APurchaseMore;
import org.miniups.proto.WorldAmazon.APutOnTruck;
import org.miniups.proto.WorldAmazon.AQuery;
import org.miniups.proto.WorldAmazon.AResponses;
import org.miniups.sim.world.WorldState.Parcel;
import org.miniups.sim.world.WorldState.ParcelStatus;
import org.miniups.sim.world.WorldState.Warehouse;

/**
 * The world's rules on Amazon's side: what APurchaseMore, APack, APutOnTruck and AQuery do to the
 * warehouses and packages, and the timers of purchases, packing and loading. Items for Amazon go
 * out through its link.
 */
final class WarehouseRules {
  // Base durations at simspeed 100, as the course's world uses them.
  static final long PURCHASE_MILLIS = 1000;
  static final long PACKING_MILLIS = 1000;
  static final long LOADING_MILLIS = 500;

  private final WorldState state;
  private final TimerScheduler<World.Command> timers;
  private final PeerLink<AResponses.Builder> amazon;

  WarehouseRules(WorldState state, TimerScheduler<World.Command> timers, PeerLink<AResponses.Builder> amazon) {
    this.state = state;
    this.timers = timers;
    this.amazon = amazon;
  }

  /** A restored world's packing and purchases go on. */
  void resumeTimers() {
    for (Parcel parcel : state.parcels.values()) {
      if (parcel.status == ParcelStatus.PACKING) {
        timers.startSingleTimer(new World.PackingDone(parcel.id), state.scaled(PACKING_MILLIS));
      }
    }
    for (APurchaseMore purchase : state.purchasesOnTheWay) {
      timers.startSingleTimer(new World.PurchaseArrived(purchase), state.scaled(PURCHASE_MILLIS));
    }
  }

  void purchase(APurchaseMore purchase) {
    if (!state.warehouses.containsKey(purchase.getWhnum())) {
      amazonError(purchase.getSeqnum(), "unknown warehouse " + purchase.getWhnum());
      return;
    }
    String badCount = firstNonPositiveCount(purchase.getThingsList());
    if (badCount != null) {
      amazonError(purchase.getSeqnum(), badCount);
      return;
    }
    state.purchasesOnTheWay.add(purchase);
    timers.startSingleTimer(new World.PurchaseArrived(purchase), state.scaled(PURCHASE_MILLIS));
  }

  void purchaseArrived(APurchaseMore purchase) {
    state.purchasesOnTheWay.remove(purchase);
    Warehouse warehouse = state.warehouses.get(purchase.getWhnum());
    for (AProduct product : purchase.getThingsList()) {
      warehouse.stock.merge(product.getId(), product.getCount(), Integer::sum);
    }
    long seqnum = state.nextWorldSeqnum();
    APurchaseMore back = purchase.toBuilder().setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addArrived(back));
  }

  void pack(APack pack) {
    Warehouse warehouse = state.warehouses.get(pack.getWhnum());
    if (warehouse == null) {
      amazonError(pack.getSeqnum(), "unknown warehouse " + pack.getWhnum());
      return;
    }
    if (state.parcels.containsKey(pack.getShipid())) {
      amazonError(pack.getSeqnum(), "package " + pack.getShipid() + " already exists");
      return;
    }
    String badCount = firstNonPositiveCount(pack.getThingsList());
    if (badCount != null) {
      amazonError(pack.getSeqnum(), badCount);
      return;
    }
    Map<Long, Integer> needed = new LinkedHashMap<>();
    for (AProduct product : pack.getThingsList()) {
      needed.merge(product.getId(), product.getCount(), Integer::sum);
    }
    for (Map.Entry<Long, Integer> need : needed.entrySet()) {
      int inStock = warehouse.stock.getOrDefault(need.getKey(), 0);
      if (inStock < need.getValue()) {
        amazonError(
            pack.getSeqnum(),
            "warehouse " + warehouse.id + " has " + inStock + " of product " + need.getKey()
                + ", package " + pack.getShipid() + " needs " + need.getValue());
        return;
      }
    }
    needed.forEach((product, count) -> warehouse.stock.merge(product, -count, Integer::sum));
    state.parcels.put(pack.getShipid(), new Parcel(pack.getShipid(), warehouse.id));
    timers.startSingleTimer(new World.PackingDone(pack.getShipid()), state.scaled(PACKING_MILLIS));
  }

  void packingDone(long packageId) {
    state.parcels.get(packageId).status = ParcelStatus.PACKED;
    long seqnum = state.nextWorldSeqnum();
    APacked packed = APacked.newBuilder().setShipid(packageId).setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addReady(packed));
  }

  void load(APutOnTruck load) {
    Warehouse warehouse = state.warehouses.get(load.getWhnum());
    Truck truck = state.trucks.get(load.getTruckid());
    Parcel parcel = state.parcels.get(load.getShipid());
    String refusal;
    if (warehouse == null) {
      refusal = "unknown warehouse " + load.getWhnum();
    } else if (truck == null) {
      refusal = "unknown truck " + load.getTruckid();
    } else if (parcel == null) {
      refusal = "unknown package " + load.getShipid();
    } else if (parcel.warehouseId != warehouse.id) {
      refusal = "package " + parcel.id + " is at warehouse " + parcel.warehouseId
          + ", not " + warehouse.id;
    } else if (parcel.status != ParcelStatus.PACKED) {
      refusal = "package " + parcel.id + " cannot be loaded while " + parcel.status.wire;
    } else if (!isAt(truck, warehouse)) {
      refusal = "truck " + truck.id + " is not at warehouse " + warehouse.id + " ("
          + truck.status.wire + ")";
    } else {
      refusal = null;
    }
    if (refusal != null) {
      amazonError(load.getSeqnum(), refusal);
      return;
    }
    parcel.status = ParcelStatus.LOADING;
    parcel.truckId = truck.id;
    truck.loadQueue.add(parcel.id);
    if (truck.status != Truck.Status.LOADING) startLoading(truck);
  }

  private static boolean isAt(Truck truck, Warehouse warehouse) {
    return (truck.status == Truck.Status.ARRIVE_WAREHOUSE
            || truck.status == Truck.Status.LOADING)
        && Integer.valueOf(warehouse.id).equals(truck.warehouseId);
  }

  /** Loads the head of the truck's load queue; one package at a time. */
  private void startLoading(Truck truck) {
    truck.status = Truck.Status.LOADING;
    timers.startSingleTimer(new World.LoadingDone(truck.id), state.scaled(LOADING_MILLIS));
  }

  void loadingDone(int truckId) {
    Truck truck = state.trucks.get(truckId);
    Parcel parcel = state.parcels.get(truck.loadQueue.remove());
    parcel.status = ParcelStatus.LOADED;
    truck.aboard.add(parcel.id);
    long seqnum = state.nextWorldSeqnum();
    ALoaded loaded = ALoaded.newBuilder().setShipid(parcel.id).setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addLoaded(loaded));
    if (truck.loadQueue.isEmpty()) {
      truck.status = Truck.Status.ARRIVE_WAREHOUSE;
    } else {
      startLoading(truck);
    }
  }

  void queryPackage(AQuery query) {
    Parcel parcel = state.parcels.get(query.getPackageid());
    if (parcel == null) {
      amazonError(query.getSeqnum(), "unknown package " + query.getPackageid());
      return;
    }
    long seqnum = state.nextWorldSeqnum();
    APackage status =
        APackage.newBuilder()
            .setPackageid(parcel.id)
            .setStatus(parcel.status.wire)
            .setSeqnum(seqnum)
            .build();
    amazon.send(seqnum, response -> response.addPackagestatus(status));
  }

  private void amazonError(long originSeqnum, String text) {
    long seqnum = state.nextWorldSeqnum();
    AErr error =
        AErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum).build();
    amazon.send(seqnum, response -> response.addError(error));
  }

  private static String firstNonPositiveCount(List<AProduct> products) {
    for (AProduct product : products) {
      if (product.getCount() <= 0) {
        return "product " + product.getId() + " has count " + product.getCount()
            + " (must be positive)";
      }
    }
    return null;
  }
}
