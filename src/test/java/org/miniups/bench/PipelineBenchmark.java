package org.miniups.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline benchmark: for each database, each N and each repetition, our UPS and the baseline
 * ({@link MinimalUps}) one after the other, each run in a JVM of its own ({@link PipelineRun}).
 * Writes {@code target/bench/pipeline-<db>.json} (every run and the medians) and prints a summary
 * table per database. {@code bench/pipeline.sh} runs it.
 *
 * <p>Options: {@code --quick} (N = 200 and 1 000, one repetition), {@code --databases
 * postgres,h2}, {@code --sizes 1000,2000,4000,8000}, {@code --repetitions 3}, {@code
 * --timeout-seconds S} (per run; default 120 s + 0.1 s per package), {@code --resume} (keep the
 * result of every run that already has one under {@code target/bench/runs}, run the rest).
 */
public final class PipelineBenchmark {
  static final Path OUT = Path.of("target", "bench");
  // After the run's own timeout, how long a child may take to report before it is killed.
  private static final long GRACE_SECONDS = 60;

  /** What a report was measured with, so that figures of two reports can be compared. */
  public record Setup(
      int trucks,
      int maxShipmentsPerTrip,
      int warehouses,
      String pickups,
      int worldFlakiness,
      int worldSimSpeed,
      long amazonResendMillis,
      long upsResendMillis,
      String latency) {}

  public record Report(
      String database, String date, String command, Setup setup, List<Summary> summaries, List<RunResult> runs) {}

  private record Options(
      List<String> databases, List<Integer> sizes, int repetitions, Long timeoutSeconds, String suffix, boolean resume) {}

  private PipelineBenchmark() {}

