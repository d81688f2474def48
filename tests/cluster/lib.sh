# Shared by the cluster end-to-end tests (tests/cluster/*.sh): the one-node cluster of
# scripts/cluster.sh, real helm and kubectl from scripts/kube-tools.sh, the images of
# scripts/images.sh, and a remote influxd on the host that pods reach by IP (there is no cluster
# DNS, and the product must not need one between its own parts).
#
# Every script sources this file and calls `cluster_require` first: with no running cluster it
# exits 77, which ctest reports as skipped, with the reason cluster.sh left.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ns=edge
release=edgerepl
remote_port=18086

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

cluster_require() {
  local reason
  if ! "$repo/scripts/cluster.sh" status >/dev/null 2>&1; then
    reason=$(cat "${EDGEREPL_CLUSTER_SKIP_REASON:-/var/tmp/edgerepl-cluster.skip}" 2>/dev/null || true)
    echo "SKIPPED: no one-node cluster is running${reason:+ ($reason)}" >&2
    exit 77
  fi
  eval "$("$repo/scripts/cluster.sh" env)"
  local tools
  tools=$("$repo/scripts/kube-tools.sh" | tail -1)
  export PATH="$tools:$PATH"
  work="$EDGEREPL_CLUSTER_STATE/e2e"
  mkdir -p "$work"
  remote_url="http://$EDGEREPL_NODE_IP:$remote_port"
}

k() { kubectl -n "$ns" "$@"; }

# What a failed wait leaves on stderr: the pods, the namespace's recent events, and the end of the
# operator's and the first agent's logs, so a CI log says why and not only what.
diagnose() {
  {
    echo "--- pods"
    k get pods -o wide 2>&1
    echo "--- events (latest 15)"
    k get events --sort-by=.lastTimestamp 2>&1 | tail -15
    echo "--- operator log (the leader's, latest 20 lines)"
    local op
    for op in $(k get pods -l app.kubernetes.io/component=operator -o name 2>/dev/null); do
      k logs "$op" --tail=20 2>&1 | sed "s#^#${op#pod/}: #"
    done
    echo "--- agent log of $release-influxdb-0 (latest 20 lines)"
    k logs "$release-influxdb-0" -c edgerepl-agent --tail=20 2>&1
  } >&2 || true
}

# Polls a command until it succeeds: wait_for <seconds> <description> <command...>
# A wait that took more than a few seconds says so, so a slow step shows in the log before it
# grows into a timeout.
wait_for() {
  local start deadline what=$2
  start=$(date +%s)
  deadline=$((start + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out waiting for: $what"
      return 1
    fi
    sleep 1
  done
  if [ $(($(date +%s) - start)) -ge 5 ]; then log "$what: after $(($(date +%s) - start)) s"; fi
}

# The remote InfluxDB: Debian's influxd 1.x on the host, bound to the node's bridge address so
# pods reach it by IP. Its data survives restarts (the outage test stops and starts it).
remote_start() {
  local dir="$work/remote"
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((remote_port + 1))"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "$EDGEREPL_NODE_IP:$remote_port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
  # The daemon outlives the test: it must not inherit a descriptor of the caller's, above all
  # not the cluster lock that `flock /tmp/edgerepl-cluster.lock …` holds on fd 3, which it would
  # keep held for as long as it runs.
  setsid influxd -config "$dir/influxdb.conf" >>"$dir/influxd.log" 2>&1 </dev/null \
    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$dir/pid"
  wait_for 30 "remote influxd on $remote_url" curl -sf "$remote_url/ping" ||
    { tail -20 "$dir/influxd.log" >&2; return 1; }
  remote_query "CREATE DATABASE edge" >/dev/null
}

remote_stop() {
  local pidfile="$work/remote/pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

remote_query() {
  curl -sf -G "$remote_url/query" --data-urlencode "db=edge" --data-urlencode "q=$1"
}

# Number of points of a measurement at the remote (0 when there are none).
remote_count() {
  remote_query "SELECT count(v) FROM \"$1\"${2:+ WHERE $2}" |
    jq '[.results[0].series[0].values[0][1] // 0][0]'
}

# remote_has <measurement> <count> [where]: the remote holds exactly that many points.
remote_has() { [ "$(remote_count "$1" "${3:-}")" = "$2" ]; }

# The InfluxDB Service's cluster IP: clients write there, kube-proxy forwards to the agent.
service_url() {
  echo "http://$(k get svc "$release-influxdb" -o jsonpath='{.spec.clusterIP}'):8086"
}

pod_ip() { k get pod "$1" -o jsonpath='{.status.podIP}'; }

# The agent's admin API of one pod (replications, metrics), reached at the pod IP.
agent_get() { curl -sf --max-time 5 "http://$(pod_ip "$1"):9186$2"; }

# Writes a body through the Service: write <v1 query string> <body> → prints the HTTP code.
write_lines() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -XPOST "$(service_url)/write?$1" \
    --data-binary "$2" || true
}

# Images built here (scripts/images.sh), never pulled.
image_values=(
  --set operator.image.repository=localhost/edgerepl/edgerepl-operator
  --set operator.image.tag=dev --set operator.image.pullPolicy=Never
  --set agent.image.repository=localhost/edgerepl/edgerepl-agent
  --set agent.image.tag=dev --set agent.image.pullPolicy=Never
  --set influxdb.image.repository=localhost/edgerepl/influxdb
  --set influxdb.image.tag=1.6.7 --set influxdb.image.pullPolicy=Never
)
