#!/usr/bin/env bash
# Regenerates the copies that must equal their single source (tests/chart checks it):
#   helm/edgerepl/templates/_alerts.tpl      -> monitoring/edgerepl-rules.yaml (default values)
#   helm/edgerepl/files/dashboards/*.json    -> monitoring/dashboards/
# Usage: tests/chart/sync.sh [build-dir]   (run from anywhere; builds the renderer if needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/chart-sync}
mkdir -p "$build"
(cd "$root/tests/chart/renderer" && "$root/tests/chart/go.sh" "$build/go" build -o "$build/chartrender" .)

mkdir -p "$root/monitoring/dashboards"
{
  echo "# Generated from helm/edgerepl/templates/_alerts.tpl with the chart's default values by"
  echo "# tests/chart/sync.sh; do not edit. Load it with rule_files: in prometheus.yml."
  "$build/chartrender" --define edgerepl.alertRules "$root/helm/edgerepl"
  echo
} > "$root/monitoring/edgerepl-rules.yaml"
rm -f "$root"/monitoring/dashboards/*.json
cp "$root"/helm/edgerepl/files/dashboards/*.json "$root/monitoring/dashboards/"
echo "synced rules and dashboards (the chart reads crds/ through the link helm/edgerepl/files/crds)"
