package org.miniups.truck;

import org.miniups.CborSerializable;

/** A point of the World's grid. */
public record Location(int x, int y) implements CborSerializable {
  public double distanceTo(Location other) {
    return Math.hypot(x - other.x, y - other.y);
  }
}
