package org.miniups.amazon;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.List;
import org.miniups.link.PeerMessage;

/** What we tell Amazon; the link gives each one a seqnum and maps it to {@code UACommands}. */
@JsonSubTypes({
  @JsonSubTypes.Type(value = AmazonNotice.PickupAccepted.class, name = "amazon.pickup-accepted"),
  @JsonSubTypes.Type(value = AmazonNotice.TruckArrived.class, name = "amazon.truck-arrived"),
  @JsonSubTypes.Type(value = AmazonNotice.OutForDelivery.class, name = "amazon.out-for-delivery"),
  @JsonSubTypes.Type(value = AmazonNotice.Delivered.class, name = "amazon.delivered"),
  @JsonSubTypes.Type(value = AmazonNotice.Status.class, name = "amazon.status"),
  @JsonSubTypes.Type(value = AmazonNotice.Error.class, name = "amazon.error")
})
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
