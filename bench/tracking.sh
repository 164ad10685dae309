#!/usr/bin/env bash
# Tracking throughput (BENCHMARKS.md, "Tracking at scale"): wrk against GET /api/packages/{n},
# rotating over the tracking numbers of KNOWN packages, and against a baseline route in the same
# server and run: GET /api/bench/constant (a constant JSON of about a tracking answer's size,
# enabled by BENCH_ROUTES=on) when it answers 200, else GET /health as a stand-in (said so).
#
# One demo process (simulated World + simulated Amazon + UPS, 200 trucks, H2 file under
# target/bench/tracking) ships PACKAGES packages at RATE pickups/s. The demo account owns about
# half of them; their tracking numbers come from GET /api/me/packages, which lists a package once
# the package index has it. The rate is one the package index of the code before the read-side
# rework keeps up with (at 400/s it fell minutes behind the pipeline, so the pickups were over
# before it listed KNOWN packages): so pickups still flow, at the same rate before and after the
# rework, when the busy cases run. Cases, in this order:
#   tracking-busy  tracking while pickups flow (as soon as KNOWN numbers are known)
#   baseline-busy  the baseline route, pickups still flowing
#   tracking-idle  tracking once every package is delivered and the pipeline is idle
#   baseline-idle  the baseline route, idle
# each WARMUP s of warm-up, then DURATION s measured, CONNECTIONS connections on THREADS wrk threads.
#
#   bench/tracking.sh [--known 10000] [--packages 24000] [--rate 60] [--connections 64]
#                     [--threads 2] [--duration 10] [--warmup 5]
# Env: BENCH_HTTP_PORT (18080), BENCH_BUILD=1 (rebuild the jar first), UPS_TRUCKS (200).
# Writes target/bench/tracking.json and prints a Markdown table.
set -euo pipefail
source "$(dirname "$0")/tracking-lib.sh"
cd "$BENCH_ROOT"

known=10000 packages=24000 rate=60 connections=64 threads=2 duration=10 warmup=5
while [ $# -gt 0 ]; do
  case $1 in
    --known) known=$2 ;;
    --packages) packages=$2 ;;
    --rate) rate=$2 ;;
    --connections) connections=$2 ;;
    --threads) threads=$2 ;;
    --duration) duration=$2 ;;
    --warmup) warmup=$2 ;;
    *) die "unknown option $1 (see the comment at the top of $0)" ;;
  esac
  shift 2
done
[ "$packages" -ge $((known * 2 + known / 5)) ] || echo "warning: the demo account owns about half of the packages: --packages $packages may not give $known known ones" >&2

ensure_jar
ensure_wrk
port=${BENCH_HTTP_PORT:-18080}
require_free_port "$port" BENCH_HTTP_PORT
base="http://127.0.0.1:$port"
out=$(fresh_dir target/bench/tracking)
started=$SECONDS
load_at_start=$(cut -d" " -f1-3 /proc/loadavg)

start_demo "$out/run" "$out/demo.log" "$port" --packages "$packages" --rate "$rate"
await_http "$base" 180 "$DEMO_PID" "$out/demo.log" "the demo"
IFS=$'\t' read -r baseline_path baseline_note < <(baseline_route "$base")
echo "baseline: $baseline_path ($baseline_note)"

$API harvest "$base" "$known" "$out/numbers.txt" --timeout 1200 --shuffle
sed 's|^|/api/packages/|' "$out/numbers.txt" >"$out/tracking.paths"
echo "$baseline_path" >"$out/baseline.paths"
first=$(head -1 "$out/tracking.paths")
code=$(curl -s -o "$out/sample.json" -w '%{http_code}' "$base$first")
[ "$code" = 200 ] || die "GET $first answered $code, not 200"
echo "a tracking answer is $(wc -c <"$out/sample.json") bytes; the baseline's $(curl -s "$base$baseline_path" | wc -c)"

delivered() { $API delivered "$base" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("delivered", 0))'; }

wrk_run() { # <paths> <seconds> <result.json>
  ROTATE_PATHS="$1" ROTATE_RESULT="$3" wrk -t"$threads" -c"$connections" -d"$2"s --timeout 10s \
    -s "$BENCH_ROOT/bench/rotate.lua" "$base" >>"$out/wrk.log" 2>&1 || die "wrk failed (log: $out/wrk.log)"
}

