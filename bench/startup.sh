#!/usr/bin/env bash
# Start-up time of `java -jar target/mini-ups.jar serve`: from just before the JVM is exec'd to
# the first HTTP answer of /health (any status) and of GET /api/packages/1Z0000000000000000 (a
# 404 JSON once the directory answers), polled with curl every 20 ms. Each run gets a fresh H2
# file database (or a copy of --db DIR), a free HTTP port and a free cluster port; no World or
# Amazon need be reachable. Prints each run, then median/min/max.
#
#   bench/startup.sh [-n RUNS] [--cds] [--db DIR] [--jar JAR] [-- JVM-FLAGS...]
#
#   -n RUNS    runs (default 5)
#   --cds      use the AppCDS archive beside the jar (target/mini-ups.jsa), built first by
#              scripts/cds-archive.sh when missing or older than the jar
#   --db DIR   start each run on a copy of this H2 database directory (e.g. one with 100 000
#              packages in its journal) instead of an empty one
#   --jar JAR  the jar to start (default target/mini-ups.jar)
#   JVM-FLAGS  passed to java before -jar, e.g. -- -XX:TieredStopAtLevel=1
#
# Also reports the JVM's CPU time (user+sys, from /proc) at the first tracking answer: less
# sensitive than wall time to other work on a busy machine; and how much of the machine's CPU
# other processes used meanwhile ("others"). Before each run it waits (at most QUIET_WAIT
# seconds, default 30; 0: not at all) for a second in which the machine was at least 80 % idle.
# Needs curl and python3 (for free ports).
set -euo pipefail
# serve refuses to start without a secret of 32+ bytes that is nobody else's: one per run.
export SESSION_SECRET="${SESSION_SECRET:-$(head -c 48 /dev/urandom | base64 -w0)}"
cd "$(dirname "$0")/.."

runs=5
cds=0
db_template=""
jar=target/mini-ups.jar
jvm_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    --cds) cds=1; shift ;;
    --db) db_template="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --) shift; jvm_flags=("$@"); break ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$jar" ] || { echo "no $jar: run mvn -B -q package -DskipTests first" >&2; exit 1; }
if [ "$cds" = 1 ]; then
  archive="${jar%.jar}.jsa"
  if [ ! -f "$archive" ] || [ "$jar" -nt "$archive" ]; then scripts/cds-archive.sh "$jar" >&2; fi
  jvm_flags=("-XX:SharedArchiveFile=$archive" "${jvm_flags[@]}")
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ticks=$(getconf CLK_TCK)
cpus=$(nproc)
# jiffies of all CPUs: busy and total
cpu_jiffies() { awk '/^cpu / {t=0; for (i=2; i<=NF; i++) t+=$i; print t-$5-$6, t}' /proc/stat; }
wait_for_quiet() {
  local waited=0 b0 t0 b1 t1
  while [ "$waited" -lt "${QUIET_WAIT:-30}" ]; do
    read -r b0 t0 < <(cpu_jiffies); sleep 1; read -r b1 t1 < <(cpu_jiffies)
    [ $(( (b1 - b0) * 100 )) -le $(( (t1 - t0) * 20 )) ] && return 0
    waited=$((waited + 1))
  done
  [ "${QUIET_WAIT:-30}" -gt 0 ] && echo "(the machine stayed busy; measuring anyway)" >&2
  return 0
}
work=$(mktemp -d /tmp/mini-ups-startup.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

health_ms=(); track_ms=(); cpu_ms=()
for i in $(seq 1 "$runs"); do
  rm -rf "$work/db"; mkdir -p "$work/db"
  [ -n "$db_template" ] && cp -r "$db_template"/. "$work/db/"
  http=$(free_port); cluster=$(free_port)
  wait_for_quiet
  read -r busy0 total0 < <(cpu_jiffies)
  start=$(date +%s%N)
  (DB_URL="jdbc:h2:file:$work/db/ups" HTTP_PORT=$http CLUSTER_PORT=$cluster \
     exec java "${jvm_flags[@]}" -jar "$jar" serve >"$work/run$i.log" 2>&1) &
  pid=$!
  h=""; t=""; status=""
  deadline=$((start + 120000000000))
  while [ -z "$t" ]; do
    now=$(date +%s%N)
    if [ "$now" -gt "$deadline" ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "run $i: no answer (log: $work/run$i.log)" >&2; cat "$work/run$i.log" >&2; exit 1
    fi
    if [ -z "$h" ]; then
      if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$http/health"; then h=$(( ($(date +%s%N) - start) / 1000000 )); fi
    fi
    if [ -n "$h" ]; then
      status=$(curl -s -o "$work/answer" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$http/api/packages/1Z0000000000000000" || true)
      if [ -n "$status" ] && [ "$status" != 000 ]; then
        t=$(( ($(date +%s%N) - start) / 1000000 ))
        read -r -a stat < <(sed 's/^.*) //' "/proc/$pid/stat")
        read -r busy1 total1 < <(cpu_jiffies)
        cpu=$(( (stat[11] + stat[12]) * 1000 / ticks ))
        others=$(( ((busy1 - busy0) - stat[11] - stat[12]) * 100 / (total1 - total0 + 1) ))
        [ "$others" -lt 0 ] && others=0
        break
      fi
    fi
    sleep 0.02
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  printf 'run %d: /health %5d ms, tracking %5d ms (%s %s), JVM CPU %5d ms, others %2d %%\n' \
    "$i" "$h" "$t" "$status" "$(head -c 80 "$work/answer")" "$cpu" "$others"
  health_ms+=("$h"); track_ms+=("$t"); cpu_ms+=("$cpu")
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2); printf "median %5d  min %5d  max %5d ms", m, a[1], a[NR]}'; }
echo "flags: ${jvm_flags[*]:-(none)}; runs: $runs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "first /health answer:   $(stats "${health_ms[@]}")"
echo "first tracking answer:  $(stats "${track_ms[@]}")"
echo "JVM CPU at that answer: $(stats "${cpu_ms[@]}")"
