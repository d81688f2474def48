#!/usr/bin/env bash
# Builds a libFuzzer target with clang (ASan + UBSan) in build/fuzz and runs it for a while.
#   ./scripts/fuzz.sh <target> <seconds> [libFuzzer flags...]
#   ./scripts/fuzz.sh lineprotocol 600
# The target lives in tests/fuzz/<target>/ as fuzz_<target>; its seeds/ directory and
# <target>.dict are used when present. The growing corpus is kept in build/fuzz/corpus/<target>
# and crashing inputs go to build/fuzz/artifacts/<target>/. Environment: BUILD_DIR (default
# build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
  echo "usage: $0 <target> <seconds> [libFuzzer flags...]" >&2
  exit 2
fi
target=$1
seconds=$2
shift 2

build_dir=${BUILD_DIR:-build/fuzz}
src_dir=tests/fuzz/$target
if [ ! -f "$src_dir/CMakeLists.txt" ]; then
  echo "no fuzz target $target (expected $src_dir/CMakeLists.txt)" >&2
  exit 2
fi

cmake -S . --preset fuzz -B "$build_dir" >/dev/null
cmake --build "$build_dir" --target "fuzz_$target"

corpus=$build_dir/corpus/$target
artifacts=$build_dir/artifacts/$target
mkdir -p "$corpus" "$artifacts"
if [ -d "$src_dir/seeds" ]; then
  cp -n "$src_dir"/seeds/* "$corpus"/ 2>/dev/null || true
fi
flags=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/")
if [ -f "$src_dir/$target.dict" ]; then
  flags+=(-dict="$src_dir/$target.dict")
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build_dir/$src_dir/fuzz_$target" "${flags[@]}" "$@" "$corpus"
