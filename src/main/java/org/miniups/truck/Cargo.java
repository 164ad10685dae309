package org.miniups.truck;

import org.miniups.CborSerializable;
import org.miniups.world.WorldCommand;

/**
 * An order to collect a shipment at {@code warehouse}: what the truck needs to tell Amazon and the
 * World about it. {@code destination} is Amazon's until the shipment fixes it on leaving;
 * {@code attempt} counts dispatches (a refused pickup dispatches it again, and only the first
 * dispatch is announced to Amazon); {@code promisedTruck} is the truck that announcement named,
 * 0 before it (and in events stored before there was such a field).
 */
public record Cargo(
    long shipId, Warehouse warehouse, Location destination, String trackingNumber, boolean userLinked, long pickupSeqnum,
    int attempt, int promisedTruck)
    implements CborSerializable {

  /** "shipId#attempt": names this very assignment, in the truck's and the dispatcher's memory of it. */
  public String assignmentKey() {
    return shipId + "#" + attempt;
  }

  /**
   * The next dispatch after the World refused truck {@code truckId}'s pickup of it. Amazon was
   * told on the first dispatch which truck collects the shipment (UAPickupAccepted), and no
   * message of the protocol changes that: every later dispatch goes to that truck.
   */
  public Cargo refusedBy(int truckId) {
    int promised = promisedTruck != 0 ? promisedTruck : truckId;
    return new Cargo(shipId, warehouse, destination, trackingNumber, userLinked, pickupSeqnum, attempt + 1, promised);
  }

  Cargo goingTo(Location fixed) {
    return new Cargo(shipId, warehouse, fixed, trackingNumber, userLinked, pickupSeqnum, attempt, promisedTruck);
  }

  WorldCommand.Drop drop() {
    return new WorldCommand.Drop(shipId, destination.x(), destination.y());
  }
}
