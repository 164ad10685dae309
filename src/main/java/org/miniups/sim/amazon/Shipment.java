package org.miniups.sim.amazon;

import java.util.List;
import org.miniups.proto.UpsAmazon.AUItem;

/**
 * Everything Amazon knows of one shipid: its order, when Amazon emitted it, how far it got, and
 * what UPS said of it. UPS may name a shipid Amazon never emitted; such a shipment has no order
 * (no warehouse) and only counts what was said of it.
 */
final class Shipment {
  final long id;
  // The order: no warehouse while Amazon has not emitted this shipid.
  Warehouse warehouse;
  List<AUItem> items = List.of();
  long pickupSeqnum;
  /** The destination the pickup asked for. */
  int[] destination;

  boolean packed;
  boolean queried;
  /** The truck UPS last said is waiting for it. */
  Integer truckId;
  /** The truck our last APutOnTruck named. */
  Integer loadingOnto;
  boolean loaded;

  // What SimAmazonStats reports: notices counted once per UPS seqnum.
  int accepted;
  int arrived;
  int outForDelivery;
  int delivered;
  /** AULoaded sent to UPS (the world said ALoaded). */
  int timesLoaded;
  int[] deliveredAt;
  int[] outForDeliveryDest;
  String status;
  /** {@link System#nanoTime()} of the first UADelivered; null before. */
  Long deliveredNanos;

  Shipment(long id) {
    this.id = id;
  }

  /** Amazon emits (or emitted, before a restart) this shipid: its order. */
  void emit(Warehouse warehouse, List<AUItem> items, long pickupSeqnum) {
    this.warehouse = warehouse;
    this.items = items;
    this.pickupSeqnum = pickupSeqnum;
  }

  boolean isEmitted() {
    return warehouse != null;
  }
}
