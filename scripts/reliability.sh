#!/usr/bin/env bash
# Long forms of the reliability scenarios (docs/reliability.md):
#   ./scripts/reliability.sh <duration-seconds> [scenario...]
# Scenarios: baseline crash outage proxy diskfull corrupt secrets memory fuzz (default: all).
# <duration-seconds> is the length of each scenario's fault phase (the outage, the full disk,
# all proxy phases together, each fuzz target); the crash loop runs EDGEREPL_RELIABILITY_CYCLES
# kill -9 cycles (default 100). Results: stdout and $OUT_DIR (default build/reliability-out).
#
# The scenarios run against a build without sanitizers (build/reliability, RelWithDebInfo), so
# memory figures and timings mean what they say; the fuzz targets run under ASan+UBSan with clang
# (build/fuzz-rel).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
duration=$1
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(baseline crash outage proxy diskfull corrupt secrets memory fuzz)

build_dir=${BUILD_DIR:-build/reliability}
fuzz_dir=${FUZZ_BUILD_DIR:-build/fuzz-rel}
out_dir=${OUT_DIR:-build/reliability-out}
jobs=${JOBS:-$(nproc)}
mkdir -p "$out_dir"

declare -A filter=(
  [baseline]=BaselineAccountingIsExact
  [crash]=CrashLoopLosesNothingAcknowledged
  [outage]=RemoteOutageUnderLoad
  [proxy]=RemoteMisbehavesBehindFaultProxy
  [diskfull]=QueueDiskFillsUp
  [corrupt]=CorruptedSegmentsAndDeletedCursor
  [secrets]=TokensNeverLeak
  [memory]=MemoryDoesNotGrowWithBacklog
)

need_scenarios=0
need_fuzz=0
for s in "${scenarios[@]}"; do
  if [ "$s" = fuzz ]; then
    need_fuzz=1
  elif [ -n "${filter[$s]:-}" ]; then
    need_scenarios=1
  else
    echo "unknown scenario: $s" >&2
    exit 2
  fi
done

if [ $need_scenarios = 1 ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEREPL_SANITIZE=OFF \
    -DEDGEREPL_BENCH=OFF >/dev/null
  cmake --build "$build_dir" -j "$jobs" --target edgerepl-agent reliability_scenarios_test
fi
if [ $need_fuzz = 1 ]; then
  CXX=clang++ cmake -S . -B "$fuzz_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEDGEREPL_SANITIZE=ON -DEDGEREPL_FUZZ=ON -DEDGEREPL_BENCH=OFF >/dev/null
fi

export EDGEREPL_RELIABILITY_SECONDS=$duration
export EDGEREPL_RELIABILITY_CYCLES=${EDGEREPL_RELIABILITY_CYCLES:-100}
export EDGEREPL_SOURCE_DIR=$PWD
export EDGEREPL_BINARY_DIR=$PWD/$build_dir

status=0
for s in "${scenarios[@]}"; do
  start=$(date +%s)
  log="$out_dir/$s.log"
  echo "== $s (duration ${duration}s) -> $log"
  if [ "$s" = fuzz ]; then
    # Every libFuzzer target of the tree (fuzz_*), each for <duration> seconds.
    mapfile -t targets < <(cmake --build "$fuzz_dir" --target help | sed -n 's/^\(fuzz_[a-z0-9_]*\):.*/\1/p')
    : >"$log"
    for t in "${targets[@]}"; do
      cmake --build "$fuzz_dir" -j "$jobs" --target "$t" >/dev/null
      bin=$(find "$fuzz_dir" -type f -name "$t" -perm -u+x | head -1)
      src=$(dirname "$(find tests/fuzz -name "$t.cc" | head -1)")
      corpus_work="$out_dir/corpus-$t"
      mkdir -p "$corpus_work"
      dict=()
      for d in "$src"/*.dict; do [ -e "$d" ] && dict=(-dict="$d"); done
      echo "-- $t" | tee -a "$log"
      if "$bin" -max_total_time="$duration" -print_final_stats=1 -rss_limit_mb=4096 "${dict[@]}" \
        "$corpus_work" "$src/corpus" >>"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done' "$log" | tail -2
      else
        echo "FAILED: $t (crash input saved in $(pwd); see $log)"
        status=1
      fi
    done
  else
    if [ "$s" = memory ]; then export EDGEREPL_RELIABILITY_MEMORY=1; fi
    if ! "$build_dir/tests/reliability/reliability_scenarios_test" \
      --gtest_filter="ReliabilityTest.${filter[$s]}" >"$log" 2>&1; then
      status=1
      echo "FAILED: $s"
    fi
    unset EDGEREPL_RELIABILITY_MEMORY
    grep -E '^(accounting|crash loop|phase|proxy|memory|write latency|during)|Failure|SKIPPED|OK \]|FAILED \]' "$log" || true
  fi
  echo "   $s took $(($(date +%s) - start))s"
done
exit $status
