package org.miniups.amazon;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.List;
import org.miniups.CborSerializable;
import org.miniups.link.PeerMessage;

/** What Amazon asks of us, decoded from {@code AUCommands}; each came with an Amazon seqnum. */
@JsonSubTypes({
  @JsonSubTypes.Type(value = AmazonRequest.Pickup.class, name = "amazon.pickup"),
  @JsonSubTypes.Type(value = AmazonRequest.Loaded.class, name = "amazon.loaded"),
  @JsonSubTypes.Type(value = AmazonRequest.Query.class, name = "amazon.query"),
  @JsonSubTypes.Type(value = AmazonRequest.Refused.class, name = "amazon.refused")
})
public sealed interface AmazonRequest extends PeerMessage {

  /** {@code AUPickup}: collect shipment {@code shipId}. {@code upsUserId} is null when not given. */
  record Pickup(
      long shipId, Warehouse warehouse, int destX, int destY, Long upsUserId, List<Item> items)
      implements AmazonRequest {
    public Pickup {
      items = List.copyOf(items);
    }
  }

  /** {@code AULoaded}: the shipment is on the truck. */
  record Loaded(long shipId, int truckId) implements AmazonRequest {}

  /** {@code AUQuery}. */
  record Query(long shipId) implements AmazonRequest {}

  /** {@code AUErr}: Amazon could not use our message {@code originSeqnum}. */
  record Refused(String error, long originSeqnum) implements AmazonRequest {}

  record Warehouse(int id, int x, int y) implements CborSerializable {}

  record Item(long productId, String description, int count) implements CborSerializable {}
}