cases=()
run_case() { # <name> <label> <paths>
  local name=$1 label=$2 paths=$3 d0 d1 t0 t1
  echo "== $name: $label" | tee -a "$out/wrk.log"
  wrk_run "$paths" "$warmup" "$out/$name.warmup.json"
  d0=$(delivered)
  t0=$(date +%T.%3N)
  wrk_run "$paths" "$duration" "$out/$name.json"
  t1=$(date +%T.%3N)
  d1=$(delivered)
  python3 - "$out/$name.case.json" "$name" "$label" "$(head -1 "$paths")" "$d0" "$d1" "$($API status "$DEMO_PID")" "$t0" "$t1" <<'EOF'
import json, sys
out, name, label, path, d0, d1, status, t0, t1 = sys.argv[1:]
json.dump({"name": name, "label": label, "firstPath": path, "deliveredBefore": int(d0), "deliveredAfter": int(d1),
           "rssKb": json.loads(status)["VmRSSKb"], "hwmKb": json.loads(status)["VmHWMKb"], "from": t0, "to": t1},
          open(out, "w"))
EOF
  python3 -c "import json; r=json.load(open('$out/$name.json')); print(f\"   {r['requestsPerSecond']:.0f} requests/s, p50 {r['latencyMicros']['p50']/1000:.1f} ms, p99 {r['latencyMicros']['p99']/1000:.1f} ms, errors {r['errors']}; delivered $d0 -> $d1\")"
  cases+=("$name")
}

# Busy: the pipeline must still have work for both cases.
d0=$(delivered)
sleep 5
d1=$(delivered)
pipeline_alone=$(python3 -c "print(round(($d1 - $d0) / 5, 1))")
echo "pipeline alone (5 s before the busy cases): $pipeline_alone packages/s delivered (as the package index counts them); $d1 of $packages"
[ "$d1" -lt "$packages" ] || die "every package was delivered before the busy cases: give more --packages"
run_case tracking-busy "tracking, pickups flowing ($rate/s)" "$out/tracking.paths"
run_case baseline-busy "baseline route, pickups flowing ($rate/s)" "$out/baseline.paths"
# The simulated Amazon says once when UPS has delivered everything: that must not have happened yet.
busy_left=$((packages - $(delivered)))
ran_dry=false
if grep -q "UPS delivered all" "$out/demo.log"; then
  ran_dry=true
  echo "warning: the pipeline ran dry during the busy cases ($(grep "UPS delivered all" "$out/demo.log" | cut -c1-12)): give more --packages" >&2
fi

# Idle: every package delivered (Amazon says so) and the index caught up.
for _ in $(seq 1 1800); do grep -q "UPS delivered all" "$out/demo.log" && break; kill -0 "$DEMO_PID" || die "the demo died (log: $out/demo.log)"; sleep 1; done
grep -q "UPS delivered all" "$out/demo.log" || die "not every package was delivered within 30 minutes"
for _ in $(seq 1 120); do [ "$(delivered)" -ge "$packages" ] && break; sleep 1; done
sleep 10 # trucks settle and rest
run_case tracking-idle "tracking, pipeline idle" "$out/tracking.paths"
run_case baseline-idle "baseline route, pipeline idle" "$out/baseline.paths"

python3 - "$out/meta.json" <<EOF
import json, sys, datetime
json.dump({
  "benchmark": "tracking throughput", "date": datetime.date.today().isoformat(), "commit": "$(commit_id)",
  "command": "bench/tracking.sh --known $known --packages $packages --rate $rate --connections $connections --threads $threads --duration $duration --warmup $warmup",
  "known": $known, "packages": $packages, "rate": $rate, "trucks": ${UPS_TRUCKS:-200}, "connections": $connections,
  "threads": $threads, "durationSeconds": $duration, "warmupSeconds": $warmup,
  "baselinePath": "$baseline_path", "baselineNote": "$baseline_note",
  "trackingAnswerBytes": $(wc -c <"$out/sample.json"), "baselineAnswerBytes": $(curl -s "$base$baseline_path" | wc -c),
  "pipelineAlonePackagesPerSecond": $pipeline_alone, "packagesLeftAfterBusyCases": $busy_left, "pipelineRanDryDuringBusyCases": $( [ "$ran_dry" = true ] && echo True || echo False),
  "deliveriesNote": "deliveries counted by the package index (GET /metrics), which lags the pipeline under load",
  "allPickupsEmittedAt": "$(grep -m1 "pickups emitted" "$out/demo.log" | cut -c1-12)",
  "amazonHeardEveryDeliveryAt": "$(grep -m1 "UPS delivered all" "$out/demo.log" | cut -c1-12)",
  "cases": [$(printf '"%s",' "${cases[@]}" | sed 's/,$//')],
  "wallSeconds": $((SECONDS - started)), "cpus": $(nproc), "loadAverageAtStart": "$load_at_start", "loadAverageAtEnd": "$(cut -d' ' -f1-3 /proc/loadavg)",
}, open(sys.argv[1], "w"), indent=2)
EOF
echo "stopping the demo: $(stop_pid "$DEMO_PID") ms"
$API tracking-report "$out" target/bench/tracking.json
echo "wall time: $((SECONDS - started)) s"
