#!/usr/bin/env bash
# Builds a kube-apiserver for the integration tests from Debian's `kubernetes` source package (no API
# server binary is packaged for Debian) and caches it, with links to Debian's etcd and etcdctl, in
#   ${EDGEREPL_ENVTEST_CACHE:-~/.cache/edgerepl/envtest}/<version>/bin/
# which is what tests/support/kube looks for (or point KUBEBUILDER_ASSETS at any envtest bin dir).
#
# Idempotent: when a working kube-apiserver is already cached it only prints where it is.
# Needs: golang-go, rsync, jq, dpkg-dev (dpkg-source), etcd-server, etcd-client,
# golang-github-modern-go-reflect2-dev. Network only for apt (deb.debian.org or the machine's mirror).
#
# With --node it also builds what a one-node cluster needs (scripts/cluster.sh): kubelet,
# kube-controller-manager, kube-scheduler, kube-proxy and the static pause binary, from the same tree.
#
# Usage: scripts/envtest.sh [--force] [--node]   prints the bin directory on the last line of stdout
set -euo pipefail

force=0
node=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --node) node=1 ;;
    *) echo "usage: scripts/envtest.sh [--force] [--node]" >&2; exit 2 ;;
  esac
done
node_binaries=(kubelet kube-controller-manager kube-scheduler kube-proxy)

cache_root="${EDGEREPL_ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgerepl/envtest}"
log() { echo "envtest: $*" >&2; }

find_cached() {
  local d
  for d in "$cache_root"/*/bin; do
    if [[ -x "$d/kube-apiserver" && -e "$d/etcd" ]] && "$d/kube-apiserver" --version >/dev/null 2>&1; then
      if [[ $node -eq 1 ]]; then
        local b missing=0
        for b in "${node_binaries[@]}" pause; do [[ -x "$d/$b" ]] || missing=1; done
        [[ $missing -eq 0 ]] || continue
      fi
      echo "$d"
      return 0
    fi
  done
  return 1
}

if [[ $force -eq 0 ]] && bin_dir="$(find_cached)"; then
  log "cached: $("$bin_dir/kube-apiserver" --version)"
  echo "$bin_dir"
  exit 0
fi

for tool in go rsync jq dpkg-source apt-get etcd etcdctl; do
  command -v "$tool" >/dev/null || { log "missing $tool (see scripts/install-deps.sh)"; exit 1; }
done
reflect2_src=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -f "$reflect2_src/reflect2.go" ]] || { log "missing golang-github-modern-go-reflect2-dev"; exit 1; }

mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/.build.XXXXXX")"
# apt fetches as the unprivileged _apt user; it must be able to write the download directory.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# A private apt configuration with deb-src twins of the machine's own sources, so the system's
# sources and lists stay untouched.
apt_dir="$work/apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
: >"$apt_dir/sources.list"
if [[ -f /etc/apt/sources.list ]]; then
  sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list >>"$apt_dir/sources.list"
fi
for f in /etc/apt/sources.list.d/*.list; do
  [[ -f "$f" ]] || continue
  sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' "$f" >"$apt_dir/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f "$f" ]] || continue
  sed 's/^Types:.*$/Types: deb-src/' "$f" >"$apt_dir/sources.list.d/$(basename "$f")"
done
chmod -R a+rX "$apt_dir"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Get::List-Cleanup=0"
)
# As root, apt would drop to _apt, which cannot enter a private cache under /root: fetch as root
# instead of warning about it.
if [[ $(id -u) -eq 0 ]]; then apt_opts+=(-o "APT::Sandbox::User=root"); fi
log "fetching source indexes"
apt-get "${apt_opts[@]}" -qq update >&2
log "downloading the kubernetes source package"
(cd "$work" && apt-get "${apt_opts[@]}" -qq source --download-only kubernetes >&2)
dsc="$(ls "$work"/kubernetes_*.dsc | head -1)"
log "unpacking $(basename "$dsc")"
(cd "$work" && dpkg-source --no-check -x "$dsc" src >&2)
src="$work/src"

# reflect2 1.0.1 faults in mapiterinit under Go >= 1.18; Debian's 1.0.2 is API compatible. Keep the
# vendor directory's layout: its non-Go files (LICENSE, README) stay, the Go and assembly files change.
vend="$src/vendor/github.com/modern-go/reflect2"
[[ -d "$vend" ]] || { log "unexpected source layout: no $vend"; exit 1; }
find "$vend" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
find "$reflect2_src" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
  -exec cp {} "$vend/" \;

# The source's Makefile wants a GOPATH layout.
mkdir -p "$work/.go/src/k8s.io"
ln -s "$src" "$work/.go/src/k8s.io/kubernetes"
what="cmd/kube-apiserver"
if [[ $node -eq 1 ]]; then
  for b in "${node_binaries[@]}"; do what+=" cmd/$b"; done
  command -v gcc >/dev/null || { log "missing gcc (for the pause binary)"; exit 1; }
fi
log "building $what (several minutes on 2 cores, 15 or more with --node)"
(
  cd "$work/.go/src/k8s.io/kubernetes"
  export GOPATH="$work/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor GO111MODULE=on
  export GOCACHE="${GOCACHE:-$cache_root/.gocache}"
  # Debian's tarball carries no .git; version the binary from the package's upstream version.
  # (Debian versions look like [epoch:]X.Y.Z[+reallyA.B.C]-rev.)
  upstream="$(sed -n 's/^Version: //p' "$dsc" | head -1)"
  upstream="${upstream#*:}"
  upstream="${upstream##*really}"
  upstream="${upstream%%[-+~]*}"
  export KUBE_GIT_VERSION="v${upstream}" KUBE_GIT_TREE_STATE=clean
  make WHAT="$what" >&2
)
built="$(find "$src/_output" -type f -name kube-apiserver -perm -u+x | head -1)"
[[ -n "$built" ]] || { log "build produced no kube-apiserver"; exit 1; }
version="$("$built" --version | sed -n 's/^Kubernetes v//p')"
[[ -n "$version" ]] || { log "cannot read the built server's version"; exit 1; }

dest="$cache_root/$version/bin"
mkdir -p "$dest"
install -m 0755 "$built" "$dest/kube-apiserver.tmp" && mv "$dest/kube-apiserver.tmp" "$dest/kube-apiserver"
if [[ $node -eq 1 ]]; then
  for b in "${node_binaries[@]}"; do
    f="$(find "$src/_output" -type f -name "$b" -perm -u+x | head -1)"
    [[ -n "$f" ]] || { log "build produced no $b"; exit 1; }
    install -m 0755 "$f" "$dest/$b.tmp" && mv "$dest/$b.tmp" "$dest/$b"
  done
  # The pod sandbox's pause process, static, from the same tree (no image registry to pull it from).
  pause_src="$src/build/pause/linux/pause.c"
  [[ -f "$pause_src" ]] || pause_src="$src/build/pause/pause.c"
  [[ -f "$pause_src" ]] || { log "no pause.c in the source tree"; exit 1; }
  gcc -Os -Wall -Werror -static -DVERSION="v${version}-edgerepl" -o "$dest/pause.tmp" "$pause_src"
  strip "$dest/pause.tmp" && mv "$dest/pause.tmp" "$dest/pause"
fi
ln -sf "$(command -v etcd)" "$dest/etcd"
ln -sf "$(command -v etcdctl)" "$dest/etcdctl"
if command -v kubectl >/dev/null; then ln -sf "$(command -v kubectl)" "$dest/kubectl"; fi
log "built kube-apiserver $version in $(($(date +%s) - start)) s"
echo "$dest"
