#!/usr/bin/env bash
# Long forms of the reliability scenarios (docs/reliability.md):
#   ./scripts/reliability.sh <duration-seconds> [scenario...]
# Scenarios: baseline crash outage proxy diskfull corrupt secrets memory operator fuzz
# (default: all).
# <duration-seconds> is the length of each scenario's fault phase (the outage, the full disk,
# all proxy phases together, each fuzz target; for operator, how long each kube fault is repeated);
# the crash loop runs EDGEREPL_RELIABILITY_CYCLES kill -9 cycles (default 100).
# Results: stdout and $OUT_DIR (default build/reliability-out).
#
# The scenarios run against a build without sanitizers (build/reliability, RelWithDebInfo), so
# memory figures and timings mean what they say; the fuzz targets run under ASan+UBSan with clang
# through scripts/fuzz.sh (build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
duration=$1
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(baseline crash outage proxy diskfull corrupt secrets memory operator fuzz)

build_dir=${BUILD_DIR:-build/reliability}
out_dir=${OUT_DIR:-build/reliability-out}
jobs=${JOBS:-$(nproc)}
mkdir -p "$out_dir"

declare -A filter=(
  [baseline]=BaselineAccountingIsExact
  [crash]='CrashLoop*'  # one and four requests in flight, and on a loaded machine
  [outage]=RemoteOutageUnderLoad
  [proxy]='RemoteMisbehavesBehindFaultProxy*'  # one and four requests in flight
  [diskfull]=QueueDiskFillsUp
  [corrupt]=CorruptedSegmentsAndDeletedCursor
  [secrets]=TokensNeverLeak
  [memory]=MemoryDoesNotGrowWithBacklog
  [operator]=OperatorFaults.*
)
# Scenarios run by another test binary than reliability_scenarios_test.
declare -A binary=(
  [operator]=reliability_operator_faults_test
)

need_scenarios=0
for s in "${scenarios[@]}"; do
  if [ "$s" = fuzz ]; then
    :
  elif [ -n "${filter[$s]:-}" ]; then
    need_scenarios=1
  else
    echo "unknown scenario: $s" >&2
    exit 2
  fi
done

if [ $need_scenarios = 1 ]; then
  cmake -S . --preset reliability -B "$build_dir" >/dev/null
  cmake --build "$build_dir" -j "$jobs" --target edgerepl-agent reliability_scenarios_test \
    edgerepl-operator reliability_operator_faults_test
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
    # Every libFuzzer target of the tree (tests/fuzz/<t>/ building fuzz_<t>), each until
    # FUZZ_RUNS executions (default 10 M) or <duration> seconds, through scripts/fuzz.sh. Inputs
    # up to 4 KiB (libFuzzer's usual bound; the formats' structure fits well within it). Allocation
    # stacks are not recorded: that was a third of the config target's time under ASan, and a
    # crashing input is rerun with them anyway. Every check stays on.
    : >"$log"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:malloc_context_size=0}
    for dir in tests/fuzz/*/; do
      t=$(basename "$dir")
      grep -q "fuzz_$t" "$dir/CMakeLists.txt" 2>/dev/null || continue
      echo "-- $t" | tee -a "$log"
      if ./scripts/fuzz.sh "$t" "$duration" -rss_limit_mb=4096 \
        -runs="${FUZZ_RUNS:-10000000}" -max_len=4096 >>"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done' "$log" | tail -2
      else
        echo "FAILED: $t (crash input in build/fuzz/artifacts/$t/; see $log)"
        status=1
      fi
    done
  else
    if [ "$s" = memory ]; then export EDGEREPL_RELIABILITY_MEMORY=1; fi
    bin=${binary[$s]:-reliability_scenarios_test}
    f=${filter[$s]}
    [[ $f == *.* ]] || f=ReliabilityTest.$f
    if ! "$build_dir/tests/reliability/$bin" --gtest_filter="$f" >"$log" 2>&1; then
      status=1
      echo "FAILED: $s"
    fi
    unset EDGEREPL_RELIABILITY_MEMORY
    grep -E '^(accounting|crash loop|phase|proxy|memory|write latency|during|restart cycles|410 cycles|conflict cycles|failover cycles|secrets scan)|Failure|SKIPPED|OK \]|FAILED \]' "$log" || true
  fi
  echo "   $s took $(($(date +%s) - start))s"
done
exit $status
