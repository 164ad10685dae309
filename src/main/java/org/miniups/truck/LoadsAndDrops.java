package org.miniups.truck;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.miniups.persistence.GroupCommit;

/**
 * Group commit of a truck's loads and drops. Amazon loads a trip's shipments, and the World drops
 * them, in quick succession: those that arrive while a write is in flight go into the next single
 * write, so a trip costs a few writes, not one per package. A reply waits for the write of the
 * batch it joined, whether or not it brought a decision of its own. Transient: what was gathered
 * for a write that never happened is void, its senders ask again.
 */
final class LoadsAndDrops {

  /** Decided without a time (a repeat is the same decision); stamped on writing. */
  private record Decision(long shipId, boolean isLoad) {
    Truck.Event at(Instant at) {
      return isLoad ? new Truck.CargoLoaded(shipId, at) : new Truck.PackageDelivered(shipId, at);
    }
  }

  /** One write's worth: the events to persist and the replies that wait for them. */
  record Batch(List<Truck.Event> events, List<Runnable> replies) {}

  private final GroupCommit<Runnable> replies = new GroupCommit<>();
  private final List<Decision> decisions = new ArrayList<>();

  /** Decisions wait for the next write: other decisions must wait too, so each sees the state it follows. */
  boolean hasDecisions() {
    return !decisions.isEmpty();
  }

  boolean hasLoad(long shipId) {
    return decisions.contains(new Decision(shipId, true));
  }

  /** The load of {@code shipId}, answered by {@code reply} once written; true: queue a flush. */
  boolean load(long shipId, Runnable reply) {
    return add(new Decision(shipId, true), reply);
  }

  /** The drop of {@code shipId}, answered by {@code reply} once written; true: queue a flush. */
  boolean drop(long shipId, Runnable reply) {
    return add(new Decision(shipId, false), reply);
  }

  /** Nothing new to write: {@code reply} goes with the batch; true: queue a flush. */
  boolean answerWithBatch(Runnable reply) {
    return replies.add(reply);
  }

  private boolean add(Decision decision, Runnable reply) {
    if (!decisions.contains(decision)) decisions.add(decision);
    return replies.add(reply);
  }

  /** The flush message arrived: everything gathered, stamped {@code at}; gathering starts anew. */
  Batch flush(Instant at) {
    List<Truck.Event> events = decisions.stream().map(decision -> decision.at(at)).toList();
    decisions.clear();
    return new Batch(events, replies.drain());
  }

  /** Forgets what was gathered (the write it waited for will not happen). */
  void discard() {
    decisions.clear();
    replies.drain();
  }
}
