#!/usr/bin/env bash
# Recovery (BENCHMARKS.md, "Tracking at scale"): how long `serve` takes, on a journal holding N
# delivered packages, from process start to its first answer on GET /health and to the first 200
# on GET /api/packages/{n} for a known number; its memory (VmHWM, VmRSS from /proc) at that moment.
#
# For each N: a demo (simulated World + Amazon + UPS, 200 trucks, the World at its fastest) ships N
# packages at RATE pickups/s into a fresh H2 file under target/bench/recovery/N and stops cleanly
# (--exit-when-done: every package delivered exactly once). Then `serve` runs on that database with
# no World or Amazon listening (ports nobody listens on): once untimed, to learn tracking numbers
# through the API (GET /api/me/packages as the demo account) and, optionally, to measure the heap
# per active shipment (jcmd GC.class_histogram before and after GET /api/packages/{n} for TOUCH
# packages never touched since the start); then REPETITIONS timed starts, each stopped with SIGTERM.
#
#   bench/recovery.sh [--sizes 10000,100000] [--repetitions 3] [--rate 400] [--touch 2000]
#                     [--reuse]    keep a database an earlier run populated for the same N
#                     [--no-baseline]  skip the baseline: the same starts on an empty database
#                                      (first /health only), N = 0 in the table
# Env: BENCH_HTTP_PORT (18080), BENCH_BUILD=1 (rebuild the jar first), UPS_TRUCKS (200).
# Writes target/bench/recovery.json and prints a Markdown table.
set -euo pipefail
# serve refuses to start without a secret of 32+ bytes that is nobody else's: one per run.
export SESSION_SECRET="${SESSION_SECRET:-$(head -c 48 /dev/urandom | base64 -w0)}"
source "$(dirname "$0")/tracking-lib.sh"
cd "$BENCH_ROOT"

sizes=10000 repetitions=3 rate=400 touch=2000 reuse=0 baseline=1
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=$2 ;;
    --repetitions) repetitions=$2 ;;
    --rate) rate=$2 ;;
    --touch) touch=$2 ;;
    --reuse) reuse=1; shift; continue ;;
    --no-baseline) baseline=0; shift; continue ;;
    *) die "unknown option $1 (see the comment at the top of $0)" ;;
  esac
  shift 2
done

ensure_jar
port=${BENCH_HTTP_PORT:-18080}
require_free_port "$port" BENCH_HTTP_PORT
base="http://127.0.0.1:$port"
root=target/bench/recovery
mkdir -p "$root"
root=$(cd "$root" && pwd)
started=$SECONDS
load_at_start=$(cut -d" " -f1-3 /proc/loadavg)

h2_count() { # <db url> <table>: rows, or - when it cannot be counted
  java -cp "$JAR" org.h2.tools.Shell -url "$1" -user sa -sql "SELECT COUNT(*) FROM \"$2\"" 2>/dev/null \
    | sed -n '2p' | tr -d ' ' | grep -E '^[0-9]+$' || echo '"-"'
}

populate() { # <N> <dir>
  local n=$1 dir=$2 t0 summary
  fresh_dir "$dir" >/dev/null
  echo "== populating $n packages (demo --packages $n --rate $rate --exit-when-done)"
  t0=$(date +%s%N)
  start_demo "$dir/run" "$dir/populate.log" "$port" --packages "$n" --rate "$rate" --exit-when-done --timeout 120m
  wait "$DEMO_PID" || { tail -20 "$dir/populate.log" >&2; die "the demo did not deliver every package (log: $dir/populate.log)"; }
  summary=$(tail -1 "$dir/populate.log")
  echo "   $summary"
  [[ $summary == "delivered $n/$n in "* ]] || die "unexpected end of the demo: $summary"
  local url="jdbc:h2:file:$dir/run/db/mini-ups"
  cat >"$dir/populate.json" <<EOF
{"packages": $n, "rate": $rate, "populateSeconds": $(python3 -c "print(round(($(date +%s%N) - $t0) / 1e9, 1))"),
 "demoSummary": "$summary", "journalRows": $(h2_count "$url" event_journal), "tagRows": $(h2_count "$url" event_tag),
 "snapshotRows": $(h2_count "$url" snapshot), "databaseMiB": $(du -sm "$dir/run/db" | cut -f1)}
EOF
  cat "$dir/populate.json"
}

