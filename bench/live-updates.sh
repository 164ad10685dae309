#!/usr/bin/env bash
# Live-updates delay (BENCHMARKS.md, "Tracking at scale"): STREAMS concurrent Server-Sent Events
# streams (GET /api/packages/{n}/events) on distinct packages while PACKAGES packages flow through
# one demo process (simulated World + simulated Amazon + UPS, 200 trucks, H2 file under
# target/bench/live-updates) at RATE pickups/s. The client (LiveUpdatesBench, a test-scope main)
# opens a stream on each package of the demo account as soon as GET /api/me/packages lists it, and
# times every event that brings a new history entry: receive time - that entry's "at".
# The simulated Amazon names the demo account on about half of its pickups (986 of 2 000 with its
# seed), so the default ships 2 100 packages to have 1 000 streams.
#
#   bench/live-updates.sh [--streams 1000] [--packages 2100] [--rate 100]
# Env: BENCH_HTTP_PORT (18080), BENCH_BUILD=1 (rebuild the jar first), UPS_TRUCKS (200).
# Writes target/bench/live-updates.json and prints a Markdown table.
set -euo pipefail
source "$(dirname "$0")/tracking-lib.sh"
cd "$BENCH_ROOT"

streams=1000 packages=2100 rate=100
while [ $# -gt 0 ]; do
  case $1 in
    --streams) streams=$2 ;;
    --packages) packages=$2 ;;
    --rate) rate=$2 ;;
    *) die "unknown option $1 (see the comment at the top of $0)" ;;
  esac
  shift 2
done

ensure_jar
ensure_test_class LiveUpdatesBench
port=${BENCH_HTTP_PORT:-18080}
require_free_port "$port" BENCH_HTTP_PORT
base="http://127.0.0.1:$port"
out=$(fresh_dir target/bench/live-updates)
started=$SECONDS
load_at_start=$(cut -d" " -f1-3 /proc/loadavg)

# Every stream comes from this one address: the caps (README, LIVE_STREAMS_PER_CLIENT) must let them all in.
export LIVE_STREAMS_PER_CLIENT=$streams LIVE_STREAMS_TOTAL=$streams HTTP_MAX_CONNECTIONS=$((streams + 256))
start_demo "$out/run" "$out/demo.log" "$port" --packages "$packages" --rate "$rate"
await_http "$base" 180 "$DEMO_PID" "$out/demo.log" "the demo"
java -cp "$BENCH_ROOT/target/test-classes:$JAR" org.miniups.bench.LiveUpdatesBench \
  --base "$base" --streams "$streams" --timeout-seconds 900 --quiet-seconds 60 --out "$out/client.json" \
  | tee "$out/client.log"
status=$($API status "$DEMO_PID")
delivered_all=$(grep -c "UPS delivered all" "$out/demo.log" || true)
echo "stopping the demo: $(stop_pid "$DEMO_PID") ms"

python3 - "$out/client.json" target/bench/live-updates.json <<EOF
import json, sys, datetime
client = json.load(open(sys.argv[1]))
s = client["summary"]
meta = {
  "benchmark": "live updates delay", "date": datetime.date.today().isoformat(), "commit": "$(commit_id)",
  "command": "bench/live-updates.sh --streams $streams --packages $packages --rate $rate",
  "streams": $streams, "packages": $packages, "rate": $rate, "trucks": ${UPS_TRUCKS:-200},
  "everyPackageDelivered": $delivered_all > 0, "server": json.loads('$status'),
  "wallSeconds": $((SECONDS - started)), "cpus": $(nproc), "loadAverageAtStart": "$load_at_start", "loadAverageAtEnd": "$(cut -d' ' -f1-3 /proc/loadavg)",
}
meta.update(client)
json.dump(meta, open(sys.argv[2], "w"), indent=2)
d = s["delayMillis"]
print()
print(f"Live updates, {meta['date']}, commit {meta['commit']}: {s['streamsOpened']} streams, {meta['packages']} packages at {meta['rate']}/s")
print()
print("| streams opened / failed | saw delivered live / delivered when opened / never | timed events | position-only events | delay p50 ms | p90 ms | p99 ms | max ms | server VmHWM MiB |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {s['streamsOpened']} / {s['streamsFailed']} | {s['streamsSawDeliveredLive']} / {s['streamsDeliveredAtOpen']} / {s['streamsWithoutDelivered']} | "
      f"{s['timedEvents']} | {s['positionEvents']} | {d.get('p50', '—')} | {d.get('p90', '—')} | {d.get('p99', '—')} | {d.get('max', '—')} | "
      f"{meta['server']['VmHWMKb'] // 1024} |")
print()
for status, p in client["delayMillisByStatus"].items():
    print(f"  {status}: {p}")
print("status when the stream opened:", client["statusWhenOpened"])
if client["failures"]: print("failures (first 20):", client["failures"])
print("written to", sys.argv[2])
EOF
echo "wall time: $((SECONDS - started)) s"
