#!/usr/bin/env bash
# Runs the shell commands of docs/quickstart-helm.md, then docs/runbooks.md and
# docs/troubleshooting.md (which use the objects the quickstart created), against a real
# kube-apiserver. Each ```sh block of these pages is preceded by a marker:
#   <!-- test: kube -->      run here, in order, with `set -e` (a failing command fails the test)
#   <!-- test: cluster -->   talks to running pods. Without nodes, when an agent binary is given,
#                            these run against a local agent + influxd instead: port-forwards are
#                            replaced by the local ports; lines that need a pod (logs) or
#                            InfluxDB 2 (the v2 write; Debian ships influxd 1.6) are listed as skipped
#   <!-- test: walkthrough --> the walk-through that tests/cluster runs on the one-node cluster
#                            (label cluster); listed here, run there
# `helm` is the real helm 4 (scripts/kube-tools.sh), installing into the API server; nothing runs
# the pods (no nodes), so the pages' cluster blocks use a local agent as described above.
# Usage: docs_test.sh [edgerepl-agent binary]   exit 77 = skipped (no API server)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
agent_bin="${1:-}"
docs=(docs/quickstart-helm.md docs/runbooks.md docs/troubleshooting.md)
source "$here/apiserver.sh"
start_apiserver
cd "$root"

server_version="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)"

# A local stand-in for the pod the cluster blocks talk to: influxd (1.x) and the agent, with the
# quickstart's Replication telegraf-to-cloud replicating bucket telegraf to database edge.
LOCAL_AGENT=""
start_local_agent() {
  [[ -n "$LOCAL_AGENT" ]] && return 0
  [[ -x "$agent_bin" ]] && command -v influxd >/dev/null || return 1
  local d="$WORK/local" http rpc
  mkdir -p "$d"
  read -r http rpc LOCAL_WRITE LOCAL_ADMIN < <(free_ports 4)
  LOCAL_ADMIN_TOKEN="$(openssl rand -hex 32)"
  cat >"$d/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$d/meta"
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
[http]
  bind-address = "127.0.0.1:$http"
  log-enabled = false
CONF
  influxd -config "$d/influxdb.conf" >"$d/influxd.log" 2>&1 &
  INFLUXD_PID=$!
  local i
  for i in $(seq 1 80); do curl -sf "http://127.0.0.1:$http/ping" >/dev/null && break; sleep 0.25; done
  curl -sf -XPOST "http://127.0.0.1:$http/query" --data-urlencode "q=CREATE DATABASE telegraf" >/dev/null
  curl -sf -XPOST "http://127.0.0.1:$http/query" --data-urlencode "q=CREATE DATABASE edge" >/dev/null
  cat >"$d/agent.yaml" <<CONF
listen: "127.0.0.1:$LOCAL_WRITE"
adminListen: "127.0.0.1:$LOCAL_ADMIN"
adminToken: "$LOCAL_ADMIN_TOKEN"
local: {url: "http://127.0.0.1:$http"}
dataDir: "$d/queue"
remotes:
  - {name: cloud, url: "http://127.0.0.1:$http", token: "unused:unused", protocol: v1}
replications:
  - {id: telegraf-to-cloud, name: telegraf-to-cloud, remote: cloud, localBucket: telegraf, remoteBucket: edge}
CONF
  "$agent_bin" --config "$d/agent.yaml" >"$d/agent.log" 2>&1 &
  AGENT_PID=$!
  for i in $(seq 1 80); do curl -sf "http://127.0.0.1:$LOCAL_ADMIN/readyz" >/dev/null && break; sleep 0.25; done
  curl -sf "http://127.0.0.1:$LOCAL_ADMIN/readyz" >/dev/null || { echo "local agent not ready:"; cat "$d/agent.log"; exit 1; }
  # A write through the agent (v1 API, which influxd 1.x has), so there is something to look at.
  curl -sf -XPOST "http://127.0.0.1:$LOCAL_WRITE/write?db=telegraf" --data-binary "cpu,host=edge-1 usage=12.5" >/dev/null
  LOCAL_AGENT=1
  echo "== local agent on 127.0.0.1:$LOCAL_WRITE (write) and 127.0.0.1:$LOCAL_ADMIN (admin) stands in for the pod"
}

