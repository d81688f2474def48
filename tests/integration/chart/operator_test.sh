#!/usr/bin/env bash
# The real edgerepl-operator, running with exactly the RBAC the chart grants its ServiceAccount,
# against a real kube-apiserver: it must do its job (render the agents' config Secret, write
# Replication status, hold its Lease) without a single 403, and its /metrics must declare every
# operator metric the alerts and the dashboard use, passing promtool's lint.
# The chart is rendered by the real helm (helm template for the server's version) and applied.
# Usage: operator_test.sh <chartcheck> <edgerepl-operator> [helm args, e.g. --set ...]
# (exit 77 = skipped)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
chartcheck="$1"
operator="$2"
shift 2
render_args=("$@")
if [[ ! -x "$operator" ]]; then
  echo "SKIPPED: edgerepl-operator not built at $operator" >&2
  exit 77
fi
if [[ ! -x "$chartcheck" ]]; then
  echo "SKIPPED: chartcheck not built at $chartcheck" >&2
  exit 77
fi
SA_TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
EXTRA_TOKENS="$SA_TOKEN,system:serviceaccount:edgerepl:edgerepl-operator,operator-uid,\"system:serviceaccounts,system:serviceaccounts:edgerepl,system:authenticated\""
source "$here/apiserver.sh"
start_apiserver
cd "$root"
fail() { echo "FAIL: $*"; echo "--- operator log:"; tail -40 "$WORK/operator.log" 2>/dev/null || true; exit 1; }

server_version="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)"
api_args=()
for v in $(kubectl api-versions); do api_args+=(--api-versions "$v"); done
kubectl create namespace edgerepl >/dev/null
kubectl create namespace edge >/dev/null

# Install the chart's objects (CRDs first), as `helm install edgerepl -n edgerepl` would.
helm template edgerepl "$root/helm/edgerepl" --namespace edgerepl --kube-version "$server_version" \
  "${api_args[@]}" "${render_args[@]}" >"$WORK/chart.yaml" 2>/dev/null
awk -v crds="$WORK/crds.yaml" -v rest="$WORK/rest.yaml" '
  /^---/ { if (doc != "") printf "---\n%s", doc > (crd ? crds : rest); doc = ""; crd = 0; next }
  /^kind: CustomResourceDefinition/ { crd = 1 }
  { doc = doc $0 "\n" }
  END { if (doc != "") printf "---\n%s", doc > (crd ? crds : rest) }' "$WORK/chart.yaml"
# Rendered for this server (no CEL rules before 1.25), so client-side validation stays on.
kubectl apply -f "$WORK/crds.yaml" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/remotes.edgerepl.io crd/replications.edgerepl.io >/dev/null
kubectl apply -f "$WORK/rest.yaml" >/dev/null
kubectl -n edge apply -f docs/examples/secret.yaml -f docs/examples/remote.yaml -f docs/examples/replication.yaml >/dev/null

# The operator authenticates as its ServiceAccount (a static token for that user name), so every
# call it makes is authorized by the chart's ClusterRole and leader-election Role only.
cat >"$WORK/operator.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: {server: "$API_URL", insecure-skip-tls-verify: true}
users:
  - name: operator
    user: {token: "$SA_TOKEN"}
contexts:
  - name: test
    context: {cluster: test, user: operator, namespace: edgerepl}
current-context: test
KC
read -r metrics_port health_port < <(free_ports 2)
# The arguments the chart's Deployment passes (leader election as with replicaCount > 1).
mapfile -t chart_args < <(awk '/name: operator$/{c=1} c && /^ *args:/{a=1; next} a && /^ *#/{next} a && /^ *- /{sub(/^ *- /,""); gsub(/"/,""); print; next} a{exit}' "$WORK/chart.yaml")
args=()
for a in "${chart_args[@]}"; do
  case "$a" in
    --metrics-bind-address=*|--health-probe-bind-address=*|--status-interval=*) ;;
    *) args+=("$a") ;;
  esac
done
POD_NAME=edgerepl-operator-test POD_NAMESPACE=edgerepl "$operator" \
  "${args[@]//\$(POD_NAMESPACE)/edgerepl}" --leader-elect --leader-election-namespace=edgerepl \
  --identity=edgerepl-operator-test --kubeconfig="$WORK/operator.kubeconfig" \
  --metrics-bind-address="127.0.0.1:$metrics_port" --health-probe-bind-address="127.0.0.1:$health_port" \
  --status-interval=1s --log-format=text >"$WORK/operator.log" 2>&1 &
