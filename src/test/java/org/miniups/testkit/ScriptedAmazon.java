package org.miniups.testkit;

import com.google.protobuf.Message;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.miniups.amazon.AmazonCodec;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.UpsAmazon;
import org.miniups.sim.amazon.ProtocolReferee;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Amazon, scripted by a test: asks UPS for pickups, reports loads and asks for statuses ({@code
 * AUPickup}, {@code AULoaded}, {@code AUQuery}, {@code AUErr}), and expects what UPS tells it
 * ({@code UAPickupAccepted}, {@code UATruckArrived}, {@code UAOutForDelivery}, {@code
 * UADelivered}, {@code UAStatus}, {@code UAErr}).
 */
public final class ScriptedAmazon extends ScriptedPeer {
  private static final Logger log = LoggerFactory.getLogger(ScriptedAmazon.class);

  // The simulated Amazon's referee: a test fails as soon as UPS breaks a rule Amazon can observe.
  private final ProtocolReferee referee = new ProtocolReferee(log, Set.of(), this::sentToUps);
  private final Set<Long> judged = new HashSet<>();

  ScriptedAmazon(long worldId) {
    super("Amazon", worldId);
  }

  /** {@code AUPickup} of one item of product 1, from warehouse {@code warehouseId} at (whX, whY). */
  public long pickup(long shipId, int warehouseId, int whX, int whY, int destX, int destY) {
    return send(
        UpsAmazon.AUPickup.newBuilder()
            .setShipid(shipId)
            .setWarehouse(UpsAmazon.AUWarehouse.newBuilder().setId(warehouseId).setX(whX).setY(whY))
            .setDestx(destX)
            .setDesty(destY)
            .addItems(UpsAmazon.AUItem.newBuilder().setProductid(1).setDescription("a test item").setCount(1)));
  }

  /** {@code AULoaded}: shipment {@code shipId} is on truck {@code truckId}. */
  public long loaded(long shipId, int truckId) {
    return send(UpsAmazon.AULoaded.newBuilder().setShipid(shipId).setTruckid(truckId));
  }

  public long query(long shipId) {
    return send(UpsAmazon.AUQuery.newBuilder().setShipid(shipId));
  }

  /** {@code AUErr}: Amazon could not use UPS's item {@code originSeqnum}. */
  public long error(String error, long originSeqnum) {
    return send(UpsAmazon.AUErr.newBuilder().setErr(error).setOriginseqnum(originSeqnum));
  }

  public UpsAmazon.UAPickupAccepted expectPickupAccepted(long shipId) {
    return expect(
        UpsAmazon.UAPickupAccepted.class, "UAPickupAccepted for shipment " + shipId, m -> m.getShipid() == shipId);
  }

  public UpsAmazon.UATruckArrived expectTruckArrived(int truckId) {
    return expect(UpsAmazon.UATruckArrived.class, "UATruckArrived for truck " + truckId, m -> m.getTruckid() == truckId);
  }

  public UpsAmazon.UAOutForDelivery expectOutForDelivery(long shipId) {
    return expect(
        UpsAmazon.UAOutForDelivery.class, "UAOutForDelivery for shipment " + shipId, m -> m.getShipid() == shipId);
  }

  public UpsAmazon.UADelivered expectDelivered(long shipId) {
    return expect(UpsAmazon.UADelivered.class, "UADelivered for shipment " + shipId, m -> m.getShipid() == shipId);
  }

  public UpsAmazon.UAStatus expectStatus(long shipId) {
    return expect(UpsAmazon.UAStatus.class, "UAStatus for shipment " + shipId, m -> m.getShipid() == shipId);
  }

  /** {@code UAErr} about Amazon's item {@code originSeqnum}. */
  public UpsAmazon.UAErr expectError(long originSeqnum) {
    return expect(
        UpsAmazon.UAErr.class, "UAErr about Amazon's seqnum " + originSeqnum, m -> m.getOriginseqnum() == originSeqnum);
  }

  @Override
  void judgeSent(Message sent) {
    if (sent instanceof UpsAmazon.AUPickup pickup) referee.pickupQueued(pickup);
    else if (sent instanceof UpsAmazon.AULoaded loaded) referee.loadedQueued(loaded);
    else if (sent instanceof UpsAmazon.AUQuery query) referee.queryQueued(query);
  }

  /** As the simulated Amazon judges: each item for reuse of its seqnum, its first copy by its rules. */
  @Override
  void judgeReceived(Message received) {
    int before = referee.violations().size();
    long seqnum = seqnumOf(received);
    referee.item(seqnum, received);
    if (judged.add(seqnum)) {
      if (received instanceof UpsAmazon.UAPickupAccepted accepted) referee.accepted(accepted);
      else if (received instanceof UpsAmazon.UATruckArrived arrived) referee.arrived(arrived);
      else if (received instanceof UpsAmazon.UAOutForDelivery out) referee.outForDelivery(out);
      else if (received instanceof UpsAmazon.UADelivered delivered) referee.delivered(delivered);
      else if (received instanceof UpsAmazon.UAStatus status) referee.status(status);
      else if (received instanceof UpsAmazon.UAErr error) referee.error(error);
    }
    failOnNewViolations(before, describe(received));
  }

  @Override
  void judgeAcks(List<Long> acks) {
    int before = referee.violations().size();
    referee.acks(acks);
    failOnNewViolations(before, "acks " + acks);
  }

  private void failOnNewViolations(int before, String what) {
    List<String> violations = referee.violations();
    if (violations.size() > before) {
      throw new AssertionError("UPS broke the protocol with " + what + ": " + violations.subList(before, violations.size()));
    }
  }

  @Override
  Message onTheWire(ResendSupervisor.Item item) {
    UpsAmazon.UACommands commands = AmazonCodec.commands(List.of(item), List.of());
    if (commands.getAcceptedCount() > 0) return commands.getAccepted(0);
    if (commands.getArrivedCount() > 0) return commands.getArrived(0);
    if (commands.getOutfordeliveryCount() > 0) return commands.getOutfordelivery(0);
    if (commands.getDeliveredCount() > 0) return commands.getDelivered(0);
    if (commands.getStatusCount() > 0) return commands.getStatus(0);
    return commands.getErrors(0);
  }

  @Override
  List<LinkConnection.Received> decode(Message item) {
    UpsAmazon.AUCommands.Builder commands = UpsAmazon.AUCommands.newBuilder();
    if (item instanceof UpsAmazon.AUPickup pickup) commands.addPickups(pickup);
    else if (item instanceof UpsAmazon.AULoaded loaded) commands.addLoaded(loaded);
    else if (item instanceof UpsAmazon.AUQuery query) commands.addQueries(query);
    else if (item instanceof UpsAmazon.AUErr error) commands.addErrors(error);
    else throw new IllegalArgumentException("Amazon does not send " + item.getDescriptorForType().getName());
    return AmazonCodec.inbound(commands.build()).items();
  }
}
