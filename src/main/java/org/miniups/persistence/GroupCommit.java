package org.miniups.persistence;

import java.util.ArrayList;
import java.util.List;

/**
 * Group commit for a single-writer persistent actor: requests that arrive while a write is in
 * flight wait here and all go into the next single write, so the actor pays one journal round trip
 * per batch rather than per request.
 *
 * <p>The actor adds each request and, when {@link #add} says so, tells itself a flush message.
 * Pekko stashes commands while a persist is in flight and replays them before it reads its mailbox
 * again, so everything that arrived during one write is added before the next flush runs.
 *
 * @param <R> one request waiting for the write
 */
public final class GroupCommit<R> {
  private final List<R> waiting = new ArrayList<>();
  private boolean flushQueued;

  /** Adds a request; true when the caller must queue a flush message (none is queued yet). */
  public boolean add(R request) {
    waiting.add(request);
    if (flushQueued) return false;
    flushQueued = true;
    return true;
  }

  /** A flush message arrived: everything waiting, in arrival order; the batch starts anew. */
  public List<R> drain() {
    flushQueued = false;
    List<R> batch = List.copyOf(waiting);
    waiting.clear();
    return batch;
  }
}
