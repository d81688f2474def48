#!/usr/bin/env bash
# Regenerates the one copy that must equal its single source (tests/chart checks it):
#   helm/edgerepl/templates/_alerts.tpl      -> monitoring/edgerepl-rules.yaml (default values)
# monitoring/dashboards is a link to helm/edgerepl/files/dashboards, so it needs no copying.
# The rules are rendered by the real helm (scripts/kube-tools.sh; EDGEREPL_HELM overrides it):
# the PrometheusRule's spec with the default values.
# Usage: tests/chart/sync.sh   (run from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
helm=${EDGEREPL_HELM:-$("$root/scripts/kube-tools.sh" | tail -1)/helm}

rules=$("$helm" template edgerepl "$root/helm/edgerepl" --namespace edgerepl \
  --set metrics.prometheusRule.enabled=true --show-only templates/monitoring/prometheusrule.yaml 2>/dev/null |
  sed -n '/^spec:$/,$p' | tail -n +2 | sed 's/^  //')
[[ -n "$rules" ]] || { echo "sync.sh: helm rendered no PrometheusRule spec" >&2; exit 1; }
{
  echo "# Generated from helm/edgerepl/templates/_alerts.tpl with the chart's default values by"
  echo "# tests/chart/sync.sh; do not edit. Load it with rule_files: in prometheus.yml."
  printf '%s\n' "$rules"
} > "$root/monitoring/edgerepl-rules.yaml"
echo "synced the rules (crds/ and the dashboards are links: helm/edgerepl/files/crds, monitoring/dashboards)"
