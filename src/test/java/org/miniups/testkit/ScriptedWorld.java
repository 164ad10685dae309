package org.miniups.testkit;

import com.google.protobuf.Message;
import java.util.List;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.WorldUps;
import org.miniups.world.WorldCodec;

/**
 * The World, scripted by a test: expects what UPS sends it ({@code UGoPickup}, {@code
 * UGoDeliver}, {@code UQuery}) and answers as the World would ({@code UFinished}, {@code
 * UDeliveryMade}, {@code UTruck}, {@code UErr}), or not at all, twice, late or out of order.
 */
public final class ScriptedWorld extends ScriptedPeer {
  ScriptedWorld(long worldId) {
    super("the World", worldId);
  }

  public WorldUps.UGoPickup expectGoPickup(int truckId) {
    return expect(WorldUps.UGoPickup.class, "UGoPickup for truck " + truckId, m -> m.getTruckid() == truckId);
  }

  public WorldUps.UGoDeliver expectGoDeliver(int truckId) {
    return expect(WorldUps.UGoDeliver.class, "UGoDeliver for truck " + truckId, m -> m.getTruckid() == truckId);
  }

  public WorldUps.UQuery expectQuery(int truckId) {
    return expect(WorldUps.UQuery.class, "UQuery for truck " + truckId, m -> m.getTruckid() == truckId);
  }

  /** {@code UFinished} with status "arrive warehouse": the truck is at the warehouse at (x, y). */
  public long arrivedAtWarehouse(int truckId, int x, int y) {
    return finished(truckId, x, y, "arrive warehouse");
  }

  /** {@code UFinished}: the truck arrived at a warehouse, or ("idle") has made its last delivery. */
  public long finished(int truckId, int x, int y, String status) {
    return send(WorldUps.UFinished.newBuilder().setTruckid(truckId).setX(x).setY(y).setStatus(status));
  }

  public long deliveryMade(int truckId, long packageId) {
    return send(WorldUps.UDeliveryMade.newBuilder().setTruckid(truckId).setPackageid(packageId));
  }

  /** {@code UTruck}: the answer to a {@code UQuery}. */
  public long truckStatus(int truckId, String status, int x, int y) {
    return send(WorldUps.UTruck.newBuilder().setTruckid(truckId).setStatus(status).setX(x).setY(y));
  }

  /** {@code UErr}: the World could not carry out our command {@code originSeqnum}. */
  public long error(String error, long originSeqnum) {
    return send(WorldUps.UErr.newBuilder().setErr(error).setOriginseqnum(originSeqnum));
  }

  @Override
  Message onTheWire(ResendSupervisor.Item item) {
    WorldUps.UCommands commands = WorldCodec.commands(List.of(item), List.of());
    if (commands.getPickupsCount() > 0) return commands.getPickups(0);
    if (commands.getDeliveriesCount() > 0) return commands.getDeliveries(0);
    return commands.getQueries(0);
  }

  @Override
  List<LinkConnection.Received> decode(Message item) {
    WorldUps.UResponses.Builder responses = WorldUps.UResponses.newBuilder();
    if (item instanceof WorldUps.UFinished finished) responses.addCompletions(finished);
    else if (item instanceof WorldUps.UDeliveryMade delivered) responses.addDelivered(delivered);
    else if (item instanceof WorldUps.UTruck truck) responses.addTruckstatus(truck);
    else if (item instanceof WorldUps.UErr error) responses.addError(error);
    else throw new IllegalArgumentException("the World does not send " + item.getDescriptorForType().getName());
    return WorldCodec.events(responses.build()).stream()
        .map(inbound -> new LinkConnection.Received(inbound.seqnum(), inbound.event()))
        .toList();
  }
}
