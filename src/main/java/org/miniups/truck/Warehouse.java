package org.miniups.truck;

import org.miniups.CborSerializable;

/** A warehouse a truck collects at, and where it stands. */
public record Warehouse(int id, int x, int y) implements CborSerializable {
  public Location location() {
    return new Location(x, y);
  }
}
