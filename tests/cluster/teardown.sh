#!/usr/bin/env bash
# Fixture cleanup: the remote stopped and the cluster down, leaving no process, mount, bridge or
# iptables chain behind (cluster.sh down checks that itself).
source "$(dirname "$0")/lib.sh"
if "$repo/scripts/cluster.sh" status >/dev/null 2>&1; then
  eval "$("$repo/scripts/cluster.sh" env)"
  work="$EDGEREPL_CLUSTER_STATE/e2e"
  remote_stop
fi
"$repo/scripts/cluster.sh" down
