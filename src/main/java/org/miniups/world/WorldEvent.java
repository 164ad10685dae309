package org.miniups.world;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.Locale;
import org.miniups.link.PeerMessage;

/** What the World tells us, decoded from {@code UResponses}; each came with a World seqnum we ack. */
@JsonSubTypes({
  @JsonSubTypes.Type(value = WorldEvent.Finished.class, name = "world.finished"),
  @JsonSubTypes.Type(value = WorldEvent.PackageDelivered.class, name = "world.delivery-made"),
  @JsonSubTypes.Type(value = WorldEvent.TruckReport.class, name = "world.truck"),
  @JsonSubTypes.Type(value = WorldEvent.CommandFailed.class, name = "world.error")
})
public sealed interface WorldEvent extends PeerMessage {

  /** The truck this event concerns, or -1 for an error (found through the failed command). */
  int truckId();

  /** {@code UFinished}: arrived at a warehouse, or done delivering (status idle). */
  record Finished(int truckId, int x, int y, String status) implements WorldEvent {
    public boolean arrivedAtWarehouse() {
      return TruckStatus.of(status) == TruckStatus.ARRIVE_WAREHOUSE;
    }
  }

  /** {@code UDeliveryMade}. */
  record PackageDelivered(int truckId, long packageId) implements WorldEvent {}

  /** {@code UTruck}: the answer to a query. */
  record TruckReport(int truckId, String status, int x, int y) implements WorldEvent {}

  /** {@code UErr}: the World could not carry out the command with seqnum {@code originSeqnum}. */
  record CommandFailed(String error, long originSeqnum) implements WorldEvent {
    @Override
    public int truckId() {
      return -1;
    }
  }

  /** Truck statuses as the World spells them (compared case-insensitively). */
  enum TruckStatus {
    IDLE("idle"),
    TRAVELING("traveling"),
    ARRIVE_WAREHOUSE("arrive warehouse"),
    LOADING("loading"),
    DELIVERING("delivering"),
    UNKNOWN("unknown");

    public final String wire;

    TruckStatus(String wire) {
      this.wire = wire;
    }

    public static TruckStatus of(String status) {
      String normalized = status == null ? "" : status.trim().toLowerCase(Locale.ROOT);
      for (TruckStatus s : values()) if (s.wire.equals(normalized)) return s;
      return UNKNOWN;
    }
  }
}
