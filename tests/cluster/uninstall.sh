#!/usr/bin/env bash
# helm uninstall keeps what docs/quickstart-helm.md promises: the CRDs (and with them every Remote
# and Replication) and the StatefulSet's claims, so queued data is never deleted with the release.
source "$(dirname "$0")/lib.sh"
cluster_require
helm status "$release" -n "$ns" >/dev/null 2>&1 || fail "release $release is not installed"

helm uninstall "$release" -n "$ns" --wait --timeout 3m
gone() { [ -z "$(k get pods -o name)" ]; }
wait_for 120 "the release's pods to go" gone || fail "pods left: $(k get pods -o name | tr '\n' ' ')"
kubectl get crd remotes.edgerepl.io replications.edgerepl.io >/dev/null || fail "a CRD was deleted"
k get remote central >/dev/null || fail "the Remote was deleted"
k get replication edge-to-central >/dev/null || fail "the Replication was deleted"
for claim in "queue-$release-influxdb-0" "data-$release-influxdb-0"; do
  [ "$(k get pvc "$claim" -o jsonpath='{.status.phase}')" = Bound ] || fail "claim $claim is gone or unbound"
done
log "uninstalled; kept: $(kubectl get crd -o name | grep edgerepl | tr '\n' ' ') and $(k get pvc -o name | tr '\n' ' ')"
