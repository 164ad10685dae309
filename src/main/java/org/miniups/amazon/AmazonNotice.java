package org.miniups.amazon;

import java.util.List;
import org.miniups.link.PeerMessage;

/** What we tell Amazon; the link gives each one a seqnum and maps it to {@code UACommands}. */
public sealed interface AmazonNotice extends PeerMessage {

  record PickupAccepted(long shipId, String trackingNumber, int truckId, boolean userLinked)
      implements AmazonNotice {}

  record TruckArrived(int truckId, int warehouseId, List<Long> shipIds) implements AmazonNotice {
    public TruckArrived {
      shipIds = List.copyOf(shipIds);
    }
  }

  record OutForDelivery(long shipId, int x, int y) implements AmazonNotice {}

  record Delivered(long shipId, int x, int y) implements AmazonNotice {}

  record Status(long shipId, String status, int x, int y) implements AmazonNotice {}

  record Error(String error, long originSeqnum) implements AmazonNotice {}
}
