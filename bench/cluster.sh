#!/usr/bin/env bash
# Three UPS nodes as one Pekko Cluster on loopback, beside the simulated World and Amazon, on
# PostgreSQL (README, "Cluster"; BENCHMARKS.md, "Cluster"). ClusterIT at full size: 1 000 packages,
# the singletons' node SIGKILLed, replaced, then the new one SIGKILLed, ending with the resilience
# suite's invariants; then the same with a SIGTERM (graceful hand-over, resends reported). Then
# pipeline throughput with 1, 2 and 3 nodes (ClusterThroughput). Needs PostgreSQL on
# 127.0.0.1:5432 (user postgres, trust authentication), as for the tests; about 20 minutes.
#   bench/cluster.sh                 everything
#   bench/cluster.sh --scenarios     only the two scenarios
# Figures: target/resilience/cluster-*.json, target/bench/cluster-throughput.json; logs of every
# process in target/processes/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
status=0
mvn -B -P cluster verify > target/bench/cluster-scenarios.log 2>&1 || status=$?
grep -E '^cluster|Tests run:|FAIL' target/bench/cluster-scenarios.log || true
for f in target/resilience/cluster-*.json; do echo "$(basename "$f" .json): $(tr -d '\n ' < "$f")"; done
[ "$status" -eq 0 ] || { echo "cluster scenarios failed (target/bench/cluster-scenarios.log)"; exit "$status"; }
[ "${1:-}" = --scenarios ] && exit
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test
java -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" -Dminiups.jar=target/mini-ups.jar \
  org.miniups.bench.ClusterThroughput 1000 2 | grep '^cluster throughput'