# Starts serve on DIR's database, World and Amazon unreachable. Sets SERVE_PID.
start_serve() { # <dir> <log>
  local dir=$1
  env HTTP_PORT="$port" HTTP_INTERFACE=127.0.0.1 BENCH_ROUTES=on CLUSTER_PORT="$(free_port)" \
    DB_URL="jdbc:h2:file:$dir/run/db/mini-ups" UPS_TRUCKS="${UPS_TRUCKS:-200}" \
    WORLD_HOST=127.0.0.1 WORLD_PORT="$(free_port)" AMAZON_HOST=127.0.0.1 AMAZON_PORT="$(free_port)" \
    java ${BENCH_JAVA_OPTS:-} -jar "$JAR" serve >"$2" 2>&1 &
  SERVE_PID=$!
  BENCH_PIDS+=("$SERVE_PID")
}

prime() { # <N> <dir>: untimed start; tracking numbers; heap per shipment
  local n=$1 dir=$2 count
  echo "== untimed start on $n packages: tracking numbers, heap per shipment"
  start_serve "$dir" "$dir/prime.log"
  await_http "$base" 600 "$SERVE_PID" "$dir/prime.log" serve
  # The demo stops once Amazon has heard every delivery; the package index may still be behind,
  # and would catch up during the timed starts: wait here until it counts every package delivered.
  local t0=$SECONDS d=0
  while [ $((SECONDS - t0)) -lt 1800 ]; do
    d=$($API delivered "$base" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("delivered", 0))')
    [ "$d" -ge "$n" ] && break
    sleep 2
  done
  [ "$d" -ge "$n" ] || die "the package index counts $d of $n packages delivered after 30 minutes"
  echo "   the package index counts all $n delivered ($((SECONDS - t0)) s after the start)"
  echo "{\"indexCatchUpSeconds\": $((SECONDS - t0))}" >"$dir/prime.json"
  count=$touch
  [ "$count" -gt 0 ] || count=1
  $API harvest "$base" $((count + 1)) "$dir/numbers.txt" --timeout 300 --shuffle
  tail -1 "$dir/numbers.txt" >"$dir/known.txt" # not touched below
  head -n "$count" "$dir/numbers.txt" >"$dir/touch.txt"
  if [ "$touch" -gt 0 ] && command -v jcmd >/dev/null; then
    sleep 5 # let start-up settle
    jcmd "$SERVE_PID" GC.class_histogram >"$dir/histogram-before.txt"
    $API touch "$base" "$dir/touch.txt" | tee "$dir/touch.json"
    jcmd "$SERVE_PID" GC.class_histogram >"$dir/histogram-after.txt"
    $API histogram-diff "$dir/histogram-before.txt" "$dir/histogram-after.txt" "$count" "$dir/heap-diff.json"
    python3 - "$dir" <<'EOF'
import json, os, sys
d = sys.argv[1]
heap = json.load(open(os.path.join(d, "heap-diff.json")))
t = json.load(open(os.path.join(d, "touch.json")))
heap.update({"touched": t["touched"], "okAnswers": t["ok"], "touchSeconds": t["seconds"],
             "coldShipmentsPerSecond": round(t["touched"] / t["seconds"], 1) if t["seconds"] else None})
json.dump(heap, open(os.path.join(d, "heap.json"), "w"), indent=2)
EOF
  fi
  echo "   stopped in $(stop_pid "$SERVE_PID") ms"
}

