#!/usr/bin/env bash
# helm install with the bundled InfluxDB 1.x and the agent sidecar, then a Secret, a Remote and a
# Replication applied with kubectl, as docs/quickstart-helm.md walks through.
source "$(dirname "$0")/lib.sh"
cluster_require

kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
log "helm install"
# No --wait: the InfluxDB pod turns Ready only once its agent has a config, which the operator
# renders when the namespace's first Replication exists (docs/quickstart-helm.md says so).
helm install "$release" "$repo/helm/edgerepl" -n "$ns" -f "$repo/tests/cluster/values.yaml" \
  "${image_values[@]}" --timeout 6m
k rollout status deployment/"$release-operator" --timeout=180s || { diagnose; fail "the operator did not roll out"; }

log "Remote and Replication"
sed "s#REMOTE_URL#$remote_url#" "$repo/tests/cluster/manifests/remote.yaml" | k apply -f -
k apply -f "$repo/tests/cluster/manifests/replication.yaml"

k rollout status statefulset/"$release-influxdb" --timeout=180s || { diagnose; fail "the InfluxDB StatefulSet did not roll out"; }
log "the InfluxDB StatefulSet rolled out"

# influxd 1.x creates no database on write: create it through the Service (the agent proxies
# every call that is not a write). A pod just turned Ready is in the Service's endpoints a moment
# later, once the endpoints controller and kube-proxy have caught up: retried, as any client would.
create_database() {
  curl -sf --max-time 5 -XPOST "$(service_url)/query" --data-urlencode "q=CREATE DATABASE edge" \
    >/dev/null
}
wait_for 60 "CREATE DATABASE through the Service" create_database || {
  curl -sS --max-time 5 -XPOST "$(service_url)/query" --data-urlencode "q=CREATE DATABASE edge" \
    -w ' (HTTP %{http_code})\n' >&2 || true
  diagnose
  fail "CREATE DATABASE through the Service"
}

ready() {
  [ "$(k get replication edge-to-central -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
# The operator's annotation of the pod makes the kubelet refresh the mounted config within
# seconds; the bound still allows the kubelet's periodic pod sync (1 min, jittered) on a slow
# machine, should that annotation arrive before the kubelet has seen the Secret change.
wait_for 240 "Replication Ready=True" ready || {
  k get replication edge-to-central -o yaml >&2
  diagnose
  fail "the Replication never became Ready"
}
# On each config change the operator annotates the agent pods with the config Secret's
# resourceVersion: a pod update, on which the kubelet refreshes the mounted config at once rather
# than on its periodic sync.
nudged() {
  local version
  version=$(k get secret edgerepl-agent-config -o jsonpath='{.metadata.resourceVersion}')
  [ -n "$version" ] && [ "$version" = "$(k get pod "$release-influxdb-0" \
    -o jsonpath='{.metadata.annotations.edgerepl\.io/agent-config-version}')" ]
}
wait_for 30 "the agent pod annotated with the config version" nudged ||
  { diagnose; fail "the agent pod does not carry the config Secret's resourceVersion"; }
remote_ready() {
  [ "$(k get remote central -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_for 60 "Remote Ready=True" remote_ready ||
  { k get remote central -o yaml >&2; diagnose; fail "the Remote never became Ready"; }
# The agent loaded the rendered config: its replication list names the stream.
agent_loaded() { grep -q edge-to-central <<<"$(agent_get "$release-influxdb-0" /api/v1/replications)"; }
wait_for 60 "the agent loaded the replication" agent_loaded ||
  fail "the agent never loaded the replication"
log "installed: $(k get pods --no-headers | awk '{print $1 "=" $3}' | tr '\n' ' ')"
