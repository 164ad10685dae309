package org.miniups.bench;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The medians of one UPS at one N over the runs that passed the delivery check; every figure is
 * null when none did. Each figure is its own median (the median run of one need not be that of
 * another).
 *
 * @param ratioToBaseline median packages/s over the baseline's median at the same N, same file
 */
public record Summary(
    String ups,
    int packages,
    int runs,
    int okRuns,
    Double packagesPerSecond,
    Double p50Millis,
    Double p99Millis,
    Double resendsToUps,
    Double slowestAckMillis,
    Double tripsPerPackage,
    Double journalRowsPerPackage,
    Double tagRowsPerPackage,
    Double ratioToBaseline) {

  static Summary of(String ups, int packages, List<RunResult> runs, Double baselinePackagesPerSecond) {
    List<RunResult> ok = runs.stream().filter(RunResult::ok).toList();
    Double packagesPerSecond = median(ok, RunResult::packagesPerSecond);
    Double ratio = packagesPerSecond == null || baselinePackagesPerSecond == null
        ? null
        : packagesPerSecond / baselinePackagesPerSecond;
    return new Summary(
        ups, packages, runs.size(), ok.size(),
        packagesPerSecond,
        median(ok, RunResult::p50Millis),
        median(ok, RunResult::p99Millis),
        median(ok, run -> run.resendsToUps() == null ? null : run.resendsToUps().doubleValue()),
        median(ok, run -> run.slowestAckMillis() == null ? null : run.slowestAckMillis().doubleValue()),
        median(ok, RunResult::tripsPerPackage),
        median(ok, RunResult::journalRowsPerPackage),
        median(ok, RunResult::tagRowsPerPackage),
        ratio);
  }

  private static Double median(List<RunResult> runs, Function<RunResult, Double> figure) {
    double[] values = runs.stream().map(figure).filter(Objects::nonNull).mapToDouble(Double::doubleValue).sorted().toArray();
    if (values.length == 0) return null;
    int middle = values.length / 2;
    return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  }
}
