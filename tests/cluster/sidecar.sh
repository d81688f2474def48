#!/usr/bin/env bash
# The webhook adds the agent to an InfluxDB the chart did not deploy (manifests/
# injected-influxdb.yaml, in namespace edge-inject): the StatefulSet's pod gets the sidecar with
# its queue on the claim the annotation names, the labelled Service targets the agent, and points
# written through that Service reach the remote. A labelled bare pod (server-side dry run) gets an
# emptyDir queue and the warning; an unlabelled one nothing.
source "$(dirname "$0")/lib.sh"
cluster_require
ins=edge-inject

kubectl create namespace "$ins" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
ki() { kubectl -n "$ins" "$@"; }
injector="$release-sidecar-injector"
has_ca() { [ -n "$(kubectl get mutatingwebhookconfiguration "$injector" -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" ]; }
wait_for 60 "the operator's caBundle in $injector" has_ca || fail "no caBundle in $injector"

sed "s#REMOTE_URL#$remote_url#" "$repo/tests/cluster/manifests/remote.yaml" | ki apply -f -
ki apply -f "$repo/tests/cluster/manifests/replication.yaml"
ki apply -f "$repo/tests/cluster/manifests/injected-influxdb.yaml"

containers() { ki get pod influx-0 -o jsonpath='{.spec.containers[*].name}'; }
wait_for 60 "pod influx-0" ki get pod influx-0 || fail "the StatefulSet made no pod"
[ "$(containers)" = "influxdb edgerepl-agent" ] || fail "influx-0 has containers: $(containers)"
queue_mount=$(ki get pod influx-0 -o jsonpath='{.spec.containers[1].volumeMounts[?(@.mountPath=="/var/lib/edgerepl")].name}')
[ "$queue_mount" = queue ] || fail "the agent's queue is on volume '$queue_mount', not the claim"
[ "$(ki get pod influx-0 -o jsonpath='{.metadata.labels.app\.kubernetes\.io/component}')" = edgerepl-agent ] ||
  fail "influx-0 lacks the agent label"
target=$(ki get svc influx -o jsonpath='{.spec.ports[0].targetPort}')
[ "$target" = edgerepl-write ] || fail "the Service targets '$target', not the agent"
ki rollout status statefulset/influx --timeout=180s

url="http://$(ki get svc influx -o jsonpath='{.spec.clusterIP}'):8086"
curl -sf -XPOST "$url/query" --data-urlencode "q=CREATE DATABASE edge" >/dev/null ||
  fail "CREATE DATABASE through the injected agent"
loaded() {
  grep -q edge-to-central <<<"$(curl -sf --max-time 5 \
    "http://$(ki get pod influx-0 -o jsonpath='{.status.podIP}'):9186/api/v1/replications")"
}
# The operator annotates the pod on a config change, so the kubelet refreshes the mounted config
# within seconds; the bound still allows the kubelet's periodic pod sync (1 min, jittered) on a
# slow machine.
wait_for 240 "the injected agent loaded the replication" loaded || fail "the injected agent has no config"

now=$(date +%s%N)
body=""
for i in $(seq 1 50); do body+="e2e_inject,seq=$i v=${i}i $((now + i))"$'\n'; done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -XPOST "$url/write?db=edge" --data-binary "$body" || true)
[ "$code" = 204 ] || fail "write through the injected Service answered $code"
wait_for 60 "50 points at the remote" remote_has e2e_inject 50 ||
  fail "remote holds $(remote_count e2e_inject) of 50 points"

# A labelled pod with no queue volume: emptyDir, and kubectl shows the webhook's warning.
out=$(ki run bare --image=localhost/edgerepl/influxdb:1.6.7 --image-pull-policy=Never \
  --labels=edgerepl.io/inject=true --dry-run=server -o jsonpath='{.spec.volumes[?(@.name=="edgerepl-queue")].emptyDir}' 2>"$work/bare.err") ||
  fail "dry run of a labelled pod: $(cat "$work/bare.err")"
[ "$out" = "{}" ] || fail "the bare pod's queue is not an emptyDir: '$out'"
grep -q "Warning: edgerepl: pod bare: the replication queue is an emptyDir" "$work/bare.err" ||
  fail "no emptyDir warning: $(cat "$work/bare.err")"
plain=$(ki run plain --image=localhost/edgerepl/influxdb:1.6.7 --dry-run=server -o jsonpath='{.spec.containers[*].name}')
[ "$plain" = plain ] || fail "an unlabelled pod was changed: $plain"
log "injected: influx-0 runs $(containers), Service targets $target, 50 points at the remote"
