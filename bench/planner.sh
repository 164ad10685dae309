#!/usr/bin/env bash
# Route planning time (BENCHMARKS.md, "Route planning time"): JMH, one fork, 3 warm-up and 5
# measured iterations of 1 s per stop count; about 1 minute. Options go to JMH (e.g. -p stops=12).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test
java -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" org.openjdk.jmh.Main RoutePlannerBenchmark "$@"
