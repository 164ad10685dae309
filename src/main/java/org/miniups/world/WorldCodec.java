package org.miniups.world;

import java.util.ArrayList;
import java.util.List;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.WorldUps;

/** Maps between World domain messages and the {@code world_ups.proto} wire messages. */
public final class WorldCodec {
  private WorldCodec() {}

  /** A World item with the seqnum we must ack. */
  public record Inbound(long seqnum, WorldEvent event) {}

  public static WorldUps.UCommands commands(List<ResendSupervisor.Item> items, List<Long> acks) {
    WorldUps.UCommands.Builder out = WorldUps.UCommands.newBuilder().addAllAcks(acks);
    for (ResendSupervisor.Item item : items) {
      long seqnum = item.seqnum();
      Object message = item.message();
      if (message instanceof WorldCommand.GoPickup p) {
        out.addPickups(
            WorldUps.UGoPickup.newBuilder()
                .setTruckid(p.truckId())
                .setWhid(p.warehouseId())
                .setSeqnum(seqnum));
      } else if (message instanceof WorldCommand.GoDeliver d) {
        WorldUps.UGoDeliver.Builder deliver =
            WorldUps.UGoDeliver.newBuilder().setTruckid(d.truckId()).setSeqnum(seqnum);
        for (WorldCommand.Drop drop : d.drops()) {
          deliver.addPackages(
              WorldUps.UDeliveryLocation.newBuilder()
                  .setPackageid(drop.packageId())
                  .setX(drop.x())
                  .setY(drop.y()));
        }
        out.addDeliveries(deliver);
      } else if (message instanceof WorldCommand.Query q) {
        out.addQueries(WorldUps.UQuery.newBuilder().setTruckid(q.truckId()).setSeqnum(seqnum));
      } else {
        throw new IllegalArgumentException("not a World command: " + message);
      }
    }
    return out.build();
  }

  public static List<Inbound> events(WorldUps.UResponses responses) {
    List<Inbound> out = new ArrayList<>();
    for (WorldUps.UFinished f : responses.getCompletionsList()) {
      out.add(new Inbound(f.getSeqnum(), new WorldEvent.Finished(f.getTruckid(), f.getX(), f.getY(), f.getStatus())));
    }
    for (WorldUps.UDeliveryMade d : responses.getDeliveredList()) {
      out.add(new Inbound(d.getSeqnum(), new WorldEvent.PackageDelivered(d.getTruckid(), d.getPackageid())));
    }
    for (WorldUps.UTruck t : responses.getTruckstatusList()) {
      out.add(new Inbound(t.getSeqnum(), new WorldEvent.TruckReport(t.getTruckid(), t.getStatus(), t.getX(), t.getY())));
    }
    for (WorldUps.UErr e : responses.getErrorList()) {
      out.add(new Inbound(e.getSeqnum(), new WorldEvent.CommandFailed(e.getErr(), e.getOriginseqnum())));
    }
    return out;
  }
}
