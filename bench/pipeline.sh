#!/usr/bin/env bash
# Pipeline throughput (BENCHMARKS.md, "Pipeline throughput"): packages/s from the first AUPickup to
# the last UADelivered with every pickup at once, 200 trucks, the World at its fastest and
# flakiness 0; our UPS on PostgreSQL and on H2 against a baseline UPS that persists nothing
# (MinimalUps), N = 1 000 … 8 000, median of 3, each run in its own JVM.
#
#   bench/pipeline.sh            full run: target/bench/pipeline-<db>.json, then bench/pipeline.png
#   bench/pipeline.sh --quick    smoke test: N = 200 and 1 000, one repetition (…-quick.json/png)
#   bench/pipeline.sh --plot     only redraw bench/pipeline.png from target/bench/pipeline-*.json
# Other options go to PipelineBenchmark: --databases postgres,h2 --sizes 1000,2000
# --repetitions 3 --timeout-seconds S --resume (keep the runs already measured in
# target/bench/runs). PostgreSQL must listen on 127.0.0.1:5432 (user postgres, trust
# authentication), as for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench/classpath.txt)"

plot() { # <out.png> <suffix>
  local inputs=()
  for db in postgres h2; do
    [ -f "target/bench/pipeline-$db$2.json" ] && inputs+=("target/bench/pipeline-$db$2.json")
  done
  java -cp "$cp" org.miniups.bench.PipelinePlot "$1" "${inputs[@]}"
}

if [ "${1:-}" = --plot ]; then
  plot bench/pipeline.png ""
  exit
fi
java -cp "$cp" org.miniups.bench.PipelineBenchmark "$@"
if [[ " $* " == *" --quick "* ]]; then plot target/bench/pipeline-quick.png -quick; else plot bench/pipeline.png ""; fi
