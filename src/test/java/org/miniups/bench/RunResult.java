package org.miniups.bench;

/**
 * One run of the pipeline benchmark, as {@code target/bench/pipeline-<db>.json} lists it. A run
 * that failed (timed out, a link broke, or the delivery check found a problem) says why in
 * {@code failure} and counts in no median; when it still delivered every package its figures are
 * kept, for diagnosis only.
 *
 * @param ups {@code ours} or {@code baseline}
 * @param seconds first AUPickup written to UPS → last UADelivered received by Amazon
 * @param p50Millis per-package latency (its AUPickup → its UADelivered), median
 * @param resendsToUps AU items Amazon sent to UPS again because they were not acked in time
 * @param slowestAckMillis the longest UPS took to ack one of Amazon's items (first write → ack)
 * @param tripsPerPackage UGoPickup commands the World carried out, per package
 * @param journalRowsPerPackage rows of {@code event_journal} after the run, per package (0 for
 *     the baseline)
 * @param tagRowsPerPackage rows of {@code event_tag} after the run, per package
 * @param wallSeconds the whole run, JVM start to result, for planning
 */
public record RunResult(
    String ups,
    String database,
    int packages,
    int repetition,
    String failure,
    Double seconds,
    Double packagesPerSecond,
    Double p50Millis,
    Double p99Millis,
    Long resendsToUps,
    Long slowestAckMillis,
    Double tripsPerPackage,
    Double journalRowsPerPackage,
    Double tagRowsPerPackage,
    double wallSeconds) {

  public boolean ok() {
    return failure == null;
  }

  static RunResult failed(String ups, String database, int packages, int repetition, String failure, double wallSeconds) {
    return new RunResult(ups, database, packages, repetition, failure, null, null, null, null, null, null, null, null,
        null, wallSeconds);
  }
}
