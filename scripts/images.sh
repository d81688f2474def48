#!/usr/bin/env bash
# Container images for the cluster tests, built on this machine without any image registry: the
# Debian base is made with debootstrap from the machine's own apt mirror and everything else is built
# FROM it with podman. Nothing is ever pulled; the chart uses these names with pullPolicy
# Never/IfNotPresent.
#
#   scripts/images.sh base [--force]    localhost/edgerepl/debian:bookworm (debootstrap minbase)
#   scripts/images.sh build [--force] [agent|operator|influxdb|pause ...]
#                                       the images below (all of them without names); --force
#                                       rebuilds without podman's layer cache
#   scripts/images.sh pause-archive     builds the pause image if needed; prints on the last line the
#                                       path of its docker-archive tarball (for ctr images import)
#   scripts/images.sh load              saves every image and imports it into the containerd at
#                                       $CONTAINERD_ADDRESS (namespace k8s.io)
#   scripts/images.sh list | status     what is built
#
#   localhost/edgerepl/debian:bookworm         the base (also the Dockerfiles' runtime stage)
#   localhost/edgerepl/edgerepl-agent:dev      agent/Dockerfile
#   localhost/edgerepl/edgerepl-operator:dev   operator/Dockerfile
#   localhost/edgerepl/influxdb:1.6.7          tests/cluster/images/influxdb/Dockerfile
#   localhost/edgerepl/pause:3.2               scratch + the static pause from scripts/envtest.sh --node
#
# Cache (outside the checkout): ${EDGEREPL_IMAGES_CACHE:-~/.cache/edgerepl/images} holds the base's
# root filesystem tarball, the pause archive, podman's private containers.conf and the logs.
# Environment: EDGEREPL_PAUSE_BINARY (a pause binary to use instead of scripts/envtest.sh --node's),
# CONTAINERD_ADDRESS (for load). Runs as root (rootful podman; debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${EDGEREPL_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgerepl/images}
base_image=localhost/edgerepl/debian:bookworm
agent_image=localhost/edgerepl/edgerepl-agent:dev
operator_image=localhost/edgerepl/edgerepl-operator:dev
influxdb_image=localhost/edgerepl/influxdb:1.6.7
pause_image=localhost/edgerepl/pause:3.2
all_images=("$base_image" "$agent_image" "$operator_image" "$influxdb_image" "$pause_image")

log() { echo "images: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '/^#   scripts/,/^#   scripts\/images.sh list/p' "$0" | sed 's/^# *//' >&2
  exit 2
}

setup() {
  [[ $(id -u) -eq 0 ]] || die "run as root (rootful podman and debootstrap)"
  ./scripts/install-deps.sh cluster
  for tool in podman debootstrap tar; do
    command -v "$tool" >/dev/null || die "missing $tool (scripts/install-deps.sh cluster)"
  done
  mkdir -p "$cache"
  # A private podman configuration instead of editing /etc/containers: this machine has cgroup v1
  # (runc, not crun), a hard nofile limit of 20000 and no CAP_SYS_RESOURCE, so podman's own default
  # ulimits (nofile 1048576) cannot be set in a container; keep them within the hard limits.
  local nofile nproc
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  [[ $nofile == unlimited || $nofile -gt 1048576 ]] && nofile=1048576
  [[ $nproc == unlimited || $nproc -gt 4096 ]] && nproc=4096
  cat >"$cache/containers.conf.tmp" <<EOF
# Written by scripts/images.sh; used through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  mv "$cache/containers.conf.tmp" "$cache/containers.conf"
  export CONTAINERS_CONF="$cache/containers.conf"
  ulimit_args=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
}

