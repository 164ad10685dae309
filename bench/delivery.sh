#!/usr/bin/env bash
# Whole-system delivery time: simulated World + simulated Amazon + UPS in one process (H2), N
# packages, once at flakiness 0 (the baseline) and once at flakiness 40, in the same run on the
# same machine. Prints both times and their ratio; BENCHMARKS.md records the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/mini-ups.jar ] || mvn -B -q package -DskipTests
packages=${1:-200}

seconds() {
  java -jar target/mini-ups.jar demo --packages "$packages" --rate 50 --speed 2000 --flakiness "$1" \
      --exit-when-done --http-port 0 \
    | sed -n 's/^delivered [0-9]*\/[0-9]* in \([0-9.]*\)s$/\1/p'
}

baseline=$(seconds 0)
flaky=$(seconds 40)
echo "packages=$packages flakiness0=${baseline}s flakiness40=${flaky}s ratio=$(python3 -c "print(round($flaky / $baseline, 2))")"
