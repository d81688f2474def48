#!/usr/bin/env bash
# kubectl edgerepl against the live agents, through the API server's pod proxy: `status` shows
# every stream of the bundled agent (namespace edge) and the injected one (edge-inject) with the
# agent's own values; without the admin token Secret skip-head says so; with it, skip-head drops
# the head batch of a queue whose remote is down (the agent counts it), and retry-now is accepted.
source "$(dirname "$0")/lib.sh"
cluster_require
plugin=${KUBECTL_EDGEREPL:-$repo/build/test/plugin/kubectl-edgerepl}
[ -x "$plugin" ] || fail "no kubectl-edgerepl at $plugin (build the target kubectl-edgerepl)"
# On PATH, kubectl finds it as the plugin `edgerepl`.
export PATH="$(dirname "$plugin"):$PATH"
pod="$release-influxdb-0"

table=$(kubectl edgerepl status -n "$ns")
log "kubectl edgerepl status -n $ns:"$'\n'"$table"
head -1 <<<"$table" | grep -q '^POD  *ID  *NAME  *ORG  *REMOTE  *LOCAL BUCKET  *REMOTE BUCKET  *CURRENT QUEUE BYTES  *MAX QUEUE BYTES  *LATEST STATUS CODE  *STATE  *LAG$' ||
  fail "unexpected header: $(head -1 <<<"$table")"
agent=$(agent_get "$pod" /api/v1/replications)
id=$(jq -r '.replications[] | select(.name=="edge-to-central") | .id' <<<"$agent")
max=$(jq -r '.replications[] | select(.name=="edge-to-central") | .maxQueueSizeBytes' <<<"$agent")
grep -Eq "^$pod +$id +edge-to-central +- +central +edge +edge +[0-9]+ +$max +(0|204) +(Idle|Replicating) +[0-9]" <<<"$table" ||
  fail "no row for $pod/$id matching the agent's own ($agent)"

all=$(kubectl edgerepl status -A)
grep -q "^$ns  *$pod " <<<"$all" && grep -q "^edge-inject  *influx-0 " <<<"$all" ||
  fail "status -A lacks a namespace: $all"
json=$(kubectl edgerepl status -A -o json)
[ "$(jq '[.streams[] | select(.name=="edge-to-central")] | length' <<<"$json")" -ge 2 ] ||
  fail "status -o json: $json"
[ "$(jq '.errors | length' <<<"$json")" = 0 ] || fail "status -o json errors: $json"

secret_made=0
if ! k get secret edgerepl-agent-admin >/dev/null 2>&1; then
  if kubectl edgerepl skip-head edge-to-central --pod "$pod" -n "$ns" 2>"$work/plugin.err"; then
    fail "skip-head without the admin token Secret succeeded"
  fi
  grep -q "no Secret edgerepl-agent-admin in namespace $ns" "$work/plugin.err" ||
    fail "unclear error without the Secret: $(cat "$work/plugin.err")"
  # The agents' config in this release has no adminToken yet, so any token is accepted; the
  # operator that renders one creates this Secret itself.
  k create secret generic edgerepl-agent-admin --from-literal=token=e2e-admin-token >/dev/null
  secret_made=1
fi

# A queued batch the remote cannot take: skip-head drops it, and the agent counts it.
remote_stop
now=$(date +%s%N)
code=$(write_lines "db=edge" "e2e_skip,seq=1 v=1i $now")
[ "$code" = 204 ] || fail "write answered $code"
queued() { [ "$(agent_get "$pod" /api/v1/replications | jq '.replications[] | select(.name=="edge-to-central") | .currentQueueSizeBytes')" -gt 0 ]; }
wait_for 30 "a queued batch" queued || fail "nothing queued with the remote down"
out=$(kubectl edgerepl skip-head edge-to-central --pod "$pod" -n "$ns") || fail "skip-head: $out"
grep -q "pod/$pod: skip-head accepted for replication edge-to-central ($id)" <<<"$out" ||
  fail "skip-head printed: $out"
skipped() { [ "$(agent_get "$pod" /api/v1/replications | jq '.replications[] | select(.name=="edge-to-central") | .dropped.skipped // 0')" -gt 0 ]; }
wait_for 30 "the agent's skipped count" skipped || fail "skip-head did not reach the agent"
out=$(kubectl edgerepl retry-now "$id" --all-pods -n "$ns") || fail "retry-now: $out"
grep -q "pod/$pod: retry-now accepted" <<<"$out" || fail "retry-now printed: $out"
remote_start

# backfill: the agent copies the last hour of its local database (the skipped point among it) to
# the remote, and its status says Complete; a slower one is stopped by --cancel.
from=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
out=$(kubectl edgerepl backfill edge-to-central --from "$from" --to "$to" --pod "$pod" -n "$ns") ||
  fail "backfill: $out"
grep -q "pod/$pod: backfill accepted for replication edge-to-central ($id)" <<<"$out" ||
  fail "backfill printed: $out"
backfill_state() { agent_get "$pod" /api/v1/replications | jq -r '.replications[] | select(.name=="edge-to-central") | .backfill.state // ""'; }
complete() { [ "$(backfill_state)" = Complete ]; }
wait_for 120 "the backfill to complete" complete || fail "backfill state: $(backfill_state)"
# A second one at one point a second is still running when --cancel stops it.
out=$(kubectl edgerepl backfill edge-to-central --from "$from" --to "$to" \
  --max-points-per-second 1 --pod "$pod" -n "$ns") || fail "slow backfill: $out"
out=$(kubectl edgerepl backfill edge-to-central --cancel --pod "$pod" -n "$ns") ||
  fail "backfill --cancel: $out"
grep -q "pod/$pod: backfill --cancel accepted" <<<"$out" || fail "backfill --cancel printed: $out"
cancelled() { [ "$(backfill_state)" = Cancelled ]; }
wait_for 30 "the backfill to be cancelled" cancelled || fail "backfill state: $(backfill_state)"
[ "$secret_made" = 0 ] || k delete secret edgerepl-agent-admin >/dev/null
log "kubectl edgerepl: status matches the agents; skip-head dropped the head batch; retry-now accepted; backfill completed and another cancelled"