run_cluster_block() { # <block>: joined lines, each run, skipped or adapted, with its reason
  local block="$1" line out
  echo "== running $(basename "$block") against the local agent"
  while IFS= read -r line; do
    [[ -z "$line" ]] && continue
    case "$line" in
      *port-forward*)
        echo "  - replaced by the local agent: $line"; continue ;;
      *edgerepl-agent-admin*)
        # The operator's admin token Secret: the local agent's own token stands in for it.
        ADMIN_TOKEN="$LOCAL_ADMIN_TOKEN"
        echo "  - replaced by the local agent's admin token: $line"; continue ;;
      *" logs "*)
        echo "  - SKIPPED (needs a pod): $line"; skipped=$((skipped + 1)); continue ;;
      */api/v2/write*)
        echo "  - SKIPPED (needs InfluxDB 2 behind the agent): $line"; skipped=$((skipped + 1)); continue ;;
    esac
    line="${line//127.0.0.1:9186/127.0.0.1:$LOCAL_ADMIN}"
    line="${line//127.0.0.1:8086/127.0.0.1:$LOCAL_WRITE}"
    echo "  \$ $line"
    if [[ "$line" =~ ^[A-Z_]+= ]]; then
      eval "$line"  # an assignment the next lines use: run it in this shell
      out=""
    else
      out="$(eval "$line")"
      echo "$out" | sed 's/^/    /'
    fi
    # What each kind of line must have produced, so a page cannot drift from the agent's API.
    case "$line" in
      *"jq '.replications[] | {"*)
        grep -q '"name": "telegraf-to-cloud"' <<<"$out" && grep -q '"state": "[A-Z]' <<<"$out" ||
          { echo "the agent's answer lacks the fields the page selects"; exit 1; }
        if grep -q ': null' <<<"$out"; then echo "the page selects a field the agent does not return"; exit 1; fi ;;
      *"-X POST"*"/api/v1/replications/"*)
        grep -q '"action"' <<<"$out" || { echo "the admin call was not accepted: $out"; exit 1; } ;;
      ID=*)
        [[ -n "${ID:-}" ]] || { echo "the page's ID lookup found nothing"; exit 1; } ;;
    esac
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$block")
  ran=$((ran + 1))
}

# Extract the blocks: one file per block, named by its page and marker. A block without a marker
# fails the test, so no command reaches the docs untested by accident.
ran=0 skipped=0
for doc in "${docs[@]}"; do
  page="$(basename "$doc" .md)"
  awk -v dir="$WORK" -v page="$page" '
    /^<!-- test: [a-z]+ -->$/ { marker = $3; next }
    /^```sh$/ { if (marker == "") { print FILENAME ": untagged sh block at line " NR > "/dev/stderr"; bad = 1 }
                n++; file = sprintf("%s/%s-%02d-%s.sh", dir, page, n, marker); inblock = 1; marker = ""; next }
    /^```/ && inblock { inblock = 0; next }
    inblock { print > file }
    END { exit bad }' "$doc"
  for block in "$WORK/$page"-*.sh; do
    [[ -e "$block" ]] || continue
    case "$block" in
      *-kube.sh)
        echo "== running $(basename "$block")"
        sed 's/^/  $ /' "$block"
        # Sourced in this shell, so variables a page sets (NS, POD) reach its later blocks.
        source "$block"
        ran=$((ran + 1)) ;;
      *-cluster.sh)
        if start_local_agent; then
          run_cluster_block "$block"
        else
          echo "== SKIPPED $(basename "$block") (needs nodes that run the pods, or a built agent and influxd):"
          sed 's/^/  $ /' "$block"
          skipped=$((skipped + 1))
        fi ;;
      *-walkthrough.sh)
        [[ -x "$root/tests/cluster/install.sh" ]] || { echo "walkthrough block but no tests/cluster" >&2; exit 1; }
        echo "== $(basename "$block"): run by the cluster tests (tests/cluster, ctest -L cluster)"
        skipped=$((skipped + 1)) ;;
      *) echo "unknown marker in $(basename "$block")" >&2; exit 1 ;;
    esac
  done
done
(( ran > 0 )) || { echo "no runnable block found" >&2; exit 1; }

# What the page promises after those commands, checked against the API server.
kubectl get crd remotes.edgerepl.io replications.edgerepl.io >/dev/null
kubectl -n edge get replication telegraf-to-cloud >/dev/null
if kubectl -n edge get deployment edgerepl-operator >/dev/null 2>&1; then
  echo "deployment/edgerepl-operator still exists after helm uninstall" >&2
  exit 1
fi
echo "${docs[*]}: $ran block(s) ran against $server_version, $skipped block(s) need a cluster with nodes"
