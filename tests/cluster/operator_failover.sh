#!/usr/bin/env bash
# The operator pod holding the Lease deleted: the other replica takes the Lease, status updates
# resume, and the agents' config Secret is not rewritten (nothing changed, so nothing is
# re-rendered).
source "$(dirname "$0")/lib.sh"
cluster_require
repl=edge-to-central

holder() { k get lease edgerepl-operator -o jsonpath='{.spec.holderIdentity}'; }
holder_before=$(holder)
[ -n "$holder_before" ] || fail "no Lease holder"
leader_pod=${holder_before%_*}
k get pod "$leader_pod" >/dev/null || fail "Lease holder $holder_before is not a pod of the Deployment"
secret_rv=$(k get secret edgerepl-agent-config -o jsonpath='{.metadata.resourceVersion}')

log "deleting the leader $leader_pod"
t0=$(date +%s)
k delete pod "$leader_pod" --wait=false
moved() { local h; h=$(holder); [ -n "$h" ] && [ "${h%_*}" != "$leader_pod" ]; }
wait_for 90 "the Lease to move" moved || fail "the Lease stayed with $(holder)"
log "Lease moved to $(holder) in $(($(date +%s) - t0)) s"

# Status resumes: a new write shows up as a newer lastSuccessTime written by the new leader.
before=$(k get replication "$repl" -o jsonpath='{.status.agentStatuses[0].lastSuccessTime}')
sleep 1
code=$(write_lines "db=edge" "e2e_failover v=1i $(date +%s%N)")
[ "$code" = 204 ] || fail "write answered $code"
newer() {
  local now
  now=$(k get replication "$repl" -o jsonpath='{.status.agentStatuses[0].lastSuccessTime}')
  [ -n "$now" ] && [ "$now" != "$before" ]
}
wait_for 90 "status written by the new leader" newer ||
  { k get replication "$repl" -o yaml >&2; fail "status did not resume after the failover"; }
wait_for 60 "the point at the remote" remote_has e2e_failover 1 || fail "the point never reached the remote"

secret_rv_after=$(k get secret edgerepl-agent-config -o jsonpath='{.metadata.resourceVersion}')
[ "$secret_rv_after" = "$secret_rv" ] ||
  fail "the config Secret was rewritten by the new leader ($secret_rv → $secret_rv_after)"
k rollout status deployment/"$release-operator" --timeout=120s
log "status resumed; config Secret untouched (resourceVersion $secret_rv)"
