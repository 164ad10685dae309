package org.miniups.sim.world;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.miniups.proto.WorldUps.UDeliveryLocation;
import org.miniups.proto.WorldUps.UDeliveryMade;
import org.miniups.proto.WorldUps.UErr;
import org.miniups.proto.WorldUps.UFinished;
import org.miniups.proto.WorldUps.UGoDeliver;
import org.miniups.proto.WorldUps.UGoPickup;
import org.miniups.proto.WorldUps.UQuery;
import org.miniups.proto.WorldUps.UResponses;
import org.miniups.proto.WorldUps.UTruck;
import org.miniups.sim.world.WorldState.Parcel;
import org.miniups.sim.world.WorldState.ParcelStatus;
import org.miniups.sim.world.WorldState.Warehouse;

/**
 * The world's rules on UPS's side: what UGoPickup, UGoDeliver and UQuery do to the trucks, and how
 * trucks move (a leg timer per trip, a drop-off per stop). Items for UPS go out through its link.
 */
final class TruckRules {
  private final WorldState state;
  private final TimerScheduler<World.Command> timers;
  private final PeerLink<UResponses.Builder> ups;

  TruckRules(WorldState state, TimerScheduler<World.Command> timers, PeerLink<UResponses.Builder> ups) {
    this.state = state;
    this.timers = timers;
    this.ups = ups;
  }

  /** A restored truck's trip goes on from where it was saved. */
  void resumeTrip(Truck truck) {
    switch (truck.status) {
      case TRAVELING -> {
        Warehouse warehouse = state.warehouses.get(truck.warehouseId);
        startLeg(truck, warehouse.x, warehouse.y);
      }
      case DELIVERING -> driveToNextStop(truck);
      case LOADING -> timers.startSingleTimer(
          new World.LoadingDone(truck.id), state.scaled(WarehouseRules.LOADING_MILLIS));
      default -> {}
    }
  }

  void pickup(UGoPickup pickup) {
    Truck truck = state.trucks.get(pickup.getTruckid());
    Warehouse warehouse = state.warehouses.get(pickup.getWhid());
    if (truck == null) {
      upsError(pickup.getSeqnum(), "unknown truck " + pickup.getTruckid());
    } else if (warehouse == null) {
      upsError(pickup.getSeqnum(), "unknown warehouse " + pickup.getWhid());
    } else if (truck.status == Truck.Status.TRAVELING || truck.status == Truck.Status.LOADING) {
      upsError(pickup.getSeqnum(), "truck " + truck.id + " is busy (" + truck.status.wire + ")");
    } else {
      if (truck.status == Truck.Status.DELIVERING) {
        // It quits the delivery; the rest of the route stays aboard for its next UGoDeliver.
        for (Truck.Stop stop : truck.route) state.parcels.get(stop.packageId()).status = ParcelStatus.LOADED;
      }
      truck.status = Truck.Status.TRAVELING;
      truck.warehouseId = warehouse.id;
      startLeg(truck, warehouse.x, warehouse.y);
    }
  }

  void deliver(UGoDeliver delivery) {
    Truck truck = state.trucks.get(delivery.getTruckid());
    if (truck == null) {
      upsError(delivery.getSeqnum(), "unknown truck " + delivery.getTruckid());
      return;
    }
    if (truck.status == Truck.Status.TRAVELING || truck.status == Truck.Status.LOADING) {
      upsError(delivery.getSeqnum(), "truck " + truck.id + " is busy (" + truck.status.wire + ")");
      return;
    }
    List<Long> notAboard = new ArrayList<>();
    for (UDeliveryLocation location : delivery.getPackagesList()) {
      if (!truck.aboard.contains(location.getPackageid())) notAboard.add(location.getPackageid());
    }
    if (!notAboard.isEmpty()) {
      upsError(
          delivery.getSeqnum(),
          "packages " + notAboard + " are not on truck " + truck.id + "; delivery rejected");
      return;
    }
    for (UDeliveryLocation location : delivery.getPackagesList()) {
      Truck.Stop stop =
          new Truck.Stop(location.getPackageid(), location.getX(), location.getY());
      int onRoute = indexOnRoute(truck, location.getPackageid());
      if (onRoute >= 0) {
        truck.route.set(onRoute, stop); // new destination, same place in the order
      } else {
        truck.route.add(stop);
      }
    }
    for (Truck.Stop stop : truck.route) state.parcels.get(stop.packageId()).status = ParcelStatus.DELIVERING;
    truck.status = Truck.Status.DELIVERING;
    truck.warehouseId = null;
    driveToNextStop(truck);
  }

