package org.miniups.route;

import java.util.Locale;

/**
 * How far apart two points of the World's grid are, in grid units. The simulated World drives
 * straight lines ({@link #EUCLIDEAN}); a World that drives along the streets of the grid is
 * {@link #MANHATTAN}. Plans are made on the metric the World moves by.
 */
public enum Metric {
  EUCLIDEAN {
    @Override
    public double between(int x1, int y1, int x2, int y2) {
      return Math.hypot(x1 - x2, y1 - y2);
    }
  },
  MANHATTAN {
    @Override
    public double between(int x1, int y1, int x2, int y2) {
      return Math.abs(x1 - x2) + Math.abs(y1 - y2);
    }
  };

  public abstract double between(int x1, int y1, int x2, int y2);

  public double between(Point a, Point b) {
    return between(a.x(), a.y(), b.x(), b.y());
  }

  /** {@code euclidean} or {@code manhattan}, in any case. */
  public static Metric named(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown route metric '" + name + "' (euclidean or manhattan)");
    }
  }
}
