package org.miniups.world;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.List;
import org.miniups.CborSerializable;
import org.miniups.link.PeerMessage;

/** What we ask the World to do; the link gives each one a seqnum and maps it to {@code UCommands}. */
@JsonSubTypes({
  @JsonSubTypes.Type(value = WorldCommand.GoPickup.class, name = "world.go-pickup"),
  @JsonSubTypes.Type(value = WorldCommand.GoDeliver.class, name = "world.go-deliver"),
  @JsonSubTypes.Type(value = WorldCommand.Query.class, name = "world.query")
})
public sealed interface WorldCommand extends PeerMessage {

  record GoPickup(int truckId, int warehouseId) implements WorldCommand {}

  /** Visit the drops in this order; sending a package again changes its destination. */
  record GoDeliver(int truckId, List<Drop> drops) implements WorldCommand {}

  record Query(int truckId) implements WorldCommand {}

  record Drop(long packageId, int x, int y) implements CborSerializable {}
}
