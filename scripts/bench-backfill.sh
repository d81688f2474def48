#!/usr/bin/env bash
# Backfill benchmark: a local influxd with N points (default a million) over three measurements and
# every field type, a sub-range of them backfilled to a fresh remote while live writes flow. Prints
# the backfill's rate and the live replication latency with and without it (docs/benchmarks.md).
# Usage: scripts/bench-backfill.sh [points] [build dir]
set -euo pipefail
points=${1:-1000000}
build=${2:-build/test}
export EDGEREPL_BINARY_DIR=${EDGEREPL_BINARY_DIR:-$PWD/$build}
EDGEREPL_BACKFILL_POINTS=$points "$build/tests/integration/agent/agent_backfill_test" \
  --gtest_filter='*SubRange*'
