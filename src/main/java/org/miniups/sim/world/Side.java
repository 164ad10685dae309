package org.miniups.sim.world;

/** Which of the world's two links a connection speaks: each world has one of each at a time. */
enum Side {
  UPS("UPS"),
  AMAZON("Amazon");

  private final String displayName;

  Side(String displayName) {
    this.displayName = displayName;
  }

  @Override
  public String toString() {
    return displayName;
  }
}
