package org.miniups.sim.amazon;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.TextFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongPredicate;
import org.miniups.proto.UpsAmazon.AULoaded;
import org.miniups.proto.UpsAmazon.AUPickup;
import org.miniups.proto.UpsAmazon.AUQuery;
import org.miniups.proto.UpsAmazon.UACommands;
import org.miniups.proto.UpsAmazon.UAConnected;
import org.miniups.proto.UpsAmazon.UADelivered;
import org.miniups.proto.UpsAmazon.UAErr;
import org.miniups.proto.UpsAmazon.UAOutForDelivery;
import org.miniups.proto.UpsAmazon.UAPickupAccepted;
import org.miniups.proto.UpsAmazon.UAStatus;
import org.miniups.proto.UpsAmazon.UATruckArrived;
import org.slf4j.Logger;

/**
 * Judges UPS by the rules of PROTOCOL.md's "UPS ⇄ Amazon" link, as far as Amazon can observe
 * them. {@link SimAmazon} tells it what Amazon asked of UPS and hands it each UPS item the first
 * time its seqnum comes, in the order a receiver handles a message's fields (accepted, arrived,
 * outfordelivery, delivered, status, errors), so "before" here is exactly the protocol's "before".
 * Each breach becomes one violation: a sentence that starts with the rule and names the
 * shipments and seqnums, logged once at WARN. It only judges; what Amazon does stays in SimAmazon.
 */
public final class ProtocolReferee {

