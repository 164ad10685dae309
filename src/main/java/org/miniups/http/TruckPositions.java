package org.miniups.http;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each truck was last reported, as this node heard it on the truck topic ({@link
 * LiveUpdateHub} keeps it current), so a tracking answer needs no ask of the truck. A position is a
 * nicety on the page: one a few seconds old is fine, and one not heard yet is asked for once.
 */
public final class TruckPositions {
  private final Map<Integer, PackageViews.Point> latest = new ConcurrentHashMap<>();

  Optional<PackageViews.Point> of(int truckId) {
    return Optional.ofNullable(latest.get(truckId));
  }

  void update(int truckId, PackageViews.Point position) {
    latest.put(truckId, position);
  }
}
