#!/usr/bin/env bash
# The journal's knobs one at a time, and two of the pipeline changes taken back (BENCHMARKS.md,
# "Tuning"): the pipeline benchmark's run (PipelineRun: 200 trucks, every pickup at once, the World
# at its fastest) on PostgreSQL at N packages, for the defaults and for each variant below,
# alternating with the no-persistence baseline in the same run; median of R repetitions. Prints
# one line per variant. A variant is "label|environment|JVM options".
#
#   bench/tuning.sh [packages] [repetitions]      defaults: 2000, 3
set -euo pipefail
cd "$(dirname "$0")/.."
packages=${1:-2000}
repetitions=${2:-3}
mvn -B -q test-compile
mkdir -p target/bench/tuning
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test
cp="target/test-classes:target/classes:$(cat target/bench/classpath.txt)"

variants=(
  "defaults||"
  "pool 16|DB_POOL_SIZE=16|"
  "pool 4|DB_POOL_SIZE=4|"
  "parallelism 16, pool 16|JOURNAL_PARALLELISM=16 DB_POOL_SIZE=16|"
  "parallelism 2|JOURNAL_PARALLELISM=2|"
  "batch 100|JOURNAL_BATCH_SIZE=100|"
  "batch 1000|JOURNAL_BATCH_SIZE=1000|"
  "the plugin's own journal DAO||-Djdbc-journal.dao=org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao"
  "common pool of one thread||-Djava.util.concurrent.ForkJoinPool.common.parallelism=1"
)

run() { # <ups> <label> <environment> <JVM options> <repetition>
  local out="target/bench/tuning/$1-${2// /_}-$5.json"
  # shellcheck disable=SC2086 # the environment and options are lists of words
  env $3 java -Xmx4g -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 $4 -cp "$cp" \
    org.miniups.bench.PipelineRun "$1" postgres "$packages" "$5" "$out" 300 >"${out%.json}.log" 2>&1 || true
  echo "$out"
}

for variant in "${variants[@]}"; do
  IFS='|' read -r label settings options <<<"$variant"
  files=()
  for r in $(seq 1 "$repetitions"); do
    files+=("$(run baseline "$label" "" "" "$r")")
    files+=("$(run ours "$label" "$settings" "$options" "$r")")
  done
  python3 - "$label" "${files[@]}" <<'EOF'
import json, statistics, sys
label, files = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f)) for f in files]
def median(ups, key):
    values = [r[key] for r in runs if r["ups"] == ups and not r["failure"] and r[key] is not None]
    return statistics.median(values) if values else None
ours, base = median("ours", "packagesPerSecond"), median("baseline", "packagesPerSecond")
failed = sum(1 for r in runs if r["ups"] == "ours" and r["failure"])
ratio = f"{ours / base:.2f}" if ours and base else "n/a"
print(f"{label:28s} ours={ours and round(ours)} pkg/s  baseline={base and round(base)} pkg/s  ratio={ratio}  "
      f"p99={median('ours', 'p99Millis')} ms  failed={failed}")
EOF
done
