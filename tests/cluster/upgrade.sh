#!/usr/bin/env bash
# helm upgrade, and a changed and an added Replication: the agent reloads its config without a
# restart (same pod, no container restart) and the new stream replicates.
source "$(dirname "$0")/lib.sh"
cluster_require
pod="$release-influxdb-0"

uid_before=$(k get pod "$pod" -o jsonpath='{.metadata.uid}')
restarts() { k get pod "$pod" -o jsonpath='{.status.containerStatuses[?(@.name=="edgerepl-agent")].restartCount}'; }
restarts_before=$(restarts)
hash_before=$(agent_get "$pod" /api/v1/replications | jq -r .configHash)

log "helm upgrade"
helm upgrade "$release" "$repo/helm/edgerepl" -n "$ns" -f "$repo/tests/cluster/values.yaml" \
  "${image_values[@]}" --set operator.statusIntervalSeconds=6 --wait --timeout 5m
k rollout status deployment/"$release-operator" --timeout=180s

remote_query "CREATE DATABASE edge_cpu" >/dev/null
k apply -f - <<YAML
apiVersion: edgerepl.io/v1alpha1
kind: Replication
metadata:
  name: edge-cpu-to-central
spec:
  remoteRef: {name: central}
  localBucket: edge
  remoteBucket: edge_cpu
  measurements: [cpu]
  backoff: {min: 250ms, max: 2s}
YAML
k patch replication edge-to-central --type merge -p '{"spec":{"batch":{"maxPoints":1000}}}'

reloaded() {
  local r
  r=$(agent_get "$pod" /api/v1/replications) || return 1
  [ "$(jq -r .configHash <<<"$r")" != "$hash_before" ] &&
    jq -e '.replications[] | select(.name == "edge-cpu-to-central")' <<<"$r" >/dev/null
}
# The operator annotates the pod on a config change, so the kubelet refreshes the mounted config
# within seconds; the bound still allows the kubelet's periodic pod sync (1 min, jittered) on a
# slow machine.
wait_for 240 "the agent to load the new config" reloaded || fail "the agent did not reload"
[ "$(k get pod "$pod" -o jsonpath='{.metadata.uid}')" = "$uid_before" ] || fail "the pod was replaced"
[ "$(restarts)" = "$restarts_before" ] || fail "the agent container restarted"

now=$(date +%s%N)
code=$(write_lines "db=edge" "cpu,host=edge-1 usage=1.5 $now
mem,host=edge-1 v=2i $now")
[ "$code" = 204 ] || fail "write answered $code"
in_cpu_db() {
  [ "$(curl -sf -G "$remote_url/query" --data-urlencode db=edge_cpu \
    --data-urlencode 'q=SELECT count(usage) FROM cpu' | jq '.results[0].series[0].values[0][1] // 0')" = 1 ]
}
wait_for 60 "cpu at remote database edge_cpu" in_cpu_db || fail "the new replication did not deliver"
mem_in_cpu_db=$(curl -sf -G "$remote_url/query" --data-urlencode db=edge_cpu \
  --data-urlencode 'q=SELECT count(v) FROM mem' | jq '.results[0].series[0].values[0][1] // 0')
[ "$mem_in_cpu_db" = 0 ] || fail "the measurement filter let mem through"
wait_for 60 "both points in database edge" remote_has mem 1 || fail "edge-to-central stopped after the reload"
log "reloaded without restart (restarts $restarts_before, config hash $hash_before → changed)"
