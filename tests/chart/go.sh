#!/usr/bin/env bash
# Runs the Go toolchain in GOPATH mode against Debian's packaged Go library sigs.k8s.io/yaml, so the
# chart checks (tests/chart/checks) build offline. Usage: tests/chart/go.sh <build-dir> <go args...>
set -euo pipefail
build_dir=$1; shift
mkdir -p "$build_dir"
export GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$build_dir/gocache" GOTMPDIR="$build_dir"
exec go "$@"
