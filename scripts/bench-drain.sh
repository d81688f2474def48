#!/usr/bin/env bash
# Drain-rate benchmark: edgerepl's sender vs vmagent, same backlog, same kind of remote.
#   scripts/bench-drain.sh [SIZE_MB] [MAX_IN_FLIGHT] [ROUNDS]   (defaults 50, 4 and 1; full: 1000)
# MAX_IN_FLIGHT 4 is edgerepl's default (a ceiling: the sender starts with one request and adds
# more while the backlog waits) and matches vmagent's default -remoteWrite.queues (2 × CPUs here);
# edgerepl is also measured with maxInFlight 1 (exactly one request out). FIXED=1 keeps
# MAX_IN_FLIGHT requests out from the start instead of adapting.
# Each round runs, in this order (alternating, so a change in machine load hits both sides):
# 1. edgerepl: bench_sender fills a durable queue (agent/queue, durability interval) on disk with
#    SIZE_MB of line protocol, reopens it, then times the Sender draining it through QueueSource
#    to a fresh VictoriaMetrics (/api/v2/write, gzip), until the last record is acknowledged and
#    the cursor stored. Up to MAX_IN_FLIGHT requests in flight, set up as the agent does.
# 2. vmagent: the identical backlog is written to vmagent's /write while its remote is down, so it
#    sits in vmagent's disk queue; then a fresh VictoriaMetrics comes up and we time the drain from
#    the first to the last row inserted there.
# 3. edgerepl again with one request in flight.
# Prints the rates, the load average around each run, and the ratios (edgerepl / vmagent); with
# several rounds, the median ratio. Everything binds 127.0.0.1 only. BUILD= picks the build dir;
# CLIENT=cpprest sends through the cpprestsdk client (what the agent uses for https:// remotes)
# instead of the agent's http:// client (Boost.Beast, CLIENT=auto), to compare the two.
set -euo pipefail
SIZE_MB=${1:-50}
IN_FLIGHT=${2:-4}
ROUNDS=${3:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/bench-drain}
BYTES=$((SIZE_MB * 1000000))
CLIENT=${CLIENT:-auto}
FIXED=${FIXED:-0}

cmake -S "$ROOT" --preset bench -B "$BUILD" >/dev/null
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

load() { cut -d' ' -f1 /proc/loadavg; }
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }  # user+system seconds of a pid
# Two ports picked one after the other can be the same one; hold both while picking.
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}
wait_http() {
  for _ in $(seq 1 400); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done
  echo "timeout waiting for $1" >&2; return 1
}
start_vm() {  # dir port
  victoria-metrics -storageDataPath "$1" -httpListenAddr "127.0.0.1:$2" -retentionPeriod 100y \
    -loggerLevel ERROR >"$1.log" 2>&1 &
  VM_PID=$!
  PIDS+=($VM_PID)
  wait_http "http://127.0.0.1:$2/health"
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; rm -rf "$2"; }
rows() {  # port: rows inserted so far, all ingestion types
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^vm_rows_inserted_total/ {s += $2} END {printf "%d\n", s}'
}
pps() { sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p' <<<"$1"; }

edgerepl() {  # in_flight -> OUT: the bench line
  local port dir
  read -r port < <(free_ports 1)
  dir=$TMP/vm-edge
  start_vm "$dir" "$port"
  local before out vm_cpu
  before=$(load)
  vm_cpu=$(cpu "$VM_PID")
  out=$("$BENCH" drain --url "http://127.0.0.1:$port" --bytes "$BYTES" --queue-dir "$TMP/queue" \
    --max-in-flight "$1" --fixed-window "$FIXED" --client "$CLIENT")
  OUT="$out client=$CLIENT remote_cpu_s=$(echo "$(cpu "$VM_PID") - $vm_cpu" | bc) load=$before..$(load)"
  stop_pid "$VM_PID" "$dir"
  rm -rf "$TMP/queue"
}

"$BENCH" emit --bytes "$BYTES" --out "$TMP/backlog.lp" >/dev/null
split -C 4000000 "$TMP/backlog.lp" "$TMP/chunk."
rm -f "$TMP/backlog.lp"

vmagent_drain() {  # points -> OUT: a line like the bench's
  local p2 pa dir
  read -r p2 pa < <(free_ports 2)
  dir=$TMP/vm-agent
  vmagent -httpListenAddr "127.0.0.1:$pa" -remoteWrite.url "http://127.0.0.1:$p2/api/v1/write" \
    -remoteWrite.tmpDataPath "$TMP/vmagent" -loggerLevel ERROR >"$TMP/vmagent.log" 2>&1 &
  local agent=$!
  PIDS+=($agent)
  wait_http "http://127.0.0.1:$pa/health"
  for f in "$TMP"/chunk.*; do
    curl -sf -X POST --data-binary "@$f" "http://127.0.0.1:$pa/write" >/dev/null
  done
  sleep 3  # let vmagent flush its in-memory buffers into the disk queue
  local samples=$(($1 * 3))  # three fields per point, one sample each
  start_vm "$dir" "$p2"
  while [ "$(rows "$p2")" -eq 0 ]; do sleep 0.02; done
  # From the first row inserted: vmagent's own retry delay after the remote came up is not
  # counted, and neither is the time of its first block (which favours vmagent slightly).
  local before t0 t1 vm_cpu agent_cpu
  before=$(load)
  vm_cpu=$(cpu "$VM_PID")
  agent_cpu=$(cpu "$agent")
  t0=$(date +%s.%N)
  while [ "$(rows "$p2")" -lt "$samples" ]; do
    sleep 0.05
    if (($(echo "$(date +%s.%N) - $t0 > 3600" | bc))); then echo "vmagent drain timed out" >&2; exit 1; fi
  done
  t1=$(date +%s.%N)
  OUT="points=$1 seconds=$(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')"
  OUT+=" points_per_s=$(echo "$1 / ($t1 - $t0)" | bc -l | xargs printf '%.0f')"
  OUT+=" vmagent_cpu_s=$(echo "$(cpu "$agent") - $agent_cpu" | bc)"
  OUT+=" remote_cpu_s=$(echo "$(cpu "$VM_PID") - $vm_cpu" | bc) load=$before..$(load)"
  stop_pid "$agent" "$TMP/vmagent"
  stop_pid "$VM_PID" "$dir"
}

RATIOS=()
RATIOS1=()
for round in $(seq 1 "$ROUNDS"); do
  edgerepl "$IN_FLIGHT"
  EDGE=$OUT
  echo "round $round edgerepl maxInFlight=$IN_FLIGHT: $EDGE"
  POINTS=$(sed -n 's/.*points=\([0-9]*\) .*/\1/p' <<<"$EDGE")
  vmagent_drain "$POINTS"
  VM=$OUT
  echo "round $round vmagent: $VM"
  edgerepl 1
  EDGE1=$OUT
  echo "round $round edgerepl maxInFlight=1: $EDGE1"
  R=$(echo "$(pps "$EDGE") / $(pps "$VM")" | bc -l | xargs printf '%.2f')
  R1=$(echo "$(pps "$EDGE1") / $(pps "$VM")" | bc -l | xargs printf '%.2f')
  echo "round $round ratio edgerepl/vmagent: maxInFlight=$IN_FLIGHT ${R}x, maxInFlight=1 ${R1}x"
  RATIOS+=("$R")
  RATIOS1+=("$R1")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "median ratio edgerepl/vmagent over $ROUNDS round(s): maxInFlight=$IN_FLIGHT $(median "${RATIOS[@]}")x," \
  "maxInFlight=1 $(median "${RATIOS1[@]}")x (size ${SIZE_MB} MB)"
