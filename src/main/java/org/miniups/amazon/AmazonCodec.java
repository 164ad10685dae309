package org.miniups.amazon;

import java.util.ArrayList;
import java.util.List;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.UpsAmazon;

/** Maps between Amazon domain messages and the {@code ups_amazon.proto} wire messages. */
public final class AmazonCodec {
  private AmazonCodec() {}

  public static UpsAmazon.UACommands commands(List<ResendSupervisor.Item> items, List<Long> acks) {
    UpsAmazon.UACommands.Builder out = UpsAmazon.UACommands.newBuilder().addAllAcks(acks);
    for (ResendSupervisor.Item item : items) {
      long seqnum = item.seqnum();
      Object message = item.message();
      if (message instanceof AmazonNotice.PickupAccepted a) {
        out.addAccepted(
            UpsAmazon.UAPickupAccepted.newBuilder()
                .setShipid(a.shipId())
                .setTrackingnumber(a.trackingNumber())
                .setTruckid(a.truckId())
                .setUserlinked(a.userLinked())
                .setSeqnum(seqnum));
      } else if (message instanceof AmazonNotice.TruckArrived t) {
        out.addArrived(
            UpsAmazon.UATruckArrived.newBuilder()
                .setTruckid(t.truckId())
                .setWhid(t.warehouseId())
                .addAllShipids(t.shipIds())
                .setSeqnum(seqnum));
      } else if (message instanceof AmazonNotice.OutForDelivery o) {
        out.addOutfordelivery(
            UpsAmazon.UAOutForDelivery.newBuilder()
                .setShipid(o.shipId())
                .setDestx(o.x())
                .setDesty(o.y())
                .setSeqnum(seqnum));
      } else if (message instanceof AmazonNotice.Delivered d) {
        out.addDelivered(
            UpsAmazon.UADelivered.newBuilder().setShipid(d.shipId()).setX(d.x()).setY(d.y()).setSeqnum(seqnum));
      } else if (message instanceof AmazonNotice.Status s) {
        out.addStatus(
            UpsAmazon.UAStatus.newBuilder()
                .setShipid(s.shipId())
                .setStatus(s.status())
                .setX(s.x())
                .setY(s.y())
                .setSeqnum(seqnum));
      } else if (message instanceof AmazonNotice.Error e) {
        out.addErrors(
            UpsAmazon.UAErr.newBuilder().setErr(e.error()).setOriginseqnum(e.originSeqnum()).setSeqnum(seqnum));
      } else {
        throw new IllegalArgumentException("not an Amazon notice: " + message);
      }
    }
    return out.build();
  }

  public static LinkConnection.Inbound inbound(UpsAmazon.AUCommands commands) {
    List<LinkConnection.Received> items = new ArrayList<>();
    for (UpsAmazon.AUPickup p : commands.getPickupsList()) {
      List<AmazonRequest.Item> things = new ArrayList<>();
      for (UpsAmazon.AUItem i : p.getItemsList()) {
        things.add(new AmazonRequest.Item(i.getProductid(), i.getDescription(), i.getCount()));
      }
      UpsAmazon.AUWarehouse w = p.getWarehouse();
      items.add(
          new LinkConnection.Received(
              p.getSeqnum(),
              new AmazonRequest.Pickup(
                  p.getShipid(),
                  new AmazonRequest.Warehouse(w.getId(), w.getX(), w.getY()),
                  p.getDestx(),
                  p.getDesty(),
                  p.hasUpsuserid() ? p.getUpsuserid() : null,
                  things)));
    }
    for (UpsAmazon.AULoaded l : commands.getLoadedList()) {
      items.add(new LinkConnection.Received(l.getSeqnum(), new AmazonRequest.Loaded(l.getShipid(), l.getTruckid())));
    }
    for (UpsAmazon.AUQuery q : commands.getQueriesList()) {
      items.add(new LinkConnection.Received(q.getSeqnum(), new AmazonRequest.Query(q.getShipid())));
    }
    for (UpsAmazon.AUErr e : commands.getErrorsList()) {
      items.add(new LinkConnection.Received(e.getSeqnum(), new AmazonRequest.Refused(e.getErr(), e.getOriginseqnum())));
    }
    return new LinkConnection.Inbound(
        commands.getAcksList(), items, commands.hasDisconnect() && commands.getDisconnect());
  }
}
