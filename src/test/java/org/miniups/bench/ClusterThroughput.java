package org.miniups.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.miniups.FreePorts;
import org.miniups.e2e.JarProcess;
import org.miniups.e2e.ThreeProcessRun;

/**
 * Pipeline throughput of a cluster of 1, 2 and 3 {@code serve} processes of the real jar on one
 * PostgreSQL journal (BENCHMARKS.md, "Cluster"): the World at its fastest, 200 trucks, every pickup
 * as fast as Amazon sends them. The simulated Amazon starts once every node is up and the cluster
 * formed; the clock starts with its first pickups and stops when it has heard of every delivery. The one-node cluster is the baseline, measured in the same run, in alternating order.
 *
 * <p>{@code bench/cluster.sh} runs it; arguments: packages (1000), repetitions (2), cluster sizes
 * (1,2,3; the first is the baseline).
 */
public final class ClusterThroughput {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Duration PATIENCE = Duration.ofMinutes(10);

  public static void main(String[] args) throws Exception {
    int packages = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    List<Integer> sizes =
        args.length > 2 ? java.util.Arrays.stream(args[2].split(",")).map(Integer::valueOf).toList() : List.of(1, 2, 3);
    Map<Integer, List<Double>> perSecond = new LinkedHashMap<>();
    for (int nodes : sizes) perSecond.put(nodes, new ArrayList<>());
    for (int repetition = 1; repetition <= repetitions; repetition++) {
      List<Integer> order = new ArrayList<>(sizes);
      if (repetition % 2 == 0) java.util.Collections.reverse(order);
      for (int nodes : order) {
        double rate = run(nodes, packages, repetition);
        perSecond.get(nodes).add(rate);
        System.out.printf("cluster throughput: %d node(s), repetition %d: %.0f packages/s%n", nodes, repetition, rate);
      }
    }
    double baseline = median(perSecond.get(sizes.get(0)));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("packages", packages);
    out.put("repetitions", repetitions);
    StringBuilder line = new StringBuilder("cluster throughput (median packages/s, ratio to one node):");
    for (var entry : perSecond.entrySet()) {
      double median = median(entry.getValue());
      out.put(entry.getKey() + "-nodes", Map.of("runs", entry.getValue(), "median", median, "ratioToOneNode", median / baseline));
      line.append(String.format(" %d node(s) %.0f (%.2f)", entry.getKey(), median, median / baseline));
    }
    Files.createDirectories(Path.of("target", "bench"));
    Files.writeString(Path.of("target", "bench", "cluster-throughput.json"), JSON.writeValueAsString(out));
    System.out.println(line);
  }

  private static double run(int nodes, int packages, int repetition) {
    ThreeProcessRun.Settings settings = new ThreeProcessRun.Settings(packages, 100_000, 0, Integer.MAX_VALUE, 200, "3s", false);
    try (ThreeProcessRun run = new ThreeProcessRun("throughput-" + nodes + "-nodes-" + repetition, settings)) {
      run.startWorld();
      List<Integer> clusterPorts = new ArrayList<>();
      for (int i = 0; i < nodes; i++) clusterPorts.add(FreePorts.next());
      String seeds = clusterPorts.stream().map(p -> "pekko://mini-ups@127.0.0.1:" + p).collect(Collectors.joining(","));
      List<JarProcess> started = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CLUSTER_PORT", String.valueOf(clusterPorts.get(i)));
        env.put("HTTP_PORT", String.valueOf(i == 0 ? run.httpPort() : FreePorts.next()));
        if (nodes > 1) env.put("CLUSTER_SEED_NODES", seeds);
        env.put("RESEND_INTERVAL", "5s");
        env.put("TRUCK_QUERY_INTERVAL", "2s");
        // An experiment's settings for every node, e.g. -Dbench.ups-java-options=-Dpekko.cluster...
        String javaOptions = System.getProperty("bench.ups-java-options", "");
        if (!javaOptions.isBlank()) env.put("JAVA_TOOL_OPTIONS", javaOptions);
        started.add(run.startUps(env));
      }
      started.forEach(ThreeProcessRun::awaitServing);
      started.forEach(node -> node.awaitLine(l -> l.contains("is running with"), PATIENCE));
      awaitMembers(run.httpPort(), nodes);
      run.startAmazon();
      // From Amazon's first pickups on (its report, rewritten every 250 ms): its JVM's start and
      // the links' reconnect backoff are not UPS's throughput.
      org.awaitility.Awaitility.await("Amazon's first pickups")
          .atMost(PATIENCE)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> run.amazonReport().map(r -> r.created() > 0).orElse(false));
      long t0 = System.nanoTime();
      run.awaitDelivered(packages, PATIENCE);
      return packages / ((System.nanoTime() - t0) / 1e9);
    }
  }

  private static void awaitMembers(int httpPort, int nodes) {
    org.awaitility.Awaitility.await(nodes + " members up")
        .atMost(PATIENCE)
        .until(() -> ThreeProcessRun.upMembers(httpPort) == nodes);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
