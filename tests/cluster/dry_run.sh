#!/usr/bin/env bash
# The rendered chart passes server-side dry run on the cluster's API server with the default
# values, the quickstart values and the monitoring values (with the prometheus-operator CRDs the
# ServiceMonitor and PrometheusRule need), for the server's own version.
source "$(dirname "$0")/lib.sh"
cluster_require
chart="$repo/helm/edgerepl"
version=$(kubectl version -o json | jq -r .serverVersion.gitVersion)
dry_ns=edge-dry-run
kubectl create namespace "$dry_ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply -f "$repo/tests/integration/chart/prometheus-operator-crds.yaml" >/dev/null
kubectl wait --for=condition=Established crd/servicemonitors.monitoring.coreos.com \
  crd/prometheusrules.monitoring.coreos.com --timeout=60s >/dev/null

check() {
  local name=$1
  shift
  local out="$work/dry-run-$name.yaml"
  helm template "$release" "$chart" -n "$dry_ns" --kube-version "$version" \
    --api-versions monitoring.coreos.com/v1 "$@" >"$out" || fail "$name: helm template failed"
  kubectl apply --dry-run=server -n "$dry_ns" -f "$out" >"$work/dry-run-$name.log" 2>&1 ||
    { cat "$work/dry-run-$name.log" >&2; fail "$name: server-side dry run refused the chart"; }
  log "$name: $(grep -c . "$work/dry-run-$name.log") objects accepted by the $version API server"
}
check default
check quickstart -f "$chart/examples/quickstart-values.yaml"
check monitoring -f "$chart/examples/kube-prometheus-stack-values.yaml"
check tests -f "$repo/tests/cluster/values.yaml" "${image_values[@]}"
kubectl delete namespace "$dry_ns" --wait=false >/dev/null
