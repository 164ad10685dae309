#!/usr/bin/env bash
# Builds an AppCDS archive (JDK 17 dynamic class-data sharing) for the jar: one training run of
# `serve` on a throw-away H2 database, stopped after it has answered a few requests, with
# -XX:ArchiveClassesAtExit; the classes it loaded are written, parsed and verified, to the
# archive. Then start with the archive:
#
#   scripts/cds-archive.sh                 # writes target/mini-ups.jsa for target/mini-ups.jar
#   java -XX:SharedArchiveFile=target/mini-ups.jsa -jar target/mini-ups.jar serve
#
#   scripts/cds-archive.sh JAR [ARCHIVE]   # another jar; the archive defaults to JAR with .jsa
#
# The archive only fits the JVM that wrote it and the very same jar, named by the same path
# (the JVM checks the jar's path, size and modification time): rebuild it after each build, with
# the java that will run it, and start the jar by the path used here. With an archive that does
# not fit, the JVM says so in one warning and starts without it, as it does with none.
set -euo pipefail
# serve refuses to start without a secret of 32+ bytes that is nobody else's: one per run.
export SESSION_SECRET="${SESSION_SECRET:-$(head -c 48 /dev/urandom | base64 -w0)}"
cd "$(dirname "$0")/.."

jar="${1:-target/mini-ups.jar}"
archive="${2:-${jar%.jar}.jsa}"
[ -f "$jar" ] || { echo "no $jar: run mvn -B -q package -DskipTests first" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work=$(mktemp -d /tmp/mini-ups-cds.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

http=$(free_port)
rm -f "$archive"
DB_URL="jdbc:h2:file:$work/ups" HTTP_PORT=$http CLUSTER_PORT=$(free_port) \
  java -XX:ArchiveClassesAtExit="$archive" -jar "$jar" serve >"$work/training.log" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do
  curl -s -o /dev/null "http://127.0.0.1:$http/health" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/training.log" >&2; exit 1; }
  sleep 0.1
done
# What a first visitor does: the answers, and the classes behind them, end up in the archive.
for path in /health /api/packages/1Z0000000000000000 /api/trucks /metrics / /app.js /api/openapi.yaml; do
  curl -s -o /dev/null "http://127.0.0.1:$http$path" || true
done
kill -TERM "$pid"
wait "$pid" || true
pid=""
if [ ! -s "$archive" ]; then
  echo "no archive written; the training run said:" >&2
  cat "$work/training.log" >&2
  exit 1
fi
echo "wrote $archive ($(du -h "$archive" | cut -f1)) for $jar; start with: java -XX:SharedArchiveFile=$archive -jar $jar serve"