  public static void main(String[] args) throws Exception {
    Options options = parse(args);
    ObjectMapper json = new ObjectMapper();
    for (String database : options.databases()) {
      List<RunResult> runs = new ArrayList<>();
      for (int packages : options.sizes()) {
        for (int repetition = 1; repetition <= options.repetitions(); repetition++) {
          // Alternate which goes first, so neither always meets the machine in the same state.
          List<String> order = repetition % 2 == 1 ? List.of("baseline", "ours") : List.of("ours", "baseline");
          for (String ups : order) runs.add(runAlone(ups, database, packages, repetition, options));
        }
      }
      Report report = new Report(
          database, LocalDate.now().toString(), "bench/pipeline.sh " + String.join(" ", args), setup(),
          summaries(runs, options.sizes()), runs);
      Path file = OUT.resolve("pipeline-" + database + options.suffix() + ".json");
      json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), report);
      System.out.println();
      System.out.println(table(report, options.repetitions()));
      System.out.println("written to " + file);
    }
  }

  private static Setup setup() {
    return new Setup(
        PipelineRun.TRUCKS, PipelineRun.MAX_SHIPMENTS_PER_TRIP, PipelineRun.WAREHOUSES, "all at once", 0,
        PipelineRun.WORLD_SPEED, PipelineRun.AMAZON_RESEND.toMillis(), PipelineRun.UPS_RESEND.toMillis(),
        "first AUPickup written to UPS -> first UADelivered, per package, on Amazon's clock");
  }

  private static Options parse(String[] args) {
    List<String> databases = List.of("postgres", "h2");
    List<Integer> sizes = List.of(1000, 2000, 4000, 8000);
    int repetitions = 3;
    Long timeout = null;
    String suffix = "";
    boolean resume = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> {
          sizes = List.of(200, 1000);
          repetitions = 1;
          suffix = "-quick"; // never overwrites a full run's figures
        }
        case "--databases" -> databases = List.of(args[++i].split(","));
        case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
        case "--repetitions" -> repetitions = Integer.parseInt(args[++i]);
        case "--timeout-seconds" -> timeout = Long.valueOf(args[++i]);
        case "--resume" -> resume = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (see PipelineBenchmark's javadoc)");
      }
    }
    return new Options(databases, sizes, repetitions, timeout, suffix, resume);
  }

  private static long timeoutSeconds(Options options, int packages) {
    return options.timeoutSeconds() != null ? options.timeoutSeconds() : 120 + packages / 10;
  }

  /** One run in a fresh JVM; a JVM that does not report in time is killed and the run failed. */
  private static RunResult runAlone(String ups, String database, int packages, int repetition, Options options)
      throws IOException, InterruptedException {
    String name = database + options.suffix() + "-" + packages + "-" + repetition + "-" + ups;
    Path result = OUT.resolve("runs").resolve(name + ".json");
    if (options.resume() && Files.exists(result)) {
      RunResult kept = new ObjectMapper().readValue(result.toFile(), RunResult.class);
      System.out.println(progressLine(kept) + "  [kept]");
      return kept;
    }
    long timeoutSeconds = timeoutSeconds(options, packages);
    Path log = OUT.resolve("logs").resolve(name + ".log");
    Files.createDirectories(result.getParent());
    Files.createDirectories(log.getParent());
    Files.deleteIfExists(result);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(
            // The common pool as Main sets it up for the jar (Main.useSharedPoolForAsyncCompletions).
            java, "-Xmx4g", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
            "-cp", System.getProperty("java.class.path"), PipelineRun.class.getName(),
            ups, database, String.valueOf(packages), String.valueOf(repetition), result.toString(),
            String.valueOf(timeoutSeconds))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    long started = System.nanoTime();
    RunResult run;
    if (!child.waitFor(timeoutSeconds + GRACE_SECONDS, TimeUnit.SECONDS)) {
      child.destroyForcibly().waitFor();
      run = RunResult.failed(ups, database, packages, repetition, "killed: no result within "
          + (timeoutSeconds + GRACE_SECONDS) + " s (log: " + log + ")", (System.nanoTime() - started) / 1e9);
    } else if (!Files.exists(result)) {
      run = RunResult.failed(ups, database, packages, repetition, "exited " + child.exitValue()
          + " without a result (log: " + log + ")", (System.nanoTime() - started) / 1e9);
    } else {
      run = new ObjectMapper().readValue(result.toFile(), RunResult.class);
    }
    System.out.println(progressLine(run));
    return run;
  }

  private static String progressLine(RunResult run) {
    String what = String.format(Locale.ROOT, "%-8s N=%-5d rep %d %-8s", run.database(), run.packages(), run.repetition(), run.ups());
    String figures = run.packagesPerSecond() == null ? "" : String.format(Locale.ROOT,
        "%7.1f pkg/s  p99 %6.0f ms  ", run.packagesPerSecond(), run.p99Millis());
    String verdict = run.ok() ? "ok" : "FAILED: " + shorten(run.failure(), 160);
    return what + "  " + figures + verdict + String.format(Locale.ROOT, "  (%.0f s)", run.wallSeconds());
  }

  private static List<Summary> summaries(List<RunResult> runs, List<Integer> sizes) {
    List<Summary> summaries = new ArrayList<>();
    for (int packages : sizes) {
      Summary baseline = Summary.of("baseline", packages, select(runs, "baseline", packages), null);
      summaries.add(baseline);
      summaries.add(Summary.of("ours", packages, select(runs, "ours", packages), baseline.packagesPerSecond()));
    }
    return summaries;
  }

  private static List<RunResult> select(List<RunResult> runs, String ups, int packages) {
    return runs.stream().filter(run -> run.ups().equals(ups) && run.packages() == packages).toList();
  }

  /** A Markdown table, as BENCHMARKS.md shows it. */
  static String table(Report report, int repetitions) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "Pipeline on %s, %s, median of %d (packages/s: first AUPickup -> last UADelivered)%n%n",
        report.database(), report.date(), repetitions));
    out.append("| N | UPS | ok runs | packages/s | × baseline | p50 ms | p99 ms | resends to us | slowest ack ms"
        + " | trips/package | journal rows/package | tag rows/package |\n");
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Summary s : report.summaries()) {
      out.append(String.format(Locale.ROOT, "| %d | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          s.packages(), s.ups(), s.okRuns(), s.runs(), number(s.packagesPerSecond(), 0), number(s.ratioToBaseline(), 2),
          number(s.p50Millis(), 0), number(s.p99Millis(), 0), number(s.resendsToUps(), 0), number(s.slowestAckMillis(), 0),
          number(s.tripsPerPackage(), 3), number(s.journalRowsPerPackage(), 1), number(s.tagRowsPerPackage(), 1)));
    }
    List<RunResult> failed = report.runs().stream().filter(run -> !run.ok()).toList();
    if (!failed.isEmpty()) out.append(String.format("%nFailed runs:%n"));
    for (RunResult run : failed) {
      out.append(String.format(Locale.ROOT, "- %s N=%d rep %d: %s%n", run.ups(), run.packages(), run.repetition(),
          shorten(run.failure(), 240)));
    }
    return out.toString();
  }

  private static String number(Double value, int decimals) {
    return value == null ? "—" : String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  private static String shorten(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }

  static List<Report> read(List<File> files) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Report> reports = new ArrayList<>();
    for (File file : files) reports.add(json.readValue(file, Report.class));
    return reports;
  }
}
