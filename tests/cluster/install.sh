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
k rollout status deployment/"$release-operator" --timeout=180s

log "Remote and Replication"
sed "s#REMOTE_URL#$remote_url#" "$repo/tests/cluster/manifests/remote.yaml" | k apply -f -
k apply -f "$repo/tests/cluster/manifests/replication.yaml"

k rollout status statefulset/"$release-influxdb" --timeout=180s
log "the InfluxDB StatefulSet rolled out"

# influxd 1.x creates no database on write: create it through the Service (the agent proxies
# every call that is not a write).
curl -sf -XPOST "$(service_url)/query" --data-urlencode "q=CREATE DATABASE edge" >/dev/null ||
  fail "CREATE DATABASE through the Service"

ready() {
  [ "$(k get replication edge-to-central -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
# The kubelet refreshes a mounted Secret on its pod sync period (1 min by default, jittered), so a
# config the operator renders reaches the agent up to a minute or two later; the bound allows that
# on a slow machine.
wait_for 240 "Replication Ready=True" ready || {
  k get replication edge-to-central -o yaml >&2
  fail "the Replication never became Ready"
}
remote_ready() {
  [ "$(k get remote central -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_for 60 "Remote Ready=True" remote_ready || fail "the Remote never became Ready"
# The agent loaded the rendered config: its replication list names the stream.
agent_loaded() { grep -q edge-to-central <<<"$(agent_get "$release-influxdb-0" /api/v1/replications)"; }
wait_for 60 "the agent loaded the replication" agent_loaded ||
  fail "the agent never loaded the replication"
log "installed: $(k get pods --no-headers | awk '{print $1 "=" $3}' | tr '\n' ' ')"