OPERATOR_PID=$!
trap 'rc=$?; kill "$OPERATOR_PID" 2>/dev/null || true; wait "$OPERATOR_PID" 2>/dev/null || true; stop_apiserver; exit $rc' EXIT
echo "operator started with: ${args[*]}"

wait_for() { # <seconds> <description> <command...>
  local seconds="$1" what="$2"; shift 2
  local i
  for i in $(seq 1 $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then echo "PASS $what"; return 0; fi
    kill -0 "$OPERATOR_PID" 2>/dev/null || fail "the operator exited while waiting for: $what"
    sleep 0.25
  done
  fail "$what (after ${seconds}s)"
}
wait_for 60 "operator /readyz answers 200" curl -sf "http://127.0.0.1:$health_port/readyz"
wait_for 60 "operator holds its Lease" sh -c "kubectl -n edgerepl get lease edgerepl-operator -o jsonpath='{.spec.holderIdentity}' | grep -q edgerepl-operator-test"
wait_for 60 "operator rendered Secret edgerepl-agent-config in namespace edge" \
  sh -c "kubectl -n edge get secret edgerepl-agent-config -o jsonpath='{.data.agent\.yaml}' | base64 -d | grep -q telegraf-to-cloud"
wait_for 60 "operator wrote the Replication's status" \
  sh -c "kubectl -n edge get replication telegraf-to-cloud -o jsonpath='{.status.conditions[*].type}' | grep -q Ready"
wait_for 60 "operator wrote the Remote's status" \
  sh -c "kubectl -n edge get remote cloud -o jsonpath='{.status.conditions[*].type}' | grep -q Ready"

curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$WORK/metrics.txt" || fail "no /metrics"
failures=0
# Any 403 means the chart's RBAC is missing a permission the operator uses.
if grep -E '^rest_client_requests_total\{[^}]*code="403"' "$WORK/metrics.txt"; then
  echo "FAIL: the operator got 403 from the API server with the chart's RBAC"
  grep -i "403\|forbidden" "$WORK/operator.log" | head -10
  failures=$((failures + 1))
fi
if grep -qi "forbidden" "$WORK/operator.log"; then
  echo "FAIL: forbidden in the operator log:"; grep -i forbidden "$WORK/operator.log" | head -10
  failures=$((failures + 1))
fi
declared="$(awk '/^# TYPE /{print $3}' "$WORK/metrics.txt" | sort -u)"
checked=0
for name in $("$chartcheck" --used-metrics --helm "$EDGEREPL_HELM" "$root/helm/edgerepl"); do
  case "$name" in
    controller_runtime_*|workqueue_*|leader_election_*|rest_client_*|edgerepl_agents*) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  if grep -qx "$name" <<<"$declared"; then
    echo "PASS $name is exported by the operator"
  else
    echo "FAIL $name is used by an alert or the dashboard but the operator does not export it"
    failures=$((failures + 1))
  fi
done
(( checked >= 4 )) || { echo "FAIL: only $checked operator metrics checked"; failures=$((failures + 1)); }
if command -v promtool >/dev/null; then
  if lint="$(promtool check metrics <"$WORK/metrics.txt" 2>&1)"; then
    echo "PASS promtool check metrics"
  else
    echo "FAIL promtool check metrics:"; echo "$lint"
    failures=$((failures + 1))
  fi
fi
grep -E '^leader_election_master_status' "$WORK/metrics.txt" | grep -q ' 1$' || {
  echo "FAIL leader_election_master_status is not 1 on the leader"; failures=$((failures + 1)); }

# SIGTERM releases the Lease (DESIGN §9).
kill -TERM "$OPERATOR_PID"
wait "$OPERATOR_PID" 2>/dev/null || true
holder="$(kubectl -n edgerepl get lease edgerepl-operator -o jsonpath='{.spec.holderIdentity}')"
if [[ -n "$holder" ]]; then
  echo "FAIL the Lease is still held by '$holder' after SIGTERM"; failures=$((failures + 1))
else
  echo "PASS SIGTERM released the Lease"
fi
(( failures == 0 )) || { echo "--- operator log:"; tail -30 "$WORK/operator.log"; exit 1; }
echo "the operator ran with the chart's RBAC (${render_args[*]:-default values}) against $server_version: no 403, $checked metric names exported"
