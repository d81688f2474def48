#!/usr/bin/env bash
# The chart, rendered by the real helm for the API server's own version (`helm template
# --kube-version <server>`, helm 4 and helm 3.8), applied to a real kube-apiserver (the envtest
# one, 1.20.2, unless KUBEBUILDER_ASSETS points elsewhere) with `kubectl apply --dry-run=server`
# and full client-side validation: every values file in tests/chart/values, the examples
# (quickstart, kube-prometheus-stack) and influxdb.version=1. Then the plain crds/ on that server,
# and a real `helm install` whose RBAC is probed with `kubectl auth can-i` as the operator's
# ServiceAccount.
# Usage: dry_run_test.sh       exit 77 = skipped (no API server binaries)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
chart="$root/helm/edgerepl"
source "$here/apiserver.sh"
start_apiserver

server_version="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)"
minor="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.minor | tr -dc 0-9)"
kubectl apply -f "$here/prometheus-operator-crds.yaml" >/dev/null
kubectl wait --for condition=established --timeout=60s crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com >/dev/null
for ns in edgerepl edge edge-a edge-b; do kubectl create namespace "$ns" >/dev/null; done

# Renders like `helm install` against this server would: its version, its API groups.
api_args=()
for v in $(kubectl api-versions); do api_args+=(--api-versions "$v"); done
render() { # <helm> <release> <namespace> [helm args...]
  "$1" template "$2" "$chart" --namespace "$3" --kube-version "$server_version" "${api_args[@]}" "${@:4}"
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
dry_run() { # <case name> <namespace> [helm args...]
  local name="$1" ns="$2" helm_name helm out ok n
  shift 2
  for helm_name in helm4 helm3.8; do
    helm="$EDGEREPL_HELM"
    [[ $helm_name == helm3.8 ]] && helm="$HELM_LEGACY"
    out="$WORK/$name.$helm_name"
    if ! render "$helm" edgerepl "$ns" "$@" >"$out.yaml" 2>"$out.stderr"; then
      echo "FAIL $name ($helm_name): the chart does not render:"; grep -v 'symbolic link' "$out.stderr" | sed 's/^/  /'
      failures=$((failures + 1))
      continue
    fi
    split_crds "$out.yaml" "$out.crds.yaml" "$out.rest.yaml"
    ok=1
    : >"$out.log"
    # Client-side validation stays on: the CRDs rendered for this server must carry no field it
    # does not know (x-kubernetes-validations before 1.25). helm 4's output through kubectl 1.35,
    # helm 3.8's through kubectl 1.20.
    local kc=kubectl
    [[ $helm_name == helm3.8 ]] && kc="$KUBECTL_LEGACY"
    if grep -q '^kind:' "$out.crds.yaml"; then
      "$kc" apply --dry-run=server -f "$out.crds.yaml" >>"$out.log" 2>&1 || ok=0
    fi
    "$kc" apply --dry-run=server -f "$out.rest.yaml" >>"$out.log" 2>&1 || ok=0
    n="$(grep -c '^kind:' "$out.yaml" || true)"
    if (( ok )); then
      echo "PASS $name ($helm_name, kubectl $("$kc" version --client -o json 2>/dev/null | jq -r .clientVersion.gitVersion)): $n objects accepted by server-side dry run ($server_version)"
      checked=$((checked + 1))
    else
      echo "FAIL $name ($helm_name):"; sed 's/^/  /' "$out.log"
      failures=$((failures + 1))
    fi
  done
}

for values in "$root"/tests/chart/values/*.yaml; do
  dry_run "$(basename "$values" .yaml)" edgerepl -f "$values"
done
dry_run quickstart edge -f "$chart/examples/quickstart-values.yaml"
dry_run kube-prometheus-stack edge -f "$chart/examples/quickstart-values.yaml" -f "$chart/examples/kube-prometheus-stack-values.yaml"
dry_run influxdb-1 edge --set influxdb.enabled=true --set influxdb.version=1
dry_run local-images edge -f "$chart/examples/quickstart-values.yaml" --set influxdb.version=1 \
  --set influxdb.image.repository=localhost/edgerepl/influxdb --set influxdb.image.tag=1.6.7 \
  --set agent.image.repository=localhost/edgerepl/edgerepl-agent --set agent.image.tag=dev \
  --set agent.image.pullPolicy=Never --set influxdb.image.pullPolicy=Never

# What the version gates rendered for this server.
if (( minor < 25 )) && grep -q 'x-kubernetes-validations' "$WORK/default.helm4.yaml"; then
  echo "FAIL the CRDs rendered for $server_version carry CEL rules"; failures=$((failures + 1))
fi
if (( minor < 21 )) && ! grep -q '^apiVersion: policy/v1beta1' "$WORK/ha.helm4.yaml"; then
  echo "FAIL the PodDisruptionBudget rendered for $server_version is not policy/v1beta1"; failures=$((failures + 1))
fi

# The plain crds/ (with CEL rules) on a server before 1.25: client-side validation (kubectl 1.35
# and 1.20 alike) refuses the unknown field, --validate=false gets them in, and the server drops
# the rules (the operator checks every one of them itself, docs/crd-reference.md).
if (( minor < 25 )); then
  for kc in kubectl "$KUBECTL_LEGACY"; do
    if "$kc" apply --dry-run=server -f "$root/crds/" >"$WORK/plain.log" 2>&1; then
      echo "FAIL $server_version: the plain crds/ pass client-side validation; docs/crd-reference.md says they need --validate=false"
      failures=$((failures + 1))
    else
      echo "PASS $server_version: the plain crds/ need --validate=false: $( (grep -o 'unknown field "[^"]*"' "$WORK/plain.log" || cat "$WORK/plain.log") | head -1)"
    fi
  done
  kubectl apply --validate=false -f "$root/crds/" >/dev/null
  kubectl wait --for condition=established --timeout=60s crd/remotes.edgerepl.io crd/replications.edgerepl.io >/dev/null
  # Only the spec: kubectl's last-applied-configuration annotation holds the manifest as sent.
  if kubectl get crd remotes.edgerepl.io replications.edgerepl.io -o json | jq '.items[].spec' | grep -q x-kubernetes-validations; then
    echo "NOTE $server_version keeps x-kubernetes-validations in the stored CRDs"
  else
    echo "PASS $server_version: kubectl apply --validate=false -f crds/ works; the server drops x-kubernetes-validations"
  fi
  kubectl delete -f "$root/crds/" --wait=true >/dev/null
fi

# A real install of the defaults by helm 4, then the operator's permissions through the RBAC
# authorizer; a second, namespaced release beside it (the CRDs belong to the first).
if helm install edgerepl "$chart" --namespace edgerepl -f "$root/tests/chart/values/default.yaml" >"$WORK/install.log" 2>&1; then
  echo "PASS helm install edgerepl ($(helm version --template '{{.Version}}'))"
else
  echo "FAIL helm install edgerepl:"; sed 's/^/  /' "$WORK/install.log"; failures=$((failures + 1))
fi
if helm install scoped "$chart" --namespace edge-a -f "$root/tests/chart/values/namespaced.yaml" \
  --set crds.create=false >"$WORK/scoped.log" 2>&1; then
  echo "PASS helm install scoped (namespaced RBAC)"
else
  echo "FAIL helm install scoped:"; sed 's/^/  /' "$WORK/scoped.log"; failures=$((failures + 1))
fi

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
echo "all $checked renders and RBAC probes passed against $server_version"
