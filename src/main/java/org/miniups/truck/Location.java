package org.miniups.truck;

import org.miniups.CborSerializable;
import org.miniups.route.Point;

/** A point of the World's grid. */
public record Location(int x, int y) implements CborSerializable, Point {}
