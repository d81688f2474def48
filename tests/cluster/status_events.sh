#!/usr/bin/env bash
# `kubectl get remotes,replications` read like `influx replication list` (live queue bytes,
# latest code, conditions), and the operator records an Event when the remote goes down and one
# when it is back.
source "$(dirname "$0")/lib.sh"
cluster_require
repl=edge-to-central

cond() { k get replication "$repl" -o jsonpath="{.status.conditions[?(@.type==\"$1\")].$2}"; }
code_is() { [ "$(k get replication "$repl" -o jsonpath='{.status.latestResponseCode}')" = "$1" ]; }
replicating() { [ "$(cond Replicating status)" = "$1" ] && { [ -z "${2:-}" ] || [ "$(cond Replicating reason)" = "$2" ]; }; }
event_seen() {
  grep -q "$1" <<<"$(k get events -o jsonpath='{.items[*].reason}' \
    --field-selector "involvedObject.kind=Replication,involvedObject.name=$repl,reason=$1")"
}
queue_bytes() { k get replication "$repl" -o jsonpath='{.status.currentQueueSizeBytes}'; }
queue_nonempty() { [ "$(queue_bytes)" -gt 0 ] 2>/dev/null; }

# Data flowed in the earlier test: Latest Code 204, Ready and Replicating True.
wait_for 60 "Latest Code 204" code_is 204 || fail "latestResponseCode is not 204"
wait_for 60 "Replicating=True" replicating True || fail "Replicating is not True"

header=$(k get replications | sed -n 1p)
for col in NAME REMOTE "LOCAL BUCKET" "REMOTE BUCKET" "QUEUE BYTES" "MAX QUEUE BYTES" "LATEST CODE" READY AGE; do
  grep -q "$col" <<<"$header" || fail "kubectl get replications has no column $col: $header"
done
row=$(k get replications "$repl" --no-headers)
read -r -a f <<<"$row"
[ "${f[0]}" = "$repl" ] && [ "${f[1]}" = central ] && [ "${f[2]}" = edge ] && [ "${f[3]}" = edge ] ||
  fail "unexpected row: $row"
[ "${f[5]}" = 67108860 ] && [ "${f[6]}" = 204 ] && [ "${f[7]}" = True ] || fail "unexpected row: $row"
wide=$(k get replications -o wide | sed -n 1p)
for col in REPLICATING AGENTS LAG; do
  grep -q "$col" <<<"$wide" || fail "kubectl get replications -o wide has no column $col: $wide"
done
rheader=$(k get remotes | sed -n 1p)
for col in NAME URL PROTOCOL READY; do
  grep -q "$col" <<<"$rheader" || fail "kubectl get remotes has no column $col: $rheader"
done
log "kubectl get replications -o wide:"
k get remotes,replications -o wide >&2

log "remote down"
remote_stop
now=$(date +%s%N)
body=""
for i in $(seq 1 50); do body+="e2e_outage,seq=$i v=${i}i $((now + i))"$'\n'; done
code=$(write_lines "db=edge" "$body")
[ "$code" = 204 ] || fail "write during the outage answered $code"
wait_for 90 "Replicating=False RemoteUnreachable" replicating False RemoteUnreachable ||
  { k get replication "$repl" -o yaml >&2; fail "Replicating did not turn False with RemoteUnreachable"; }
wait_for 60 "queue bytes in status" queue_nonempty || fail "status shows no queued bytes during the outage"
wait_for 30 "Latest Code 0 (transport error)" code_is 0 || fail "latestResponseCode is not 0 while unreachable"
wait_for 60 "a RemoteUnreachable Event" event_seen RemoteUnreachable || fail "no RemoteUnreachable event"
log "during the outage:"
k get replications -o wide >&2

log "remote back"
remote_start
wait_for 120 "50 outage points at the remote" remote_has e2e_outage 50 ||
  fail "remote holds $(remote_count e2e_outage) of 50 points written during the outage"
wait_for 90 "Replicating=True again" replicating True || fail "Replicating did not turn True again"
wait_for 60 "a ReplicationResumed Event" event_seen ReplicationResumed || fail "no ReplicationResumed event"
k get events --field-selector "involvedObject.name=$repl" >&2
