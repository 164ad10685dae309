# Shared by bench/tracking.sh, bench/live-updates.sh and bench/recovery.sh (sourced, not run).
# Every process a script starts is recorded in BENCH_PIDS and stopped on exit, by its id.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$BENCH_ROOT/target/mini-ups.jar"
API="python3 $BENCH_ROOT/bench/tracking_api.py"
WORLD_SPEED_MAX=2147483647 # the World's fastest: travel, packing and loading take no simulated time
BENCH_PIDS=()

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Builds the jar when missing (or with BENCH_BUILD=1); warns when it is older than the last commit.
ensure_jar() {
  if [ "${BENCH_BUILD:-0}" = 1 ] || [ ! -f "$JAR" ]; then
    (cd "$BENCH_ROOT" && mvn -B -q package -DskipTests) || die "the build failed"
  fi
  local jar_time commit_time
  jar_time=$(stat -c %Y "$JAR")
  commit_time=$(git -C "$BENCH_ROOT" log -1 --format=%ct -- src/main conf pom.xml)
  if [ "$jar_time" -lt "$commit_time" ]; then
    echo "warning: $JAR is older than the last commit to src/main, conf or pom.xml; BENCH_BUILD=1 rebuilds it first" >&2
  fi
}

ensure_wrk() {
  command -v wrk >/dev/null && return
  echo "wrk is missing: apt-get install -y wrk" >&2
  apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; } \
    || die "could not install wrk (Debian package wrk)"
}

# HEAD, and the last commit that changed what runs (src/main, conf, pom.xml).
commit_id() {
  local id code
  id=$(git -C "$BENCH_ROOT" rev-parse --short HEAD)
  code=$(git -C "$BENCH_ROOT" log -1 --format=%h -- src/main conf pom.xml)
  git -C "$BENCH_ROOT" diff --quiet HEAD -- src/main conf pom.xml || code="$code+uncommitted changes"
  echo "$id (code at $code)"
}

# A port nobody listens on now, for the cluster and for the World and Amazon a serve cannot reach.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Fails with a clear message when PORT is taken; NAME is the variable that changes it.
require_free_port() {
  python3 - "$1" <<'EOF' || die "port $1 is taken (another server listens there): set $2 to a free port"
import socket, sys
port = int(sys.argv[1])
for host in ("0.0.0.0", "127.0.0.1"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: TIME_WAIT is no owner
    try:
        s.bind((host, port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
EOF
}

# Waits until BASE answers PATH with any HTTP status (prints it), or fails after SECONDS.
wait_http() {
  local base=$1 path=$2 seconds=$3 pid=${4:-} code
  local deadline=$((SECONDS + seconds))
  while [ $SECONDS -lt $deadline ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base$path" || true)
    if [ -n "$code" ] && [ "$code" != 000 ]; then
      echo "$code"
      return 0
    fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

# Waits up to SECONDS for PID to answer BASE/health; else dies with the end of its LOG.
await_http() { # <base> <seconds> <pid> <log> <who, e.g. "the demo">
  wait_http "$1" /health "$2" "$3" >/dev/null || { tail -20 "$4" >&2; die "$5 did not answer HTTP (log: $4)"; }
}

# Empties (or creates) DIR; prints its absolute path.
fresh_dir() {
  rm -rf "$1"
  mkdir -p "$1"
  (cd "$1" && pwd)
}

# SIGTERM, then SIGKILL after 60 s; returns how long the stop took (ms) on stdout.
stop_pid() {
  local pid=$1 start
  kill -0 "$pid" 2>/dev/null || { echo 0; return; }
  start=$(date +%s%N)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "process $pid did not stop within 60 s of SIGTERM: killed" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  echo $((($(date +%s%N) - start) / 1000000))
}

cleanup_pids() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then stop_pid "$pid" >/dev/null; fi
  done
}
trap cleanup_pids EXIT
trap 'exit 130' INT TERM

# The baseline route: GET /api/bench/constant (BENCH_ROUTES=on) when it answers 200; else /health,
# a stand-in. Prints "path<TAB>note".
baseline_route() {
  local base=$1 code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/api/bench/constant" || true)
  if [ "$code" = 200 ]; then
    printf '%s\t%s\n' /api/bench/constant "the constant ~1 KB JSON route (BENCH_ROUTES=on)"
  else
    echo "baseline route missing: GET /api/bench/constant answered $code; using GET /health as a stand-in" >&2
    printf '%s\t%s\n' /health "baseline route missing (GET /api/bench/constant answered $code): GET /health as a stand-in"
  fi
}

# Starts the demo in WORKDIR (it deletes ./data/demo there) on the H2 file WORKDIR/db/mini-ups,
# with 200 trucks (UPS_TRUCKS) and the World at its fastest. Sets DEMO_PID.
start_demo() {
  local workdir=$1 log=$2 port=$3
  shift 3
  mkdir -p "$workdir"
  (cd "$workdir" && exec env HTTP_PORT="$port" HTTP_INTERFACE=127.0.0.1 BENCH_ROUTES=on \
      DB_URL="jdbc:h2:file:$workdir/db/mini-ups" UPS_TRUCKS="${UPS_TRUCKS:-200}" \
      java ${BENCH_JAVA_OPTS:-} -jar "$JAR" demo --speed "$WORLD_SPEED_MAX" "$@") >"$log" 2>&1 &
  DEMO_PID=$!
  BENCH_PIDS+=("$DEMO_PID")
}

# Compiles the test classes (the JVM bench clients) when one is missing or older than its source.
ensure_test_class() { # <simple name in org.miniups.bench>
  local class="$BENCH_ROOT/target/test-classes/org/miniups/bench/$1.class"
  local source="$BENCH_ROOT/src/test/java/org/miniups/bench/$1.java"
  if [ ! -f "$class" ] || [ "$source" -nt "$class" ]; then
    (cd "$BENCH_ROOT" && { mvn -B -q -o test-compile || mvn -B -q test-compile; }) || die "could not compile the test classes"
  fi
}