timed() { # <dir> <repetition>
  local dir=$1 rep=$2 known="" t0 now health_ms="" health_code="" track_ms=None code status stop_ms before=0
  [ -f "$dir/known.txt" ] && known=$(cat "$dir/known.txt") # none: the empty database, /health only
  t0=$(date +%s%N)
  start_serve "$dir" "$dir/run-$rep.log"
  while :; do
    kill -0 "$SERVE_PID" 2>/dev/null || { tail -20 "$dir/run-$rep.log" >&2; die "serve exited (log: $dir/run-$rep.log)"; }
    if [ -z "$health_ms" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/health" || true)
      now=$(date +%s%N)
      if [ "$code" != 000 ]; then health_ms=$(((now - t0) / 1000000)); health_code=$code; fi
      if [ -n "$health_ms" ] && [ -z "$known" ]; then status=$($API status "$SERVE_PID"); break; fi
    fi
    if [ -n "$health_ms" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$base/api/packages/$known" || true)
      now=$(date +%s%N)
      if [ "$code" = 200 ]; then
        track_ms=$(((now - t0) / 1000000))
        status=$($API status "$SERVE_PID")
        break
      fi
      before=$((before + 1))
    fi
    [ $(((now - t0) / 1000000000)) -lt 900 ] || die "no 200 for GET /api/packages/$known within 900 s"
    sleep 0.02
  done
  stop_ms=$(stop_pid "$SERVE_PID")
  python3 - "$dir/run-$rep.json" <<EOF
import json, sys
status = json.loads('$status')
json.dump({"repetition": $rep, "trackingNumber": "$known" or None, "firstHealthMillis": $health_ms, "firstHealthStatus": $health_code,
           "firstTrackingMillis": $track_ms, "answersBeforeFirst200": $before, "vmHwmKb": status["VmHWMKb"],
           "vmRssKb": status["VmRSSKb"], "stopMillis": $stop_ms}, open(sys.argv[1], "w"))
EOF
  echo "   start $rep: /health answered ($health_code) after $health_ms ms, GET /api/packages/${known:-(none)} 200 after $track_ms ms" \
    "($before other answers first), VmHWM $(($(python3 -c "import json; print(json.loads('$status')['VmHWMKb'])") / 1024)) MiB; stopped in $stop_ms ms"
}

# Baseline in the same run: serve on an empty database (created by an untimed first start), the
# time to its first /health answer.
if [ "$baseline" = 1 ]; then
  dir="$root/0"
  fresh_dir "$dir" >/dev/null
  echo '{"packages": 0, "populateSeconds": 0, "demoSummary": "empty database"}' >"$dir/populate.json"
  echo "== baseline: serve on an empty database"
  start_serve "$dir" "$dir/prime.log"
  await_http "$base" 600 "$SERVE_PID" "$dir/prime.log" serve
  echo "   untimed first start (creates the schema) stopped in $(stop_pid "$SERVE_PID") ms"
  for rep in $(seq 1 "$repetitions"); do timed "$dir" "$rep"; done
fi

list=()
[ "$baseline" = 1 ] && list+=(0)
for n in ${sizes//,/ }; do
  dir="$root/$n"
  if [ "$reuse" = 1 ] && [ -f "$dir/populate.json" ]; then
    echo "== reusing the database of $n packages in $dir"
  else
    populate "$n" "$dir"
  fi
  rm -f "$dir"/run-*.json
  prime "$n" "$dir"
  for rep in $(seq 1 "$repetitions"); do timed "$dir" "$rep"; done
  list+=("$n")
done

cat >"$root/meta.json" <<EOF
{"benchmark": "recovery", "date": "$(date +%F)", "commit": "$(commit_id)",
 "command": "bench/recovery.sh --sizes $sizes --repetitions $repetitions --rate $rate --touch $touch$([ "$reuse" = 1 ] && echo ' --reuse')$([ "$baseline" = 0 ] && echo ' --no-baseline')",
 "sizes": [$(IFS=,; echo "${list[*]}")], "repetitions": $repetitions, "trucks": ${UPS_TRUCKS:-200},
 "wallSeconds": $((SECONDS - started)), "cpus": $(nproc), "loadAverageAtStart": "$load_at_start", "loadAverageAtEnd": "$(cut -d' ' -f1-3 /proc/loadavg)"}
EOF
$API recovery-report "$root" target/bench/recovery.json
echo "wall time: $((SECONDS - started)) s"