# The first URI of an enabled "deb" source in this machine's apt configuration whose suites include
# $1, from one-line (*.list) and deb822 (*.sources) files.
apt_uri() {
  local suite=$1 f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      awk -v s="$suite" '
        { sub(/#.*/, ""); gsub(/\[[^]]*\]/, "") }
        $1 == "deb" && $3 == s { print $2 }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f $f ]] || continue
      awk -v s="$suite" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false|0)$/ && (" " suites " ") ~ (" " s " ") && uris != "") {
            split(uris, u, " "); print u[1]
          }
          types = ""; uris = ""; suites = ""; enabled = "yes"
        }
        BEGIN { enabled = "yes" }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          key = tolower($0); sub(/:.*/, "", key)
          val = $0; sub(/^[^:]*:[ \t]*/, "", val); gsub(/[ \t]+/, " ", val)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "enabled") enabled = tolower(val)
        }
        END { flush() }' "$f"
    done
  } | head -n 1
}

image_exists() { podman image exists "$1"; }

cmd_base() {
  local force=0
  for a in "$@"; do
    case "$a" in --force) force=1 ;; *) usage ;; esac
  done
  local tarball="$cache/debian-bookworm-minbase.tar"
  if [[ $force -eq 0 ]] && image_exists "$base_image"; then
    log "$base_image exists (--force rebuilds it)"
    return 0
  fi
  if [[ $force -eq 1 || ! -s $tarball ]]; then
    local mirror security
    mirror=$(apt_uri bookworm)
    [[ -n $mirror ]] || die "no apt source for bookworm in /etc/apt/sources.list{,.d/}"
    security=$(apt_uri bookworm-security)
    log "debootstrap --variant=minbase bookworm from $mirror (log: $cache/debootstrap.log)"
    local rootfs="$cache/rootfs"
    rm -rf "$rootfs" "$tarball.tmp"
    local t0=$SECONDS
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1; then
      tail -20 "$cache/debootstrap.log" >&2
      die "debootstrap failed (log: $cache/debootstrap.log)"
    fi
    {
      echo "deb $mirror bookworm main"
      echo "deb $mirror bookworm-updates main"
      [[ -z $security ]] || echo "deb $security bookworm-security main"
    } >"$rootfs/etc/apt/sources.list"
    # What Debian's container images do (debuerreotype): no services started by postinst scripts,
    # no documentation or translations installed, no package files kept after installing.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/edgerepl-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    echo 'APT::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
    find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/{man,info,locale,lintian,linda}/* \
      "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
      "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.bash_history
    # The container engine provides these; the host's must not end up in the image.
    rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
    : >"$rootfs/etc/machine-id"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
    tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    log "root filesystem in $((SECONDS - t0))s: $tarball ($(du -h "$tarball" | cut -f1))"
  else
    log "reusing $tarball"
  fi
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase bookworm (scripts/images.sh)" \
    - "$base_image" <"$tarball" >/dev/null
  log "imported $base_image"
}

# build <image> <dockerfile> <context> [extra podman build args...]
podman_build() {
  local image=$1 file=$2 context=$3
  shift 3
  local t0=$SECONDS
  local logf
  logf="$cache/build-$(basename "${image%%:*}").log"
  log "building $image from $file (log: $logf)"
  if ! podman build --pull=never "${ulimit_args[@]}" "${layer_args[@]}" \
    --build-arg "BASE_IMAGE=$base_image" -f "$file" -t "$image" "$@" "$context" >"$logf" 2>&1; then
    tail -30 "$logf" >&2
    die "building $image failed (log: $logf)"
  fi
  log "built $image in $((SECONDS - t0))s"
}

pause_binary() {
  if [[ -n ${EDGEREPL_PAUSE_BINARY:-} ]]; then
    echo "$EDGEREPL_PAUSE_BINARY"
    return
  fi
  local bin_dir
  bin_dir=$(./scripts/envtest.sh --node | tail -1)
  echo "$bin_dir/pause"
}

build_pause() {
  local pause ctx
  pause=$(pause_binary)
  [[ -x $pause ]] || die "no pause binary at $pause"
  ctx=$(mktemp -d "$cache/.pause.XXXXXX")
  cp "$pause" "$ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Containerfile"
  podman_build "$pause_image" "$ctx/Containerfile" "$ctx"
  rm -rf "$ctx"
}

cmd_build() {
  local force=0 targets=()
  for a in "$@"; do
    case "$a" in
      --force) force=1 ;;
      agent | operator | influxdb | pause) targets+=("$a") ;;
      *) usage ;;
    esac
  done
  [[ ${#targets[@]} -gt 0 ]] || targets=(agent operator influxdb pause)
  layer_args=()
  [[ $force -eq 0 ]] || layer_args=(--no-cache)
  image_exists "$base_image" || cmd_base
  local t
  for t in "${targets[@]}"; do
    case "$t" in
      agent) podman_build "$agent_image" agent/Dockerfile . ;;
      operator) podman_build "$operator_image" operator/Dockerfile . ;;
      influxdb) podman_build "$influxdb_image" tests/cluster/images/influxdb/Dockerfile \
        tests/cluster/images/influxdb ;;
      pause) build_pause ;;
    esac
  done
}

# Saves $1 as a docker-archive in the cache, unless the archive there already holds that image ID;
# prints the path.
archive() {
  local image=$1 name id out
  name=$(basename "${image%%:*}")-${image##*:}
  out="$cache/$name.tar"
  id=$(podman image inspect --format '{{.Id}}' "$image")
  if [[ ! -s $out || $(cat "$out.id" 2>/dev/null) != "$id" ]]; then
    rm -f "$out" "$out.id"
    podman save --quiet --format docker-archive -o "$out.tmp" "$image" >/dev/null
    mv "$out.tmp" "$out"
    echo "$id" >"$out.id"
  fi
  echo "$out"
}

cmd_pause_archive() {
  [[ $# -eq 0 ]] || usage
  layer_args=()
  image_exists "$pause_image" || build_pause
  archive "$pause_image"
}

cmd_load() {
  [[ $# -eq 0 ]] || usage
  [[ -n ${CONTAINERD_ADDRESS:-} ]] || die "CONTAINERD_ADDRESS is not set (the cluster's containerd socket)"
  [[ -S $CONTAINERD_ADDRESS ]] || die "no containerd socket at $CONTAINERD_ADDRESS"
  command -v ctr >/dev/null || die "missing ctr (containerd; scripts/install-deps.sh cluster)"
  local image out
  for image in "$agent_image" "$operator_image" "$influxdb_image" "$pause_image"; do
    image_exists "$image" || die "$image is not built (scripts/images.sh build)"
  done
  for image in "$agent_image" "$operator_image" "$influxdb_image" "$pause_image"; do
    out=$(archive "$image")
    ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$out" >&2
    log "loaded $image"
  done
}

cmd_list() {
  [[ $# -eq 0 ]] || usage
  local image
  printf '%-44s %-14s %-10s %s\n' IMAGE ID SIZE CREATED
  for image in "${all_images[@]}"; do
    if image_exists "$image"; then
      podman image inspect --format '{{.Id}} {{.Size}} {{.Created}}' "$image" |
        while read -r id size cdate ctime _; do
          printf '%-44s %-14s %-10s %s\n' "$image" "${id:0:12}" \
            "$(awk -v b="$size" 'BEGIN { printf "%.1fMB", b / 1e6 }')" "$cdate ${ctime%%.*}"
        done
    else
      printf '%-44s %s\n' "$image" "(not built)"
    fi
  done
}

[[ $# -ge 1 ]] || usage
sub=$1
shift
setup
case "$sub" in
  base) cmd_base "$@" ;;
  build) cmd_build "$@" ;;
  pause-archive) cmd_pause_archive "$@" ;;
  load) cmd_load "$@" ;;
  list | status) cmd_list "$@" ;;
  *) usage ;;
esac
