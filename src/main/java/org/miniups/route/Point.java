package org.miniups.route;

/** A point of the World's grid, as the planner sees it. */
public interface Point {
  int x();

  int y();
}
