#!/usr/bin/env bash
# Crash soak for the durable queue: runs the SIGKILL crash test (tests/integration/queue) for the
# given number of seconds instead of its 50-cycle CI form, then the random-corruption and property
# tests once more.
#   scripts/queue-soak.sh <seconds> [build dir, default build/queue]
set -euo pipefail
seconds="${1:?usage: scripts/queue-soak.sh <seconds> [build dir]}"
build="${2:-build/queue}"
cd "$(dirname "$0")/.."
[ -f "$build/build.ninja" ] || cmake -S . --preset reliability -B "$build" >/dev/null
cmake --build "$build" --target queue_crash_test queue_crash_child queue_unit_test
EDGEREPL_QUEUE_CRASH_SECONDS="$seconds" "$build/tests/integration/queue/queue_crash_test" \
  --gtest_brief=1 2> >(grep -v -E '\[(info|warning)\]' >&2)
"$build/tests/unit/queue/queue_unit_test" --gtest_brief=1 \
  --gtest_filter='QueueCorruptionTest.*:QueuePropertyTest.*' 2> >(grep -v -E '\[(info|warning)\]' >&2)
