#!/usr/bin/env bash
# Drain-rate benchmark: edgerepl's sender vs vmagent, same backlog, same kind of remote.
#   scripts/bench-drain.sh [SIZE_MB] [MAX_IN_FLIGHT]  (defaults 50 and 4; the full form is 1000)
# MAX_IN_FLIGHT 4 matches vmagent's default -remoteWrite.queues (2 × CPUs here); edgerepl is also
# measured with its default of 1 request in flight.
# 1. edgerepl: bench_sender drains SIZE_MB of line protocol to a fresh VictoriaMetrics
#    (/api/v2/write, gzip, one request in flight) and reports points/s until the last ack.
# 2. vmagent: the identical backlog is written to vmagent's /write while its remote is down, so it
#    sits in vmagent's disk queue; then a fresh VictoriaMetrics comes up and we time the drain from
#    the first to the last row inserted there.
# Prints both rates and their ratio (edgerepl / vmagent). Everything binds 127.0.0.1 only.
set -euo pipefail
SIZE_MB=${1:-50}
IN_FLIGHT=${2:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/bench-drain}
BYTES=$((SIZE_MB * 1000000))

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEREPL_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" --target bench_sender -j2 >/dev/null
BENCH=$BUILD/tests/bench/sender/bench_sender

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 200); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done
  echo "timeout waiting for $1" >&2; return 1
}
start_vm() {  # dir port
  victoria-metrics -storageDataPath "$1" -httpListenAddr "127.0.0.1:$2" -retentionPeriod 100y \
    -loggerLevel ERROR >"$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$2/health"
}
rows() {  # port: rows inserted so far, all ingestion types
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^vm_rows_inserted_total/ {s += $2} END {printf "%d\n", s}'
}

# --- edgerepl ---
P1=$(free_port)
start_vm "$TMP/vm1" "$P1"
EDGE1=$("$BENCH" drain --url "http://127.0.0.1:$P1" --bytes "$BYTES" --max-in-flight 1)
echo "edgerepl maxInFlight=1: $EDGE1"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
P1=$(free_port)
start_vm "$TMP/vm1b" "$P1"
EDGE=$("$BENCH" drain --url "http://127.0.0.1:$P1" --bytes "$BYTES" --max-in-flight "$IN_FLIGHT")
echo "edgerepl maxInFlight=$IN_FLIGHT: $EDGE"
EDGE1_PPS=$(sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p' <<<"$EDGE1")
EDGE_PPS=$(sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p' <<<"$EDGE")
POINTS=$(sed -n 's/.*points=\([0-9]*\) .*/\1/p' <<<"$EDGE")

# --- vmagent ---
"$BENCH" emit --bytes "$BYTES" --out "$TMP/backlog.lp" >/dev/null
P2=$(free_port)
PA=$(free_port)
vmagent -httpListenAddr "127.0.0.1:$PA" -remoteWrite.url "http://127.0.0.1:$P2/api/v1/write" \
  -remoteWrite.tmpDataPath "$TMP/vmagent" -loggerLevel ERROR >"$TMP/vmagent.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PA/health"
split -C 4000000 "$TMP/backlog.lp" "$TMP/chunk."
for f in "$TMP"/chunk.*; do
  curl -sf -X POST --data-binary "@$f" "http://127.0.0.1:$PA/write" >/dev/null
done
rm -f "$TMP"/chunk.*
sleep 3  # let vmagent flush its in-memory buffers into the disk queue
SAMPLES=$((POINTS * 3))  # three fields per point, one sample each
start_vm "$TMP/vm2" "$P2"
while [ "$(rows "$P2")" -eq 0 ]; do sleep 0.02; done
# From the first row inserted: vmagent's own retry delay after the remote came up is not counted,
# and neither is the time of its first block (which favours vmagent slightly).
T0=$(date +%s.%N)
while [ "$(rows "$P2")" -lt "$SAMPLES" ]; do
  sleep 0.05
  if (( $(echo "$(date +%s.%N) - $T0 > 3600" | bc) )); then echo "vmagent drain timed out" >&2; exit 1; fi
done
T1=$(date +%s.%N)
VM_PPS=$(echo "$POINTS / ($T1 - $T0)" | bc -l | xargs printf '%.0f')
echo "vmagent: points=$POINTS seconds=$(echo "$T1 - $T0" | bc -l | xargs printf '%.3f') points_per_s=$VM_PPS"
echo "ratio edgerepl/vmagent: maxInFlight=$IN_FLIGHT $(echo "$EDGE_PPS / $VM_PPS" | bc -l | xargs printf '%.2f')x, maxInFlight=1 $(echo "$EDGE1_PPS / $VM_PPS" | bc -l | xargs printf '%.2f')x (size ${SIZE_MB} MB)"
