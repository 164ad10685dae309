#!/usr/bin/env bash
# Route cost (BENCHMARKS.md, "Route cost"): units the World's trucks drove per package delivered,
# on the World's own ledger, with p50/p99 pickup-to-delivery latency and packages/s; our UPS
# against a baseline that sends one truck per package, in the same run, at 1, 10 and 50
# pickups/s (5 warehouses, 20 trucks, simspeed 100). About 15 minutes.
#
#   bench/route-cost.sh                 the table of BENCHMARKS.md
#   bench/route-cost.sh 10:300          one scenario: <pickups per second>:<packages>
# Writes target/bench/route-cost.json.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test
java -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" org.miniups.bench.RouteCostBenchmark "$@"