  private static int indexOnRoute(Truck truck, long packageId) {
    for (int i = 0; i < truck.route.size(); i++) {
      if (truck.route.get(i).packageId() == packageId) return i;
    }
    return -1;
  }

  void queryTruck(UQuery query) {
    Truck truck = state.trucks.get(query.getTruckid());
    if (truck == null) {
      upsError(query.getSeqnum(), "unknown truck " + query.getTruckid());
      return;
    }
    long now = System.nanoTime();
    long seqnum = state.nextWorldSeqnum();
    UTruck status =
        UTruck.newBuilder()
            .setTruckid(truck.id)
            .setStatus(truck.status.wire)
            .setX(truck.x(now))
            .setY(truck.y(now))
            .setSeqnum(seqnum)
            .build();
    ups.send(seqnum, response -> response.addTruckstatus(status));
  }

  private void startLeg(Truck truck, int x, int y) {
    Duration duration = truck.headTo(x, y, System.nanoTime(), state.simSpeed);
    timers.startSingleTimer(new World.LegEnded(truck.id), duration);
  }

  /** Heads for the first remaining stop, or ends the delivery when there is none. */
  private void driveToNextStop(Truck truck) {
    if (truck.route.isEmpty()) {
      truck.status = Truck.Status.IDLE;
      upsFinished(truck);
    } else {
      Truck.Stop next = truck.route.get(0);
      startLeg(truck, next.x(), next.y());
    }
  }

  /** The truck reached a warehouse (its pickup is done) or a stop (it drops a package off). */
  void legEnded(int truckId) {
    Truck truck = state.trucks.get(truckId);
    truck.arrive();
    if (truck.status == Truck.Status.TRAVELING) {
      truck.status = Truck.Status.ARRIVE_WAREHOUSE;
      upsFinished(truck);
    } else {
      Truck.Stop stop = truck.route.remove(0);
      Parcel parcel = state.parcels.get(stop.packageId());
      parcel.status = ParcelStatus.DELIVERED;
      truck.aboard.remove(parcel.id);
      state.deliveries.merge(parcel.id, 1, Integer::sum);
      state.deliveredAt.put(parcel.id, new SimWorldStats.Delivery(truck.id, stop.x(), stop.y()));
      long seqnum = state.nextWorldSeqnum();
      UDeliveryMade made =
          UDeliveryMade.newBuilder()
              .setTruckid(truck.id)
              .setPackageid(parcel.id)
              .setSeqnum(seqnum)
              .build();
      ups.send(seqnum, response -> response.addDelivered(made));
      driveToNextStop(truck);
    }
  }

  private void upsFinished(Truck truck) {
    long now = System.nanoTime();
    long seqnum = state.nextWorldSeqnum();
    UFinished finished =
        UFinished.newBuilder()
            .setTruckid(truck.id)
            .setX(truck.x(now))
            .setY(truck.y(now))
            .setStatus(truck.status.wire)
            .setSeqnum(seqnum)
            .build();
    ups.send(seqnum, response -> response.addCompletions(finished));
  }

  private void upsError(long originSeqnum, String text) {
    long seqnum = state.nextWorldSeqnum();
    UErr error =
        UErr.newBuilder().setErr(text).setOriginseqnum(originSeqnum).setSeqnum(seqnum).build();
    ups.send(seqnum, response -> response.addError(error));
  }
}
