#!/usr/bin/env bash
# The agents' admin API on Kubernetes: skip-head and retry-now need the namespace's admin token
# (the operator's Secret edgerepl-agent-admin), whoever asks: a pod in the agents' namespace, a pod
# in another namespace and the host all get 401 without it or with a wrong one, while status
# reads (/api/v1/replications, /metrics) stay open for Prometheus. With the token the call is
# accepted. The token itself appears in no ConfigMap, event or Remote/Replication status.
source "$(dirname "$0")/lib.sh"
cluster_require
pod="$release-influxdb-0"
ip=$(pod_ip "$pod")
[ -n "$ip" ] || fail "no IP for $pod"
wait_for 60 "the operator's admin token Secret" k get secret edgerepl-agent-admin ||
  fail "the operator created no Secret edgerepl-agent-admin in $ns"
token=$(k get secret edgerepl-agent-admin -o jsonpath='{.data.token}' | base64 -d)
[ "${#token}" -ge 32 ] || fail "admin token too short (${#token} characters)"
id=$(agent_get "$pod" /api/v1/replications | jq -r '.replications[] | select(.name=="edge-to-central") | .id')
[ -n "$id" ] || fail "no replication edge-to-central on $pod"

# Each probe: a raw HTTP request from bash's /dev/tcp (the InfluxDB image has no curl), printing
# the status code of each answer: skip-head without a token, with a wrong one, and a status read.
probe_script="
req() { exec 3<>/dev/tcp/$ip/9186; printf \"\$1 \$2 HTTP/1.1\r\nHost: agent\r\n\$3Content-Length: 0\r\nConnection: close\r\n\r\n\" >&3; head -1 <&3 | cut -d' ' -f2; exec 3<&-; }
echo \"none=\$(req POST /api/v1/replications/$id/skip-head '')\"
echo \"wrong=\$(req POST /api/v1/replications/$id/skip-head 'Authorization: Bearer not-the-token\r\n')\"
echo \"wrongheader=\$(req POST /api/v1/replications/$id/retry-now 'X-Edgerepl-Admin-Token: not-the-token\r\n')\"
echo \"status=\$(req GET /api/v1/replications '')\"
echo \"metrics=\$(req GET /metrics '')\"
"
run_probe() {
  local namespace=$1 name=$2
  kubectl -n "$namespace" delete pod "$name" --ignore-not-found --wait=true >/dev/null
  kubectl -n "$namespace" run "$name" --restart=Never --image=localhost/edgerepl/influxdb:1.6.7 \
    --image-pull-policy=Never --command -- bash -c "$probe_script" >/dev/null
  done_pod() {
    local phase
    phase=$(kubectl -n "$namespace" get pod "$name" -o jsonpath='{.status.phase}')
    [ "$phase" = Succeeded ] || [ "$phase" = Failed ]
  }
  wait_for 120 "probe pod $namespace/$name" done_pod || fail "probe pod $namespace/$name did not finish"
  kubectl -n "$namespace" logs "$name"
  kubectl -n "$namespace" delete pod "$name" --wait=false >/dev/null
}
expect_refused() {
  local where=$1 out=$2
  log "$where: $(tr '\n' ' ' <<<"$out")"
  grep -qx 'none=401' <<<"$out" || fail "$where: skip-head without a token was not refused with 401"
  grep -qx 'wrong=401' <<<"$out" || fail "$where: skip-head with a wrong token was not refused with 401"
  grep -qx 'wrongheader=401' <<<"$out" || fail "$where: retry-now with a wrong token header was not refused"
  grep -qx 'status=200' <<<"$out" || fail "$where: the status read was not open"
  grep -qx 'metrics=200' <<<"$out" || fail "$where: /metrics was not open"
}

expect_refused "from namespace $ns" "$(run_probe "$ns" admin-probe)"
kubectl create namespace edge-outside --dry-run=client -o yaml | kubectl apply -f - >/dev/null
expect_refused "from namespace edge-outside" "$(run_probe edge-outside admin-probe)"
kubectl delete namespace edge-outside --wait=false >/dev/null

# From the host, and with the right token: accepted.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$ip:9186/api/v1/replications/$id/retry-now")
[ "$code" = 401 ] || fail "from the host: retry-now without a token answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
  "http://$ip:9186/api/v1/replications/$id/retry-now")
[ "$code" = 202 ] || fail "retry-now with the namespace's token answered $code"

# The token stays in its Secret and the agents' config Secret only.
for what in configmaps events remotes.edgerepl.io replications.edgerepl.io; do
  if grep -qF "$token" <<<"$(kubectl get "$what" -A -o json)"; then fail "the admin token appears in $what"; fi
done
if grep -qF "$token" <<<"$(kubectl -n "$ns" logs "$pod" -c edgerepl-agent)"; then fail "the admin token is in the agent's log"; fi
log "admin API: 401 without the token from $ns, edge-outside and the host; status reads open; accepted with it"
