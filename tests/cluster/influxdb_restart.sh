#!/usr/bin/env bash
# The InfluxDB pod deleted under load, while the remote is down so that the queue holds data:
# the StatefulSet brings the pod back on the same claims, the agent recovers its queue, and every
# write acknowledged to the client reaches the remote (the reliability suite's accounting:
# acknowledged but missing = 0).
source "$(dirname "$0")/lib.sh"
cluster_require
pod="$release-influxdb-0"
points_per_request=20

uid_before=$(k get pod "$pod" -o jsonpath='{.metadata.uid}')
pv_before=$(k get pvc "queue-$pod" -o jsonpath='{.spec.volumeName}')
[ -n "$pv_before" ] || fail "claim queue-$pod is not bound"
svc=$(service_url)
run=$(date +%s)

# The load: one request after another, each with its own points; the answer of each is logged.
load() {
  local end=$(($(date +%s) + $1)) i=0 body code j ts
  while [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    ts=$(date +%s%N)
    body=""
    for j in $(seq 1 $points_per_request); do body+="e2e_load,run=$run,req=$i v=${j}i $((ts + j))"$'\n'; done
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -XPOST "$svc/write?db=edge" \
      --data-binary "$body" || true)
    echo "$i $code" >>"$work/load-$run.log"
    sleep 0.05
  done
}
: >"$work/load-$run.log"
load 45 &
load_pid=$!
sleep 5
log "remote down, then the InfluxDB pod deleted under load"
remote_stop
sleep 5
k delete pod "$pod" --wait=false
new_pod() { [ "$(k get pod "$pod" -o jsonpath='{.metadata.uid}')" != "$uid_before" ]; }
wait_for 120 "a new $pod" new_pod || fail "the StatefulSet did not recreate $pod"
k wait --for=condition=Ready "pod/$pod" --timeout=180s || fail "$pod did not become Ready"
pv_after=$(k get pvc "queue-$pod" -o jsonpath='{.spec.volumeName}')
[ "$pv_after" = "$pv_before" ] || fail "queue claim moved from $pv_before to $pv_after"

# Before the remote is back, the new agent reports what the old one had queued.
pending=$(agent_get "$pod" /api/v1/replications | jq '[.replications[].pendingPoints] | add // 0')
log "recovered queue: $pending points pending in the new agent"
wait "$load_pid" || true
acked=$(awk '$2 == 204' "$work/load-$run.log" | wc -l)
refused=$(awk '$2 != 204' "$work/load-$run.log" | wc -l)
[ "$acked" -gt 10 ] || fail "only $acked writes acknowledged: the load did not run"
[ "$pending" -gt 0 ] || fail "the new agent has nothing pending although the remote was down"

log "remote back"
remote_start
missing_reqs() {
  remote_query "SELECT count(v) FROM e2e_load WHERE run='$run' GROUP BY req" |
    jq -r --argjson n $points_per_request \
      '[.results[0].series[]? | select(.values[0][1] == $n) | .tags.req] | .[]' |
    sort -u >"$work/complete-$run"
  awk '$2 == 204 {print $1}' "$work/load-$run.log" | sort -u | comm -23 - "$work/complete-$run"
}
all_delivered() { [ -z "$(missing_reqs)" ]; }
wait_for 180 "every acknowledged write at the remote" all_delivered || true
missing=$(missing_reqs | wc -l)
at_remote=$(remote_count e2e_load "run='$run'")
log "acknowledged $acked writes ($((acked * points_per_request)) points), not acknowledged $refused;" \
  "at the remote $at_remote points; acknowledged but missing: $missing writes"
[ "$missing" -eq 0 ] || fail "$missing acknowledged writes never reached the remote: $(missing_reqs | head -5 | tr '\n' ' ')"
