#!/usr/bin/env bash
# The resilience suite at full size (RESILIENCE.md): UPS, the simulated World and the simulated
# Amazon as separate processes on PostgreSQL, each scenario breaking something on purpose and ending
# with the invariant check. Needs PostgreSQL on 127.0.0.1:5432 (see .ci/run); about 30 minutes.
# Figures land in target/resilience/<scenario>.json; logs of every process in target/processes/.
#   bench/resilience.sh                 every scenario
#   bench/resilience.sh 'ResilienceIT#postgres*'   some of them
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -P resilience verify ${1:+-Dit.test="$1"}
for f in target/resilience/*.json; do echo "$(basename "$f" .json): $(tr -d '\n ' < "$f")"; done
