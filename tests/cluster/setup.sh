#!/usr/bin/env bash
# Fixture: the one-node cluster up, the images built here loaded into its containerd, and the
# remote InfluxDB started on the host. Exits 77 (skip) where this machine cannot run a node.
source "$(dirname "$0")/lib.sh"
start=$(date +%s)
if [ "${EDGEREPL_SKIP_CLUSTER:-0}" = 1 ]; then
  echo "EDGEREPL_SKIP_CLUSTER=1" >"${EDGEREPL_CLUSTER_SKIP_REASON:-/var/tmp/edgerepl-cluster.skip}"
  echo "SKIPPED: EDGEREPL_SKIP_CLUSTER=1" >&2
  exit 77
fi
rc=0
"$repo/scripts/cluster.sh" up || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
cluster_require
"$repo/scripts/images.sh" build
"$repo/scripts/images.sh" load
remote_stop
remote_start
log "cluster, images and remote ready in $(($(date +%s) - start)) s"