  /** PROTOCOL.md's package statuses; {@code exception: <reason>} besides. */
  private static final Set<String> STATUSES =
      Set.of("created", "truck en route to warehouse", "truck waiting for package", "loading",
          "out for delivery", "delivered");
  private static final String EXCEPTION = "exception: ";
  private static final String JOINED = "connected!";
  private static final String REFUSED = "error:";
  private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);
  /** Every kind of UPS item, by protobuf name, to read saved ones back. */
  private static final Map<String, Parser<? extends Message>> UPS_ITEM_PARSERS =
      Map.of(
          "UAPickupAccepted", UAPickupAccepted.parser(),
          "UATruckArrived", UATruckArrived.parser(),
          "UAOutForDelivery", UAOutForDelivery.parser(),
          "UADelivered", UADelivered.parser(),
          "UAStatus", UAStatus.parser(),
          "UAErr", UAErr.parser());

  /**
   * The referee's memory, as saved across a restart: what Amazon asked and heard, the first item
   * under each UPS seqnum (to catch a reuse after the restart), and the violations so far. The
   * handshake state is per connection, and a restart means a new connection.
   */
  record Saved(
      List<SavedTrip> trips,
      Map<Long, String> requests,
      Map<Long, String> answers,
      Map<Long, SavedItem> upsItems,
      Set<Long> unsentAcksSeen,
      List<String> violations,
      Map<Long, String> valid) {}

  /** A trip's messages as protobuf bytes; a step not heard yet is null. */
  record SavedTrip(
      byte[] pickup,
      byte[] accepted,
      byte[] arrival,
      byte[] outForDelivery,
      byte[] delivered,
      Long loadedSeqnum,
      Long querySeqnum) {}

  /** @param type the protobuf message name, e.g. {@code UADelivered} */
  record SavedItem(String type, byte[] body) {
    static SavedItem of(Message item) {
      return new SavedItem(item.getDescriptorForType().getName(), item.toByteArray());
    }

    Message parse() {
      return ProtocolReferee.parse(UPS_ITEM_PARSERS.get(type), body);
    }
  }

  /** What Amazon hears about a shipment, in causal order. */
  private enum Step {
    ACCEPTED("UAPickupAccepted"),
    ARRIVED("UATruckArrived"),
    OUT_FOR_DELIVERY("UAOutForDelivery"),
    DELIVERED("UADelivered");

    final String notice;

    Step(String notice) {
      this.notice = notice;
    }
  }

  /** What Amazon asked of UPS about one shipment, and the first notice of each step it heard. */
  private static final class Trip {
    final AUPickup pickup;
    UAPickupAccepted accepted;
    UATruckArrived arrival;
    UAOutForDelivery outForDelivery;
    UADelivered delivered;
    Long loadedSeqnum;
    Long querySeqnum;

    Trip(AUPickup pickup) {
      this.pickup = pickup;
    }

    boolean heard(Step step) {
      return switch (step) {
        case ACCEPTED -> accepted != null;
        case ARRIVED -> arrival != null;
        case OUT_FOR_DELIVERY -> outForDelivery != null;
        case DELIVERED -> delivered != null;
      };
    }
  }

  private final Logger log;
  private final Set<Long> accounts;
  private final LongPredicate sentToUps;
  private final Map<Long, Trip> trips = new HashMap<>();
  /** Our items that UPS must answer exactly once (AUPickup, AUQuery), described, by seqnum. */
  private final Map<Long, String> requests = new HashMap<>();
  /** The first answer to each of those, by the request's seqnum. */
  private final Map<Long, String> answers = new HashMap<>();
  /**
   * Our requests that PROTOCOL.md calls valid, described, by seqnum: UPS must not answer one of
   * them with UAErr (a pickup consistent with every earlier one, a load onto the truck announced
   * for the shipment, a query about a shipment UPS accepted).
   */
  private final Map<Long, String> valid = new HashMap<>();
  /** Warehouse addresses as our pickups gave them, by id, and the other way round. */
  private final Map<Integer, List<Integer>> warehouseAddresses = new HashMap<>();
  private final Map<List<Integer>, Integer> warehousesByAddress = new HashMap<>();
  /** The first item UPS sent under each of its seqnums. */
  private final Map<Long, Message> upsItems = new HashMap<>();
  private final Set<Long> unsentAcksSeen = new HashSet<>();
  private final List<String> violations = new ArrayList<>();

  // The current UPS connection.
  private long connection;
  private long worldId;
  private boolean connectedHeard;
  private boolean earlyItemsReported;

  /**
   * @param accounts the UPS user ids that name an existing account
   * @param sentToUps whether an item with this Amazon seqnum was written to a UPS connection
   */
  public ProtocolReferee(Logger log, Set<Long> accounts, LongPredicate sentToUps) {
    this.log = log;
    this.accounts = Set.copyOf(accounts);
    this.sentToUps = sentToUps;
  }

  public List<String> violations() {
    return List.copyOf(violations);
  }

  Saved saved() {
    List<SavedTrip> savedTrips = new ArrayList<>();
    for (Trip trip : trips.values()) {
      savedTrips.add(
          new SavedTrip(
              trip.pickup.toByteArray(),
              bytesOrNull(trip.accepted),
              bytesOrNull(trip.arrival),
              bytesOrNull(trip.outForDelivery),
              bytesOrNull(trip.delivered),
              trip.loadedSeqnum,
              trip.querySeqnum));
    }
    Map<Long, SavedItem> items = new HashMap<>();
    upsItems.forEach((seqnum, item) -> items.put(seqnum, SavedItem.of(item)));
    return new Saved(savedTrips, requests, answers, items, new TreeSet<>(unsentAcksSeen), violations, valid);
  }

  /** Remembers what a previous process saw; call before anything else happens. */
  void restore(Saved saved) {
    for (SavedTrip savedTrip : saved.trips()) {
      Trip trip = new Trip(parse(AUPickup.parser(), savedTrip.pickup()));
      trip.accepted = parseOrNull(UAPickupAccepted.parser(), savedTrip.accepted());
      trip.arrival = parseOrNull(UATruckArrived.parser(), savedTrip.arrival());
      trip.outForDelivery = parseOrNull(UAOutForDelivery.parser(), savedTrip.outForDelivery());
      trip.delivered = parseOrNull(UADelivered.parser(), savedTrip.delivered());
      trip.loadedSeqnum = savedTrip.loadedSeqnum();
      trip.querySeqnum = savedTrip.querySeqnum();
      trips.put(trip.pickup.getShipid(), trip);
      learnWarehouse(trip.pickup);
    }
    requests.putAll(saved.requests());
    answers.putAll(saved.answers());
    saved.upsItems().forEach((seqnum, item) -> upsItems.put(seqnum, item.parse()));
    unsentAcksSeen.addAll(saved.unsentAcksSeen());
    violations.addAll(saved.violations());
    if (saved.valid() != null) valid.putAll(saved.valid()); // null in states saved before it was kept
  }

  private static byte[] bytesOrNull(Message message) {
    return message == null ? null : message.toByteArray();
  }

  private static <T extends Message> T parseOrNull(Parser<T> parser, byte[] bytes) {
    return bytes == null ? null : parse(parser, bytes);
  }

  private static <T extends Message> T parse(Parser<T> parser, byte[] bytes) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a saved UPS message does not parse", e);
    }
  }

  // ---- what Amazon does ----------------------------------------------------------------------

  void connectionOpened(long number, long namedWorldId) {
    connection = number;
    worldId = namedWorldId;
    connectedHeard = false;
    earlyItemsReported = false;
  }

  public void pickupQueued(AUPickup pickup) {
    String described = "AUPickup seqnum " + pickup.getSeqnum() + " (shipment " + pickup.getShipid() + ")";
    if (isConsistent(pickup)) valid.put(pickup.getSeqnum(), described);
    trips.put(pickup.getShipid(), new Trip(pickup));
    learnWarehouse(pickup);
    requests.put(pickup.getSeqnum(), described);
  }

  /** Its warehouse's id and address agree with every earlier pickup, and its shipid is new or has the same content. */
  private boolean isConsistent(AUPickup pickup) {
    List<Integer> address = addressOf(pickup);
    int id = pickup.getWarehouse().getId();
    if (!address.equals(warehouseAddresses.getOrDefault(id, address))) return false;
    if (warehousesByAddress.getOrDefault(address, id) != id) return false;
    Trip earlier = trips.get(pickup.getShipid());
    return earlier == null || sameContent(earlier.pickup, pickup);
  }

  private void learnWarehouse(AUPickup pickup) {
    warehouseAddresses.putIfAbsent(pickup.getWarehouse().getId(), addressOf(pickup));
    warehousesByAddress.putIfAbsent(addressOf(pickup), pickup.getWarehouse().getId());
  }

  private static List<Integer> addressOf(AUPickup pickup) {
    return List.of(pickup.getWarehouse().getX(), pickup.getWarehouse().getY());
  }

  private static boolean sameContent(AUPickup a, AUPickup b) {
    return a.toBuilder().clearSeqnum().buildPartial().equals(b.toBuilder().clearSeqnum().buildPartial());
  }

  /** Valid when it names the truck UATruckArrived announced for the shipment, whatever happened since. */
  public void loadedQueued(AULoaded loaded) {
    Trip trip = trips.get(loaded.getShipid());
    if (trip == null) return;
    if (trip.loadedSeqnum == null) trip.loadedSeqnum = loaded.getSeqnum();
    if (trip.arrival != null && trip.arrival.getTruckid() == loaded.getTruckid()) {
      valid.put(loaded.getSeqnum(),
          "AULoaded seqnum " + loaded.getSeqnum() + " (shipment " + loaded.getShipid() + " on truck "
              + loaded.getTruckid() + ", announced in UATruckArrived seqnum " + trip.arrival.getSeqnum() + ")");
    }
  }

  public void queryQueued(AUQuery query) {
    Trip trip = trips.get(query.getShipid());
    String described = "AUQuery seqnum " + query.getSeqnum() + " (shipment " + query.getShipid() + ")";
    if (trip != null && trip.querySeqnum == null) trip.querySeqnum = query.getSeqnum();
    if (trip != null && trip.accepted != null) valid.put(query.getSeqnum(), described + ", which UPS accepted");
    requests.put(query.getSeqnum(), described);
  }

  // ---- what UPS says -------------------------------------------------------------------------

  /** A whole UACommands, before its items: the handshake part of it. */
  void message(UACommands commands) {
    if (commands.hasConnected()) {
      connected(commands.getConnected());
    } else if (!connectedHeard && !earlyItemsReported && hasItems(commands)) {
      earlyItemsReported = true;
      breach("handshake: connection %d carried UPS items (seqnums %s) before its UAConnected",
          connection, itemSeqnums(commands));
    }
  }

  private void connected(UAConnected connected) {
    if (connectedHeard) {
      breach("handshake: connection %d got a second UAConnected (result \"%s\")",
          connection, connected.getResult());
      return;
    }
    connectedHeard = true;
    if (connected.getWorldid() != worldId) {
      breach("handshake: UAConnected on connection %d names world %d, but Amazon named world %d",
          connection, connected.getWorldid(), worldId);
    }
    String result = connected.getResult();
    if (!result.equals(JOINED) && !result.startsWith(REFUSED)) {
      breach("handshake: UAConnected on connection %d has result \"%s\", neither \"%s\" nor an \"%s …\" text",
          connection, result, JOINED, REFUSED);
    }
  }

  public void acks(List<Long> seqnums) {
    for (long seqnum : seqnums) {
      if (!sentToUps.test(seqnum) && unsentAcksSeen.add(seqnum)) {
        breach("seqnums: UPS acked seqnum %d, which Amazon never sent it", seqnum);
      }
    }
  }

  /** Every UPS item, new or re-sent: one seqnum names one item for the life of the world. */
  public void item(long seqnum, Message item) {
    Message first = upsItems.putIfAbsent(seqnum, item);
    if (first != null && !first.equals(item)) {
      breach("seqnums: UPS seqnum %d came first as %s and again as %s",
          seqnum, describe(first), describe(item));
    }
  }

  public void accepted(UAPickupAccepted notice) {
    long seqnum = notice.getSeqnum();
    Trip trip = trip(notice.getShipid(), Step.ACCEPTED.notice, seqnum);
    if (trip == null) return;
    answered(trip.pickup.getSeqnum(), "UAPickupAccepted seqnum " + seqnum);
    String tracking = notice.getTrackingnumber();
    if (tracking.isEmpty()) {
      breach("tracking number: UAPickupAccepted seqnum %d for shipment %d has an empty tracking number",
          seqnum, notice.getShipid());
    } else if (trip.accepted != null && !trip.accepted.getTrackingnumber().equals(tracking)) {
      breach("tracking number: UAPickupAccepted seqnum %d gives shipment %d tracking number \"%s\", "
              + "but UAPickupAccepted seqnum %d gave \"%s\"",
          seqnum, notice.getShipid(), tracking, trip.accepted.getSeqnum(), trip.accepted.getTrackingnumber());
    }
    checkUserLinked(trip.pickup, notice);
    if (trip.accepted == null) trip.accepted = notice;
  }

  private void checkUserLinked(AUPickup pickup, UAPickupAccepted notice) {
    boolean named = pickup.hasUpsuserid();
    boolean exists = named && accounts.contains(pickup.getUpsuserid());
    if (notice.getUserlinked() == exists) return;
    String asked =
        !named ? "named no UPS user id"
            : exists ? "named existing UPS account " + pickup.getUpsuserid()
            : "named UPS user id " + pickup.getUpsuserid() + ", which is no account";
    breach("userlinked: UAPickupAccepted seqnum %d says userlinked=%b for shipment %d, whose AUPickup %s",
        notice.getSeqnum(), notice.getUserlinked(), notice.getShipid(), asked);
  }

  public void arrived(UATruckArrived notice) {
    long seqnum = notice.getSeqnum();
    if (notice.getShipidsCount() == 0) breach("truck arrival: UATruckArrived seqnum %d names no shipment", seqnum);
    for (long shipId : notice.getShipidsList()) {
      Trip trip = trip(shipId, Step.ARRIVED.notice, seqnum);
      if (trip == null) continue;
      if (trip.arrival != null) {
        breach("truck arrival: UATruckArrived seqnum %d names shipment %d again (first in UATruckArrived seqnum %d)",
            seqnum, shipId, trip.arrival.getSeqnum());
        continue;
      }
      checkCausalOrder(trip, Step.ARRIVED, seqnum);
      int warehouse = trip.pickup.getWarehouse().getId();
      if (notice.getWhid() != warehouse) {
        breach("truck arrival: UATruckArrived seqnum %d names shipment %d at warehouse %d, but its AUPickup named warehouse %d",
            seqnum, shipId, notice.getWhid(), warehouse);
      }
      if (trip.accepted != null && trip.accepted.getTruckid() != notice.getTruckid()) {
        breach("truck arrival: UATruckArrived seqnum %d brings truck %d for shipment %d, but UAPickupAccepted seqnum %d named truck %d",
            seqnum, notice.getTruckid(), shipId, trip.accepted.getSeqnum(), trip.accepted.getTruckid());
      }
      trip.arrival = notice;
    }
  }

  public void outForDelivery(UAOutForDelivery notice) {
    long seqnum = notice.getSeqnum();
    Trip trip = trip(notice.getShipid(), Step.OUT_FOR_DELIVERY.notice, seqnum);
    if (trip == null) return;
    if (trip.outForDelivery != null) {
      breach("out for delivery: UAOutForDelivery seqnum %d names shipment %d again (first in UAOutForDelivery seqnum %d)",
          seqnum, notice.getShipid(), trip.outForDelivery.getSeqnum());
      return;
    }
    checkCausalOrder(trip, Step.OUT_FOR_DELIVERY, seqnum);
    if (trip.arrival != null) {
      List<Long> notLoaded = notLoaded(trip.arrival);
      if (!notLoaded.isEmpty()) {
        breach("out for delivery: UAOutForDelivery seqnum %d sends shipment %d out before Amazon sent AULoaded for shipments %s of UATruckArrived seqnum %d",
            seqnum, notice.getShipid(), notLoaded, trip.arrival.getSeqnum());
      }
    }
    trip.outForDelivery = notice;
  }

  /** The shipments of an arrival (those Amazon asked for) whose AULoaded UPS has not been sent. */
  private List<Long> notLoaded(UATruckArrived arrival) {
    List<Long> missing = new ArrayList<>();
    for (long shipId : new LinkedHashSet<>(arrival.getShipidsList())) {
      Trip trip = trips.get(shipId);
      if (trip != null && (trip.loadedSeqnum == null || !sentToUps.test(trip.loadedSeqnum))) missing.add(shipId);
    }
    return missing;
  }

  public void delivered(UADelivered notice) {
    long seqnum = notice.getSeqnum();
    Trip trip = trip(notice.getShipid(), Step.DELIVERED.notice, seqnum);
    if (trip == null) return;
    if (trip.delivered != null) {
      breach("delivery: UADelivered seqnum %d names shipment %d again (first in UADelivered seqnum %d)",
          seqnum, notice.getShipid(), trip.delivered.getSeqnum());
      return;
    }
    checkCausalOrder(trip, Step.DELIVERED, seqnum);
    UAOutForDelivery out = trip.outForDelivery;
    if (out != null && (out.getDestx() != notice.getX() || out.getDesty() != notice.getY())) {
      breach("delivery: UADelivered seqnum %d puts shipment %d at (%d, %d), but UAOutForDelivery seqnum %d named (%d, %d)",
          seqnum, notice.getShipid(), notice.getX(), notice.getY(), out.getSeqnum(), out.getDestx(), out.getDesty());
    }
    trip.delivered = notice;
  }

  public void status(UAStatus notice) {
    long seqnum = notice.getSeqnum();
    Trip trip = trip(notice.getShipid(), "UAStatus", seqnum);
    if (trip == null) return;
    if (trip.querySeqnum == null) {
      breach("one answer: UAStatus seqnum %d for shipment %d answers no AUQuery", seqnum, notice.getShipid());
    } else {
      answered(trip.querySeqnum, "UAStatus seqnum " + seqnum);
    }
    String status = notice.getStatus();
    boolean exception = status.startsWith(EXCEPTION) && !status.substring(EXCEPTION.length()).isBlank();
    if (!STATUSES.contains(status) && !exception) {
      breach("status: UAStatus seqnum %d gives shipment %d status \"%s\", which is none of PROTOCOL.md's package statuses",
          seqnum, notice.getShipid(), status);
    }
  }

  public void error(UAErr error) {
    long origin = error.getOriginseqnum();
    String validRequest = valid.get(origin);
    if (validRequest != null) {
      breach("valid request refused: UAErr seqnum %d answers %s, which PROTOCOL.md calls valid, with \"%s\"",
          error.getSeqnum(), validRequest, error.getErr());
    }
    if (requests.containsKey(origin)) {
      answered(origin, "UAErr seqnum " + error.getSeqnum());
    } else if (!sentToUps.test(origin)) {
      breach("seqnums: UAErr seqnum %d names originseqnum %d, which is no item Amazon sent UPS",
          error.getSeqnum(), origin);
    }
  }

  // ---- the rules shared by several notices ---------------------------------------------------

  /** The shipment's trip, or null (and a violation) when Amazon never sent UPS its AUPickup. */
  private Trip trip(long shipId, String notice, long seqnum) {
    Trip trip = trips.get(shipId);
    if (trip != null && sentToUps.test(trip.pickup.getSeqnum())) return trip;
    breach("unknown shipment: %s seqnum %d names shipment %d, whose AUPickup Amazon never sent", notice, seqnum, shipId);
    return null;
  }

  /** Every step before {@code step} must have been heard; names the first one missing. */
  private void checkCausalOrder(Trip trip, Step step, long seqnum) {
    for (Step earlier : Step.values()) {
      if (earlier == step) return;
      if (!trip.heard(earlier)) {
        breach("causal order: %s seqnum %d names shipment %d before its %s",
            step.notice, seqnum, trip.pickup.getShipid(), earlier.notice);
        return;
      }
    }
  }

  /** Each AUPickup and AUQuery is answered by exactly one notice. */
  private void answered(long requestSeqnum, String answer) {
    String first = answers.putIfAbsent(requestSeqnum, answer);
    if (first != null) {
      breach("one answer: %s was answered by %s and again by %s", requests.get(requestSeqnum), first, answer);
    }
  }

  private void breach(String format, Object... args) {
    String violation = String.format(format, args);
    violations.add(violation);
    log.warn("UPS broke the protocol: {}", violation);
  }

  private static boolean hasItems(UACommands commands) {
    return !itemSeqnums(commands).isEmpty();
  }

  /** The seqnums of every item in a UPS message, field by field. */
  static List<Long> itemSeqnums(UACommands commands) {
    List<Long> seqnums = new ArrayList<>();
    commands.getAcceptedList().forEach(n -> seqnums.add(n.getSeqnum()));
    commands.getArrivedList().forEach(n -> seqnums.add(n.getSeqnum()));
    commands.getOutfordeliveryList().forEach(n -> seqnums.add(n.getSeqnum()));
    commands.getDeliveredList().forEach(n -> seqnums.add(n.getSeqnum()));
    commands.getStatusList().forEach(n -> seqnums.add(n.getSeqnum()));
    commands.getErrorsList().forEach(n -> seqnums.add(n.getSeqnum()));
    return seqnums;
  }

  private static String describe(Message item) {
    return item.getDescriptorForType().getName() + " {" + ONE_LINE.printToString(item).trim() + "}";
  }
}
