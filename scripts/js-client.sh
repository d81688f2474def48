#!/usr/bin/env bash
# Installs the official InfluxDB JavaScript client (@influxdata/influxdb-client, pinned) from npm
# for tests/integration/agent/agent_js_client_test.cc, which writes through the agent with it.
# Into ${EDGEREPL_JS_CLIENT_CACHE:-~/.cache/edgerepl/js-client}; prints the node_modules directory
# (the test's EDGEREPL_JS_CLIENT_DIR default). Idempotent: only prints when the version is there.
set -euo pipefail
version=1.35.0
dir="${EDGEREPL_JS_CLIENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgerepl/js-client}"
pkg="$dir/node_modules/@influxdata/influxdb-client/package.json"
if ! [[ -f "$pkg" ]] || ! grep -q "\"version\": \"$version\"" "$pkg"; then
  command -v npm >/dev/null || { echo "js-client: missing npm" >&2; exit 1; }
  mkdir -p "$dir"
  [[ -f "$dir/package.json" ]] || echo '{"name":"edgerepl-js-client-test","private":true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --silent "@influxdata/influxdb-client@$version" >&2)
fi
echo "$dir/node_modules"
