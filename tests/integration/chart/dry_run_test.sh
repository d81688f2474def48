#!/usr/bin/env bash
# Applies the chart, rendered for every values file in tests/chart/values, to a real kube-apiserver:
# server-side dry run for every object the server serves, then a real install whose RBAC is probed
# with `kubectl auth can-i` as the operator's ServiceAccount.
# Usage: dry_run_test.sh <chartrender binary>       exit 77 = skipped (no API server binaries)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
chartrender="$1"
source "$here/apiserver.sh"
start_apiserver
chartrender="$(fresh_renderer "$chartrender")"

server_version="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)"
kubectl apply -f "$here/prometheus-operator-crds.yaml" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com >/dev/null
kubectl api-versions >"$WORK/api-versions"
for ns in edgerepl edge-a edge-b; do kubectl create namespace "$ns" >/dev/null; done

# CEL rules (x-kubernetes-validations) are unknown to API servers before 1.25: kubectl's client-side
# validation refuses them and the server drops them. Say so instead of failing.
crd_validate=true
minor="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.minor | tr -dc 0-9)"
if (( minor < 25 )); then
  echo "NOTE: $server_version predates CEL validation; CRDs are applied with --validate=false and their x-kubernetes-validations are not checked here"
  crd_validate=false
fi

render() { # <values file> [extra renderer args...]
  "$chartrender" --kube-version "$server_version" --skip-kube-version-check \
    --server-api-versions "$WORK/api-versions" --drop-unserved -f "$1" "${@:2}" "$root/helm/edgerepl"
}

split_crds() { # <manifest> <crds out> <rest out>
  awk -v crds="$2" -v rest="$3" '
    /^---/ { if (doc != "") printf "---\n%s", doc > (iscrd ? crds : rest); doc = ""; iscrd = 0; next }
    /^kind: CustomResourceDefinition/ { iscrd = 1 }
    { doc = doc $0 "\n" }
    END { if (doc != "") printf "---\n%s", doc > (iscrd ? crds : rest) }' "$1"
  : >>"$2"; : >>"$3"
}

failures=0
checked=0
for values in "$root"/tests/chart/values/*.yaml; do
  name="$(basename "$values" .yaml)"
  out="$WORK/$name"
  if ! render "$values" >"$out.yaml" 2>"$out.stderr"; then
    echo "FAIL $name: the chart does not render:"; sed 's/^/  /' "$out.stderr"
    failures=$((failures + 1))
    continue
  fi
  sed 's/^/  /' "$out.stderr"
  split_crds "$out.yaml" "$out.crds.yaml" "$out.rest.yaml"
  ok=1
  if [[ -s "$out.crds.yaml" ]] && grep -q '^kind:' "$out.crds.yaml"; then
    kubectl apply --dry-run=server --validate="$crd_validate" -f "$out.crds.yaml" >"$out.log" 2>&1 || ok=0
  fi
  kubectl apply --dry-run=server -f "$out.rest.yaml" >>"$out.log" 2>&1 || ok=0
  n="$(grep -c '^kind:' "$out.yaml" || true)"
  if (( ok )); then
    echo "PASS $name: $n objects accepted by server-side dry run ($server_version)"
    checked=$((checked + 1))
  else
    echo "FAIL $name:"; sed 's/^/  /' "$out.log"
    failures=$((failures + 1))
  fi
done

# A real install of the defaults, then probe the operator's permissions through the RBAC authorizer.
render "$root/tests/chart/values/default.yaml" >"$WORK/install.yaml" 2>/dev/null
split_crds "$WORK/install.yaml" "$WORK/install.crds.yaml" "$WORK/install.rest.yaml"
kubectl apply --validate="$crd_validate" -f "$WORK/install.crds.yaml" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/remotes.edgerepl.io crd/replications.edgerepl.io >/dev/null
kubectl apply -f "$WORK/install.rest.yaml" >/dev/null
render "$root/tests/chart/values/namespaced.yaml" --release-name scoped --namespace edge-a >"$WORK/scoped.yaml" 2>/dev/null
split_crds "$WORK/scoped.yaml" "$WORK/scoped.crds.yaml" "$WORK/scoped.rest.yaml"
kubectl apply -f "$WORK/scoped.rest.yaml" >/dev/null

expect() { # <yes|no> <service account> <can-i args...>
  local want="$1" sa="$2"; shift 2
  local got
  got="$(kubectl auth can-i --as="system:serviceaccount:$sa" "$@" 2>/dev/null || true)"
  if [[ "$got" == "$want" ]]; then
    echo "PASS can-i $* as $sa: $got"
  else
    echo "FAIL can-i $* as $sa: got '$got', want '$want'"
    failures=$((failures + 1))
  fi
}
op=edgerepl:edgerepl-operator
expect yes "$op" list replications.edgerepl.io --all-namespaces
expect yes "$op" watch remotes.edgerepl.io -n edge-a
expect yes "$op" patch replications.edgerepl.io --subresource=status -n edge-a
expect no "$op" update replications.edgerepl.io -n edge-a
expect no "$op" delete remotes.edgerepl.io -n edge-a
expect yes "$op" get secrets -n edge-b
expect yes "$op" create secrets -n edge-b
expect yes "$op" update secrets/edgerepl-agent-config -n edge-b
expect no "$op" update secrets/some-token -n edge-b
expect no "$op" delete secrets/some-token -n edge-b
expect yes "$op" list pods -n edge-a
expect no "$op" create pods/exec -n edge-a
expect yes "$op" update leases.coordination.k8s.io/edgerepl-operator -n edgerepl
expect no "$op" update leases.coordination.k8s.io/edgerepl-operator -n edge-a
expect no "$op" create customresourcedefinitions.apiextensions.k8s.io
scoped=edge-a:scoped-edgerepl-operator
expect yes "$scoped" list replications.edgerepl.io -n edge-b
expect yes "$scoped" get secrets -n edge-a
expect no "$scoped" get secrets -n edgerepl
expect no "$scoped" list replications.edgerepl.io --all-namespaces
expect yes "$scoped" update leases.coordination.k8s.io/scoped-edgerepl-operator -n edge-a

if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all $checked values files and RBAC probes passed against $server_version"
