#!/usr/bin/env bash
# The edgerepl demo: a local InfluxDB, a remote InfluxDB (1.x, as a `protocol: v1` remote) and the
# edgerepl-agent between them, all on free loopback ports with throwaway directories.
#
#   ./scripts/demo.sh [points]      (default 60000 points; run from a clone, as root or with sudo)
#
# Steps: install dependencies, build a Release agent, start both databases and the agent, write
# through the agent, stop the remote so the queue grows, restart it, watch the queue drain, and
# compare the point counts on both sides. Every process it starts is stopped on exit.
set -euo pipefail

POINTS=${1:-60000}
BATCH=1000
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build/release"
WORK=$(mktemp -d /tmp/edgerepl-demo.XXXXXX)
PIDS=()

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }

cleanup() {
  local code=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
  if [ "$code" -ne 0 ]; then echo "demo failed (exit $code); logs were in $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nobody listens on and this script has not handed out before: several are picked
# before any server binds, so "not listening" alone would let two servers be given the same one.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    grep -qx "$p" "$WORK/ports" 2>/dev/null && continue
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && continue
    echo "$p" >>"$WORK/ports"
    echo "$p"
    return
  done
}

wait_http() {  # url, expected status, what
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = "$2" ] && return 0
    sleep 0.1
  done
  echo "$3 did not come up ($1)" >&2
  return 1
}

start_influxd() {  # name, http port; sets LAST_PID
  local dir="$WORK/$1"
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port)"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$2"
  log-enabled = false
  flux-enabled = false
[continuous_queries]
  enabled = false
CONF
  influxd -config "$dir/influxdb.conf" >>"$dir/influxd.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

count() {  # port -> number of points in demo..cpu
  curl -s "http://127.0.0.1:$1/query" --data-urlencode "db=demo" \
    --data-urlencode "q=SELECT count(usage) FROM cpu" |
    jq -r '.results[0].series[0].values[0][1] // 0'
}

status() {  # one line per replication from the admin API
  curl -s "http://127.0.0.1:$ADMIN_PORT/api/v1/replications" | jq -r '.replications[] |
    "state=\(.state)  queue=\(.currentQueueSizeBytes) bytes  pending=\(.pendingPoints) points  lastCode=\(.latestResponseCode)  error=\(.latestErrorMessage | .[0:60])"'
}

write_points() {  # from, to (point numbers); progress line
  local from=$1 to=$2 n=$1 base
  base=$(( $(date +%s) - 3600 ))
  while [ "$n" -lt "$to" ]; do
    local end=$((n + BATCH < to ? n + BATCH : to))
    awk -v s="$n" -v e="$end" -v b="$base" 'BEGIN {
      for (i = s; i < e; i++) printf "cpu,host=edge%d usage=%d.5,seq=%di %d\n", i % 10, i % 100, i, b + i }' \
      >"$WORK/batch.lp"
    code=$(curl -s -o "$WORK/answer" -w '%{http_code}' \
      "http://127.0.0.1:$WRITE_PORT/write?db=demo&precision=s" --data-binary @"$WORK/batch.lp")
    if [ "$code" != 204 ]; then echo; echo "write failed: $code $(cat "$WORK/answer")" >&2; exit 1; fi
    n=$end
    printf '\r    written %6d / %d points through the agent' "$n" "$to"
  done
  echo
}

say "Installing dependencies (apt-get, only what is missing)"
"$ROOT/scripts/install-deps.sh"

say "Building a Release edgerepl-agent in build/release"
cmake -S "$ROOT" --preset release -B "$BUILD" >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
cmake --build "$BUILD" --target edgerepl-agent >"$WORK/build.log" 2>&1 ||
  { tail -40 "$WORK/build.log"; exit 1; }
AGENT="$BUILD/agent/app/edgerepl-agent"
info "$("$AGENT" --version)"

LOCAL_PORT=$(free_port); REMOTE_PORT=$(free_port); WRITE_PORT=$(free_port); ADMIN_PORT=$(free_port)

say "Starting the local InfluxDB on 127.0.0.1:$LOCAL_PORT and the remote on 127.0.0.1:$REMOTE_PORT"
start_influxd local "$LOCAL_PORT"
start_influxd remote "$REMOTE_PORT"
REMOTE_PID=$LAST_PID
wait_http "http://127.0.0.1:$LOCAL_PORT/ping" 204 "local influxd"
wait_http "http://127.0.0.1:$REMOTE_PORT/ping" 204 "remote influxd"
for port in "$LOCAL_PORT" "$REMOTE_PORT"; do
  curl -s -o /dev/null "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE demo"
done
info "database 'demo' created on both"

say "Starting edgerepl-agent: writes on 127.0.0.1:$WRITE_PORT, admin on 127.0.0.1:$ADMIN_PORT"
cat >"$WORK/agent.yaml" <<YAML
listen: "127.0.0.1:$WRITE_PORT"
adminListen: "127.0.0.1:$ADMIN_PORT"
local: {url: "http://127.0.0.1:$LOCAL_PORT"}
dataDir: "$WORK/agent-data"
durability: sync
remotes:
  - name: remote
    url: "http://127.0.0.1:$REMOTE_PORT"
    protocol: v1
replications:
  - id: demo-1
    name: demo-to-remote
    remote: remote
    localBucket: demo
    remoteBucket: demo
    backoff: {min: 250ms, max: 2s}
YAML
sed 's/^/    | /' "$WORK/agent.yaml"
"$AGENT" --config "$WORK/agent.yaml" >>"$WORK/agent.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$ADMIN_PORT/readyz" 200 "edgerepl-agent"
info "agent ready (GET /readyz = 200)"

HALF=$((POINTS / 2))
say "Writing $HALF points through the agent (POST /write?db=demo, $BATCH points per request)"
write_points 0 "$HALF"
sleep 1
info "$(status)"

say "Stopping the remote InfluxDB: writes keep succeeding locally, the queue grows"
kill "$REMOTE_PID"; wait "$REMOTE_PID" 2>/dev/null || true
STEP=$(((POINTS - HALF) / 3))
for part in 1 2 3; do
  from=$((HALF + (part - 1) * STEP)); to=$((part == 3 ? POINTS : HALF + part * STEP))
  write_points "$from" "$to"
  sleep 1
  info "$(status)"
done
info "local has $(count "$LOCAL_PORT") points; the remote is down"

say "Restarting the remote: the agent drains its queue"
start_influxd remote "$REMOTE_PORT"
wait_http "http://127.0.0.1:$REMOTE_PORT/ping" 204 "remote influxd"
for _ in $(seq 1 120); do
  line=$(status)
  printf '\r    %s   ' "$line"
  if echo "$line" | grep -q 'pending=0 '; then break; fi
  sleep 0.5
done
echo

say "Counting points on both sides"
LOCAL_COUNT=$(count "$LOCAL_PORT")
REMOTE_COUNT=$(count "$REMOTE_PORT")
info "local : $LOCAL_COUNT points"
info "remote: $REMOTE_COUNT points"
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" |
  grep -E '^edgerepl_(write_points_total|remote_sent_points_total|queue_bytes)' | sed 's/^/    /'
if [ "$LOCAL_COUNT" = "$POINTS" ] && [ "$REMOTE_COUNT" = "$POINTS" ]; then
  say "Done: all $POINTS points are on both sides. Stopping everything."
else
  echo "counts differ (expected $POINTS on both sides)" >&2
  exit 1
fi
