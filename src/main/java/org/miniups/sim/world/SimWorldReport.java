package org.miniups.sim.world;

import java.nio.file.Path;
import java.util.Map;
import org.miniups.sim.SimFiles;

/**
 * What the simulated World writes to its {@code --report} file, for a harness in another process
 * to check (read it with {@link #read(Path)}). Rewritten at most every 250 ms while something
 * changed, and once more on a clean exit.
 *
 * @param worlds every world of the simulator, by world id
 */
public record SimWorldReport(Map<Long, WorldEntry> worlds) {

  /**
   * @param deliveries how many times each package was dropped off (exactly-once means all 1)
   * @param deliveredAt where, and by which truck, each package was dropped off
   * @param upsUnacked world items sent to UPS and not yet acked
   * @param amazonUnacked world items sent to Amazon and not yet acked
   * @param processed requests acted on, by message type (see {@link SimWorldStats#processed()})
   * @param duplicates requests whose seqnum was already handled
   * @param dropped requests dropped by flakiness
   * @param unitsDriven the World's ledger: units its trucks drove (straight lines, as they move)
   * @param gridUnitsDriven the same moves on the grid's streets (Manhattan)
   */
  public record WorldEntry(
      long worldId,
      Map<Long, Integer> deliveries,
      Map<Long, SimWorldStats.Delivery> deliveredAt,
      int upsUnacked,
      int amazonUnacked,
      boolean upsConnected,
      boolean amazonConnected,
      Map<String, Long> processed,
      long duplicates,
      long dropped,
      double unitsDriven,
      double gridUnitsDriven) {

    public WorldEntry {
      deliveries = Map.copyOf(deliveries);
      deliveredAt = Map.copyOf(deliveredAt);
      processed = Map.copyOf(processed);
    }

    static WorldEntry of(SimWorldStats stats) {
      return new WorldEntry(
          stats.worldId(),
          stats.deliveries(),
          stats.deliveredAt(),
          stats.upsUnacked(),
          stats.amazonUnacked(),
          stats.upsConnected(),
          stats.amazonConnected(),
          stats.processed(),
          stats.duplicates(),
          stats.dropped(),
          stats.unitsDriven(),
          stats.gridUnitsDriven());
    }
  }

  public SimWorldReport {
    worlds = Map.copyOf(worlds);
  }

  public static SimWorldReport read(Path file) {
    return SimFiles.read(file, SimWorldReport.class);
  }

  void write(Path file) {
    SimFiles.writeAtomically(file, this);
  }
}
