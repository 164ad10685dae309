#!/usr/bin/env bash
# What a fleet at rest costs (BENCHMARKS.md, "Idle"): the real jar as three processes on loopback
# (simulated World, simulated Amazon, UPS with 200 trucks on PostgreSQL). Amazon asks for a few
# packages first, so every truck has worked; once all are delivered and the trucks have settled,
# the script counts journal rows and UPS's CPU time over a quiet window (idle trucks are not polled
# for their positions: only trucks on a trip are). Baseline in the same run: the simulated World's
# own CPU over the same window.
#
#   bench/idle.sh [trucks] [window seconds]      defaults: 200 trucks, 60 s
# PostgreSQL must listen on 127.0.0.1:5432 (user postgres, trust authentication).
set -euo pipefail
# serve refuses to start without a secret of 32+ bytes that is nobody else's: one per run.
export SESSION_SECRET="${SESSION_SECRET:-$(head -c 48 /dev/urandom | base64 -w0)}"
cd "$(dirname "$0")/.."
trucks=${1:-200}
window=${2:-60}
jar=target/mini-ups.jar
[ -f "$jar" ] || mvn -B -q package -DskipTests
work=$(mktemp -d)
db="idle_$(date +%s)_$$"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ups_port=$(free_port); amazon_world_port=$(free_port); amazon_port=$(free_port); http_port=$(free_port); cluster_port=$(free_port)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

java -jar "$jar" world --ups-port "$ups_port" --amazon-port "$amazon_world_port" --speed 2000 >"$work/world.log" 2>&1 &
world_pid=$!; pids+=("$world_pid")
sleep 2
java -jar "$jar" amazon --world-port "$amazon_world_port" --ups-port "$amazon_port" --packages 50 --rate 50 \
  >"$work/amazon.log" 2>&1 &
pids+=("$!")
DB_URL="jdbc:postgresql://127.0.0.1:5432/$db" WORLD_PORT=$ups_port AMAZON_PORT=$amazon_port HTTP_PORT=$http_port \
  CLUSTER_PORT=$cluster_port UPS_TRUCKS=$trucks java -jar "$jar" serve >"$work/ups.log" 2>&1 &
ups_pid=$!; pids+=("$ups_pid")

for _ in $(seq 1 300); do grep -q "UPS delivered all" "$work/amazon.log" && break; sleep 1; done
grep -q "UPS delivered all" "$work/amazon.log" || { echo "idle: the packages were not delivered"; tail "$work/ups.log"; exit 1; }
sleep 10 # trucks settle what their receivers confirmed, then rest

rows() { psql -h 127.0.0.1 -U postgres -d "$db" -tAc 'SELECT (SELECT COUNT(*) FROM event_journal) + (SELECT COUNT(*) FROM snapshot)'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
rows_before=$(rows); ups_before=$(cpu_ticks "$ups_pid"); world_before=$(cpu_ticks "$world_pid")
sleep "$window"
rows_after=$(rows); ups_after=$(cpu_ticks "$ups_pid"); world_after=$(cpu_ticks "$world_pid")

ups_cpu=$(python3 -c "print(f'{($ups_after - $ups_before) / $hz / $window * 100:.2f}')")
world_cpu=$(python3 -c "print(f'{($world_after - $world_before) / $hz / $window * 100:.2f}')")
ratio=$(python3 -c "w=$world_after-$world_before; print(f'{($ups_after-$ups_before)/w:.2f}' if w else 'n/a')")
echo "trucks=$trucks window=${window}s journal_rows_written=$((rows_after - rows_before)) ups_cpu=${ups_cpu}% world_cpu=${world_cpu}% ups_to_world=${ratio}"
