package org.miniups.truck;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.miniups.Persisted;
import org.miniups.amazon.AmazonNotice;
import org.miniups.effects.EffectLog;
import org.miniups.route.Metric;
import org.miniups.route.RoutePlanner;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Truck.Phase;
import org.miniups.truck.TruckEffect.Destination;
import org.miniups.world.WorldCommand;

/**
 * The truck's write model: its trip, its route, where it is, the assignments it remembers and the
 * effects it decided. Transitions are the event handlers' methods; snapshots keep the flat shape
 * they always had ({@link Stored}).
 *
 * @param lastError the World's latest refusal of one of its commands
 * @param taken the latest assignments taken ("shipId#attempt"), so an assignment asked for again
 *     (a dispatcher re-asking after a crash) is recognised even once its trip is over
 * @param effects side effects decided and not settled
 * @param unitsDriven the truck's ledger: units from each place the World put it to the next
 *     (warehouse, drop, idle), on the World's metric
 */
public record TruckState(
    int truckId,
    Trip trip,
    Route route,
    Location position,
    Instant updatedAt,
    String lastError,
    List<String> taken,
    EffectLog<Destination, TruckEffect> effects,
    double unitsDriven)
    implements Persisted {

  static final int TAKEN_MEMORY = 256;

  public TruckState {
    taken = List.copyOf(taken);
  }

  /**
   * The pickup side of a trip.
   *
   * @param cargo shipments of the current trip not yet out for delivery, in assignment order
   * @param loaded those of {@code cargo} that Amazon loaded
   * @param pickupCommand number of this trip's UGoPickup among the truck's World effects (0: none)
   * @param loadingClosed the truck at the warehouse takes no more shipments: it leaves once loaded
   */
  public record Trip(
      Phase phase, Warehouse warehouse, List<Cargo> cargo, List<Long> loaded, long pickupCommand, boolean loadingClosed) {
    public Trip {
      cargo = List.copyOf(cargo);
      loaded = List.copyOf(loaded);
    }

    static Trip toWarehouse(Warehouse warehouse, List<Cargo> cargo, long pickupCommand) {
      return new Trip(Phase.TO_WAREHOUSE, warehouse, cargo, List.of(), pickupCommand, false);
    }

    Trip joinedBy(List<Cargo> more) {
      return new Trip(phase, warehouse, concat(cargo, more), loaded, pickupCommand, loadingClosed);
    }

    Trip arrived() {
      return new Trip(Phase.AT_WAREHOUSE, warehouse, cargo, loaded, pickupCommand, loadingClosed);
    }

    Trip loadedWith(long shipId) {
      return new Trip(phase, warehouse, cargo, concat(loaded, List.of(shipId)), pickupCommand, loadingClosed);
    }

    /** The pickup side is over: the truck is {@code next} (idle or delivering). */
    Trip over(Phase next) {
      return new Trip(next, null, List.of(), List.of(), pickupCommand, false);
    }

    Trip closed() {
      return new Trip(phase, warehouse, cargo, loaded, pickupCommand, true);
    }

    /** Takes no more shipments and has every one loaded: it goes once they fix their destinations. */
    boolean isLeaving() {
      return phase == Truck.Phase.AT_WAREHOUSE && loadingClosed && !cargo.isEmpty() && loaded.size() == cargo.size();
    }

    /** At the warehouse and still taking shipments. */
    boolean isWaitingForMore() {
      return phase == Truck.Phase.AT_WAREHOUSE && !loadingClosed;
    }
  }

  /**
   * What is out for delivery.
   *
   * @param aboard shipments handed to the World for delivery and not delivered yet
   * @param deliveryCommand number of the last UGoDeliver among the truck's World effects (0: none)
   */
  public record Route(List<Cargo> aboard, long deliveredCount, long deliveryCommand) {
    public Route {
      aboard = List.copyOf(aboard);
    }

    Route extendedBy(List<Cargo> leaving, long command) {
      return new Route(concat(aboard, leaving), deliveredCount, command);
    }

    Route without(long shipId) {
      return new Route(aboard.stream().filter(c -> c.shipId() != shipId).toList(), deliveredCount + 1, deliveryCommand);
    }

    Route abandoned() {
      return new Route(List.of(), deliveredCount, deliveryCommand);
    }

    Optional<Cargo> find(long shipId) {
      return aboard.stream().filter(c -> c.shipId() == shipId).findFirst();
    }
  }

  static TruckState initial(int truckId, Location start) {
    return new TruckState(
        truckId, new Trip(Phase.IDLE, null, List.of(), List.of(), 0, false), new Route(List.of(), 0, 0), start, null, null,
        List.of(), EffectLog.empty(), 0);
  }

  public Phase phase() {
    return trip.phase();
  }

  /** This truck took (or still carries) this very assignment. */
  boolean hasTaken(Cargo c) {
    return taken.contains(c.assignmentKey()) || carries(c.shipId());
  }

  Truck.Summary summary(Truck.Report report, RoutePlanner planner) {
    boolean reportIsNewer = report != null && (updatedAt == null || !report.at().isBefore(updatedAt));
    String status =
        switch (phase()) {
          case IDLE -> "idle";
          case TO_WAREHOUSE -> "traveling";
          case AT_WAREHOUSE -> reportIsNewer && "loading".equalsIgnoreCase(report.status()) ? "loading" : "arrive warehouse";
          case DELIVERING -> "delivering";
        };
    return new Truck.Summary(
        truckId, phase(), status, reportIsNewer ? report.position() : position, trip.warehouse() == null ? 0 : trip.warehouse().id(),
        trip.cargo().size(), trip.loaded().size(), route.aboard().size(), route.deliveredCount(), lastError,
        reportIsNewer ? report.at() : updatedAt, trip.loadingClosed(), plannedRoute(planner), unitsDriven);
  }

  /**
   * The points ahead, in order: the warehouse while bound for one, then its drops in the order the
   * truck will make them (planned from the warehouse); out for delivery, the drops as sent.
   */
  List<Location> plannedRoute(RoutePlanner planner) {
    List<Location> ahead = new ArrayList<>();
    if (trip.warehouse() != null) {
      ahead.add(trip.warehouse().location());
      ahead.addAll(planner.plan(trip.warehouse().location(), destinations(trip.cargo())).applyTo(destinations(trip.cargo())));
    } else {
      ahead.addAll(destinations(route.aboard()));
    }
    return ahead;
  }

  private static List<Location> destinations(List<Cargo> cargo) {
    return cargo.stream().map(Cargo::destination).toList();
  }

  boolean carries(long shipId) {
    return cargo(shipId).isPresent() || isAboard(shipId);
  }

  Optional<Cargo> cargo(long shipId) {
    return trip.cargo().stream().filter(c -> c.shipId() == shipId).findFirst();
  }

  boolean isAboard(long shipId) {
    return route.find(shipId).isPresent();
  }

  /** This truck recorded dropping {@code shipId} and its shipment may not have heard yet. */
  boolean recordedDelivery(long shipId) {
    return effects.open().stream()
        .anyMatch(d -> d.effect() instanceof TruckEffect.ToShipment to && to.shipId() == shipId
            && to.step().status() == Shipment.Status.DELIVERED);
  }

  // --- transitions

  TruckState assign(List<Cargo> more, Instant at) {
    List<String> keys = new ArrayList<>(taken);
    more.forEach(c -> keys.add(c.assignmentKey()));
    TruckState remembered = withTaken(keys.subList(Math.max(0, keys.size() - TAKEN_MEMORY), keys.size())).at(position, at);
    return remembered.collect(more, at);
  }

  private TruckState collect(List<Cargo> more, Instant at) {
    if (phase() == Phase.IDLE) {
      Warehouse warehouse = more.get(0).warehouse();
      TruckState commanded = emit(new TruckEffect.ToWorld(new WorldCommand.GoPickup(truckId, warehouse.id())));
      long pickup = commanded.effects.lastNumber(Destination.WORLD_OUTBOX);
      return commanded.withTrip(Trip.toWarehouse(warehouse, more, pickup)).announce(more, at);
    }
    TruckState joined = withTrip(trip.joinedBy(more)).announce(more, at);
    // Already there: these shipments get their own arrival notice.
    return phase() == Phase.AT_WAREHOUSE ? joined.announceArrival(more, at) : joined;
  }

  /** Amazon hears which truck collects each new shipment; the shipment hears its truck is coming. */
  private TruckState announce(List<Cargo> assigned, Instant at) {
    TruckState next = this;
    for (Cargo c : assigned) {
      if (c.attempt() == 0) {
        next = next.emit(new TruckEffect.ToAmazon(new AmazonNotice.PickupAccepted(c.shipId(), c.trackingNumber(), truckId, c.userLinked())));
      }
      next = next.step(Shipment.Status.EN_ROUTE, c, position, at, null);
    }
    return next;
  }

  TruckState arrive(int x, int y, Instant at) {
    return withTrip(trip.arrived()).at(new Location(x, y), at).announceArrival(trip.cargo(), at);
  }

  private TruckState announceArrival(List<Cargo> arrivedFor, Instant at) {
    if (arrivedFor.isEmpty()) return this; // UATruckArrived always names a shipment
    List<Long> ids = arrivedFor.stream().map(Cargo::shipId).toList();
    TruckState next = emit(new TruckEffect.ToAmazon(new AmazonNotice.TruckArrived(truckId, trip.warehouse().id(), ids)));
    for (Cargo c : arrivedFor) next = next.step(Shipment.Status.WAITING, c, position, at, null);
    return next;
  }

  TruckState closeLoading(Instant at) {
    return withTrip(trip.closed()).at(position, at);
  }

  TruckState load(long shipId, Instant at) {
    Cargo c = cargo(shipId).orElseThrow();
    return withTrip(trip.loadedWith(shipId)).at(position, at).step(Shipment.Status.LOADING, c, position, at, null);
  }

  /** Out with {@code leaving} (destinations fixed): one UGoDeliver, and Amazon hears each one. */
  TruckState depart(List<Cargo> leaving, Instant at) {
    TruckState next =
        withTrip(trip.over(Phase.DELIVERING))
            .at(position, at)
            .emit(new TruckEffect.ToWorld(new WorldCommand.GoDeliver(truckId, leaving.stream().map(Cargo::drop).toList())));
    next = next.withRoute(route.extendedBy(leaving, next.effects.lastNumber(Destination.WORLD_OUTBOX)));
    for (Cargo c : leaving) {
      next = next.emit(new TruckEffect.ToAmazon(new AmazonNotice.OutForDelivery(c.shipId(), c.destination().x(), c.destination().y())));
    }
    return next;
  }

  TruckState delivered(long shipId, Instant at) {
    Cargo c = route.find(shipId).orElseThrow();
    Location dropPoint = c.destination();
    return withRoute(route.without(shipId))
        .at(dropPoint, at)
        .emit(new TruckEffect.ToAmazon(new AmazonNotice.Delivered(shipId, dropPoint.x(), dropPoint.y())))
        .step(Shipment.Status.DELIVERED, c, dropPoint, at, null);
  }

  TruckState becomeIdle(int x, int y, Instant at) {
    return withTrip(trip.over(Phase.IDLE)).at(new Location(x, y), at);
  }

  /**
   * The World refused a command. A refused pickup leaves the truck where it was: its cargo goes
   * back to be dispatched again. A refused delivery (some package was not aboard, says the World)
   * leaves the packages where the World has them: they are exceptions, and the truck is free.
   */
  TruckState fail(long number, String error, Instant at) {
    TruckState failed = withError(error).at(position, at);
    if (number == trip.pickupCommand() && phase() == Phase.TO_WAREHOUSE) {
      String reason = "the World refused the pickup: " + error;
      TruckState next = failed.withTrip(trip.over(Phase.IDLE));
      for (Cargo c : trip.cargo()) {
        next = next.step(Shipment.Status.EXCEPTION, c, position, at, reason).emit(new TruckEffect.Redispatch(c.refusedBy(truckId)));
      }
      return next;
    }
    if (number == route.deliveryCommand() && phase() == Phase.DELIVERING) {
      String reason = "the World refused the delivery: " + error;
      TruckState next = failed.withTrip(trip.over(Phase.IDLE)).withRoute(route.abandoned());
      for (Cargo c : route.aboard()) {
        next = next.step(Shipment.Status.EXCEPTION, c, position, at, reason)
            .emit(new TruckEffect.ToAmazon(new AmazonNotice.Error("shipment " + c.shipId() + ": " + reason, c.pickupSeqnum())));
      }
      return next;
    }
    return failed;
  }

  TruckState settle(List<Long> ids) {
    return withEffects(effects.settle(ids));
  }

  private TruckState step(Shipment.Status status, Cargo c, Location where, Instant at, String detail) {
    return emit(new TruckEffect.ToShipment(c.shipId(), new Shipment.Step(status, truckId, c.attempt(), where.x(), where.y(), at, detail)));
  }

  private TruckState emit(TruckEffect effect) {
    return withEffects(effects.add(effect.destination(), effect));
  }

  private static <T> List<T> concat(List<T> first, List<T> second) {
    List<T> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  /** After an event: the ledger counts the way from where the truck was to where it is now. */
  TruckState drivenFrom(Location before, Metric metric) {
    if (before.equals(position)) return this;
    return new TruckState(truckId, trip, route, position, updatedAt, lastError, taken, effects, unitsDriven + metric.between(before, position));
  }

  // --- named copies

  private TruckState withTrip(Trip newTrip) {
    return new TruckState(truckId, newTrip, route, position, updatedAt, lastError, taken, effects, unitsDriven);
  }

  private TruckState withRoute(Route newRoute) {
    return new TruckState(truckId, trip, newRoute, position, updatedAt, lastError, taken, effects, unitsDriven);
  }

  private TruckState at(Location newPosition, Instant at) {
    return new TruckState(truckId, trip, route, newPosition, at, lastError, taken, effects, unitsDriven);
  }

  private TruckState withError(String error) {
    return new TruckState(truckId, trip, route, position, updatedAt, error, taken, effects, unitsDriven);
  }

  private TruckState withTaken(List<String> keys) {
    return new TruckState(truckId, trip, route, position, updatedAt, lastError, keys, effects, unitsDriven);
  }

  private TruckState withEffects(EffectLog<Destination, TruckEffect> newEffects) {
    return new TruckState(truckId, trip, route, position, updatedAt, lastError, taken, newEffects, unitsDriven);
  }

  // --- the stored form

  /**
   * The snapshot's shape, flat as when the state was one record: journals replay as written. Fields
   * added since come last (false and 0 in older snapshots).
   */
  record Stored(
      int truckId,
      Phase phase,
      Location position,
      Instant updatedAt,
      Warehouse warehouse,
      List<Cargo> cargo,
      List<Long> loaded,
      List<Cargo> aboard,
      long deliveredCount,
      long pickupCommand,
      long deliveryCommand,
      String lastError,
      List<String> taken,
      EffectLog<Destination, TruckEffect> effects,
      boolean loadingClosed,
      double unitsDriven) {}

  @JsonValue
  Stored stored() {
    return new Stored(
        truckId, trip.phase(), position, updatedAt, trip.warehouse(), trip.cargo(), trip.loaded(), route.aboard(),
        route.deliveredCount(), trip.pickupCommand(), route.deliveryCommand(), lastError, taken, effects, trip.loadingClosed(), unitsDriven);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static TruckState of(Stored s) {
    return new TruckState(
        s.truckId(), new Trip(s.phase(), s.warehouse(), s.cargo(), s.loaded(), s.pickupCommand(), s.loadingClosed()),
        new Route(s.aboard(), s.deliveredCount(), s.deliveryCommand()), s.position(), s.updatedAt(), s.lastError(), s.taken(),
        s.effects(), s.unitsDriven());
  }
}
