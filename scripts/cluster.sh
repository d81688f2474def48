#!/usr/bin/env bash
# A real one-node Kubernetes 1.20.2 cluster on this machine, for the end-to-end tests
# (tests/cluster/). Everything listens on loopback or on the bridge it creates:
#
#   edgerepl0        bridge 10.244.0.1/24: the pods' gateway, the node IP, the apiserver's advertised
#                    address (the `kubernetes` Service 10.96.0.1:443 forwards to 10.244.0.1:6443)
#   etcd             127.0.0.1:2379 (peer 2380), plain HTTP, loopback only
#   kube-apiserver   10.244.0.1:6443, and 127.0.0.1:6443 through a socat forwarder (the host's
#                    kubeconfig), TLS with a CA of our own (openssl)
#   controller-mgr   127.0.0.1:10257, scheduler 127.0.0.1:10259 (no insecure ports)
#   containerd       a private instance (own root, state and socket), runc, CNI bridge + host-local
#   kubelet          10.244.0.1:10250 (x509 + webhook authn/authz), healthz 127.0.0.1:10248
#   kube-proxy       iptables mode, healthz 127.0.0.1:10256, node ports only on 10.244.0.1
#
# Pods 10.244.0.0/24, Services 10.96.0.0/24, node `edgerepl-node`, no cluster DNS. Storage: a
# default StorageClass `edgerepl-hostpath` (no provisioner, Immediate binding, Retain) and
# $EDGEREPL_CLUSTER_PVS (12) hostPath PersistentVolumes of 2Gi. A Released volume (its claim was
# deleted) is wiped and made Available again by the next `up`.
#
# Binaries: scripts/envtest.sh --node (built from Debian's kubernetes source); packages:
# scripts/install-deps.sh cluster; the sandbox image: scripts/images.sh pause-archive.
# All state lives in ${EDGEREPL_CLUSTER_STATE:-/var/tmp/edgerepl-cluster}.
#
# Usage: scripts/cluster.sh up       start (idempotent); exit 77 when this machine cannot run a node
#        scripts/cluster.sh down [--keep]   stop everything, undo every host change; --keep keeps the
#                                   state dir (PKI, etcd, images, volumes) for a faster next `up`
#        scripts/cluster.sh status   exit 0 when up and the node is Ready, 3 otherwise
#        scripts/cluster.sh env      shell `export` lines (KUBECONFIG, CONTAINERD_ADDRESS, ...)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="${EDGEREPL_CLUSTER_STATE:-/var/tmp/edgerepl-cluster}"
skip_file="${EDGEREPL_CLUSTER_SKIP_REASON:-/var/tmp/edgerepl-cluster.skip}"
n_pvs="${EDGEREPL_CLUSTER_PVS:-12}"

node_name=edgerepl-node
node_ip=10.244.0.1
bridge=edgerepl0
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/24
service_ip=10.96.0.1
pause_image=localhost/edgerepl/pause:3.2
ports=(6443 2379 2380 10248 10249 10250 10256 10257 10259)
# Sysctls we set (the first two) or the kubelet and kube-proxy set; down puts them all back.
sysctls=(net.bridge.bridge-nf-call-iptables net.ipv4.ip_forward net.ipv4.conf.all.route_localnet
         vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
         kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

pki="$state/pki"
run="$state/run"
logs="$state/logs"
ctrd="$state/containerd"
sock="$ctrd/containerd.sock"
kubeconfig="$state/admin.kubeconfig"
# Stopped in this order by `down` (kubelet first, etcd last); started in the reverse order except
# that containerd comes before the controllers (see do_up).
components=(kubelet kube-proxy containerd kube-scheduler kube-controller-manager apiserver-loopback
            kube-apiserver etcd)

log() { printf 'cluster: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
skip() {
  log "cannot run a node here: $*"
  { mkdir -p "$(dirname "$skip_file")" && echo "$*" >"$skip_file"; } 2>/dev/null || true
  exit 77
}
now() { date +%s.%N | cut -c1-14; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- processes -------------------------------------------------------------------------------

pid_of() { # prints the recorded pid of a component when that process still runs
  local f="$run/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  # The pid must still be ours: its command line names the state dir (every component's does).
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$state" || return 1
  echo "$pid"
}

start_proc() { # start_proc <name> <command...>: detached, own session, logs in $logs/<name>.log
  local name=$1
  shift
  printf '\n==== %s starting: %s\n' "$(date -Is)" "$*" >>"$logs/$name.log"
  # Not a process-group leader here, so setsid does not fork and $! is the component's pid.
  setsid nohup "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

stop_proc() { # stop_proc <name>: TERM, up to 10 s, then KILL (the whole session)
  local name=$1 pid i
  pid=$(pid_of "$name") || { rm -f "$run/$name.pid"; return 0; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    [[ -d "/proc/$pid" ]] || break
    sleep 0.2
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run/$name.pid"
}

# Every process on the host whose command line names the state dir (shims included).
state_procs() {
  # The path goes through the environment so that awk's own command line does not match.
  ps -eo pid=,args= | S="$state/" awk 'index($0, ENVIRON["S"]) { print $1 }'
}

# Processes in the kubelet's pod cgroups (containers whose shim is gone).
pod_procs() {
  local d
  for d in /sys/fs/cgroup/pids/kubepods /sys/fs/cgroup/memory/kubepods /sys/fs/cgroup/unified/kubepods \
           /sys/fs/cgroup/kubepods; do
    if [[ -d "$d" ]]; then find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done | sort -u
}

fail_component() { # fail_component <name> <what happened>
  log "error: $1 $2; last lines of $logs/$1.log:"
  tail -n 25 "$logs/$1.log" >&2 2>/dev/null || true
  exit 1
}

wait_for() { # wait_for <component> <seconds> <command...>: the component's health check
  local name=$1 secs=$2 t0
  shift 2
  t0=$(now)
  local deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    pid_of "$name" >/dev/null || fail_component "$name" "exited during startup"
    [[ $(date +%s) -lt $deadline ]] || fail_component "$name" "did not become healthy within ${secs} s"
    sleep 0.3
  done
  log "$name up ($(since "$t0") s)"
}

# --- API access without kubectl (any kubectl version may be on PATH) --------------------------
# Straight to the bridge address: the loopback forwarder is checked on its own.

api() { # api <method> <path> [json body]: prints the body, fails on HTTP >= 400
  local method=$1 path=$2
  shift 2
  local args=(-sS --fail --max-time 10 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key"
              -X "$method")
  if [[ $# -gt 0 ]]; then
    local ct=application/json
    [[ "$method" == PATCH ]] && ct=application/merge-patch+json
    args+=(-H "Content-Type: $ct" --data-binary "$1")
  fi
  curl "${args[@]}" "https://$node_ip:6443$path"
}

api_create() { # api_create <collection path> <json>: POST; an existing object (409) is fine
  local code
  code=$(curl -sS -o "$run/api.out" -w '%{http_code}' --max-time 10 --cacert "$pki/ca.crt" \
    --cert "$pki/admin.crt" --key "$pki/admin.key" -H 'Content-Type: application/json' \
    -X POST --data-binary "$2" "https://$node_ip:6443$1") || code=000
  [[ "$code" == 201 || "$code" == 409 ]] || { cat "$run/api.out" >&2; die "POST $1 answered $code"; }
}

node_ready() {
  api GET "/api/v1/nodes/$node_name" 2>/dev/null |
    jq -e '.status.conditions[] | select(.type == "Ready") | .status == "True"' >/dev/null
}

# --- PKI ---------------------------------------------------------------------------------------

gen_cert() { # gen_cert <file> <subject> <clientAuth|serverAuth|serverAuth,clientAuth> [SANs]
  local name=$1 subj=$2 eku=$3 sans=${4:-}
  [[ -s "$pki/$name.crt" && -s "$pki/$name.key" ]] && return 0
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$sans" ]] && echo "subjectAltName=$sans"
  } >"$pki/$name.ext"
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$pki/$name.ext" \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  mkdir -p "$pki"
  chmod 700 "$pki"
  if [[ ! -s "$pki/ca.crt" ]]; then
    openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=edgerepl-cluster-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$pki/ca.crt" 2>/dev/null
  fi
  gen_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$node_ip,IP:$service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  gen_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  gen_cert admin "/O=system:masters/CN=edgerepl-admin" clientAuth
  gen_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  gen_cert scheduler "/CN=system:kube-scheduler" clientAuth
  gen_cert kube-proxy "/CN=system:kube-proxy" clientAuth
  gen_cert kubelet "/O=system:nodes/CN=system:node:$node_name" clientAuth
  gen_cert kubelet-serving "/CN=$node_name" serverAuth "IP:$node_ip,IP:127.0.0.1,DNS:$node_name"
  if [[ ! -s "$pki/sa.key" ]]; then
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  fi
}

write_kubeconfig() { # write_kubeconfig <file> <cert name> <server>
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: edgerepl
  cluster:
    server: $3
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 <"$pki/$2.crt")
    client-key-data: $(base64 -w0 <"$pki/$2.key")
contexts:
- name: edgerepl
  context: {cluster: edgerepl, user: $2}
current-context: edgerepl
EOF
  chmod 600 "$1"
}

# --- configuration files -----------------------------------------------------------------------

write_configs() {
  local internal="https://$node_ip:6443"
  write_kubeconfig "$kubeconfig" admin https://127.0.0.1:6443
  write_kubeconfig "$state/controller-manager.kubeconfig" controller-manager "$internal"
  write_kubeconfig "$state/scheduler.kubeconfig" scheduler "$internal"
  write_kubeconfig "$state/kube-proxy.kubeconfig" kube-proxy "$internal"
  write_kubeconfig "$state/kubelet.kubeconfig" kubelet "$internal"

  # Pods resolve nothing: no cluster DNS, and no query may leave the host.
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$state/resolv.conf"

  cat >"$state/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
rotateCertificates: false
serverTLSBootstrap: false
cgroupDriver: cgroupfs
clusterDomain: cluster.local
resolvConf: $state/resolv.conf
failSwapOn: false
oomScoreAdj: 0
maxPods: 110
serializeImagePulls: false
# Images here are imported, never pulled: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
containerLogMaxSize: 10Mi
containerLogMaxFiles: 2
EOF

  cat >"$state/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $state/kube-proxy.kubeconfig}
mode: iptables
bindAddress: $node_ip
clusterCIDR: $pod_cidr
hostnameOverride: $node_name
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$node_ip/32"]
oomScoreAdj: 0
# Leave the host's conntrack table settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {syncPeriod: 30s, minSyncPeriod: 1s}
EOF

  mkdir -p "$state/cni/net.d" "$state/cni/ipam"
  # containerd adds the loopback interface itself (/usr/lib/cni/loopback); this is eth0.
  cat >"$state/cni/net.d/10-edgerepl.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "edgerepl",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$state/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

  mkdir -p "$ctrd"
  # Every container's rlimits: the host's hard nofile is 20000 and nothing here may raise it.
  ctr oci spec | jq '.process.rlimits = [
      {"type": "RLIMIT_NOFILE", "hard": 20000, "soft": 20000},
      {"type": "RLIMIT_NPROC", "hard": 4096, "soft": 4096}]' >"$ctrd/base-spec.json"
  cat >"$ctrd/config.toml" <<EOF
version = 2
root = "$ctrd/root"
state = "$ctrd/state"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$ctrd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      base_runtime_spec = "$ctrd/base-spec.json"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
    max_conf_num = 1
EOF
}

# --- host network ------------------------------------------------------------------------------

save_sysctls() {
  [[ -f "$state/sysctl.saved" ]] && return 0
  local k v
  : >"$state/sysctl.saved.tmp"
  for k in "${sysctls[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) || continue
    printf '%s=%s\n' "$k" "$v" >>"$state/sysctl.saved.tmp"
  done
  mv "$state/sysctl.saved.tmp" "$state/sysctl.saved"
}

restore_sysctls() {
  [[ -f "$state/sysctl.saved" ]] || return 0
  local line
  while IFS= read -r line; do
    if [[ -n "$line" ]]; then sysctl -q -w "$line" >/dev/null 2>&1 || true; fi
  done <"$state/sysctl.saved"
  rm -f "$state/sysctl.saved"
}

setup_network() {
  save_sysctls
  sysctl -q -w net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1 >/dev/null
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
  fi
  ip addr replace "$node_ip/24" dev "$bridge"
  ip link set "$bridge" up
}

# Deletes every rule in a built-in chain that jumps to a KUBE-* or CNI-* chain, then flushes and
# deletes those chains, in one iptables-restore transaction per table.
clean_iptables() { # clean_iptables <iptables|ip6tables>
  local cmd=$1 table dump chains script
  command -v "$cmd-save" >/dev/null || return 0
  for table in filter nat mangle raw; do
    dump=$("$cmd-save" -t "$table" 2>/dev/null) || continue
    chains=$(grep -oE '^:(KUBE|CNI)-[^ ]+' <<<"$dump" | cut -c2- || true)
    if [[ -z "$chains" ]] && ! grep -qE -- '-j (KUBE|CNI)-' <<<"$dump"; then continue; fi
    script=$(
      echo "*$table"
      grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j (KUBE|CNI)-' <<<"$dump" |
        sed 's/^-A /-D /' || true
      for c in $chains; do echo "-F $c"; done
      for c in $chains; do echo "-X $c"; done
      echo COMMIT
    )
    if ! "$cmd-restore" --noflush <<<"$script" 2>/dev/null; then
      # One by one, for whatever the transaction could not do.
      while IFS= read -r r; do
        if [[ "$r" == -D* ]]; then eval "$cmd -w -t $table $r" 2>/dev/null || true; fi
      done <<<"$script"
      for c in $chains; do "$cmd" -w -t "$table" -F "$c" 2>/dev/null || true; done
      for c in $chains; do "$cmd" -w -t "$table" -X "$c" 2>/dev/null || true; done
    fi
  done
}

# --- preflight ---------------------------------------------------------------------------------

preflight() {
  [[ $(id -u) -eq 0 ]] || skip "not root (the node needs to create a bridge, mounts and cgroups)"
  [[ ${#state} -lt 80 ]] || die "EDGEREPL_CLUSTER_STATE is too long for a unix socket path: $state"
  case "$state" in "$repo"|"$repo"/*) die "the state dir must be outside the checkout: $state" ;; esac
  [[ -d /proc/sys/net/bridge ]] || modprobe br_netfilter 2>/dev/null || true
  [[ -d /proc/sys/net/bridge ]] || skip "no /proc/sys/net/bridge (br_netfilter is not available)"
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || skip "no memory cgroup"
  unshare -n true 2>/dev/null || skip "cannot create network namespaces"
  if [[ "${EDGEREPL_SKIP_INSTALL:-0}" != 1 ]]; then
    "$repo/scripts/install-deps.sh" cluster >&2 || log "install-deps.sh cluster failed; checking what is there"
  fi
  local t
  for t in containerd containerd-shim-runc-v2 ctr runc iptables iptables-save iptables-restore \
           conntrack socat openssl jq curl ip findmnt; do
    command -v "$t" >/dev/null || skip "missing $t (scripts/install-deps.sh cluster)"
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] ||
    skip "missing CNI plugins in /usr/lib/cni (containernetworking-plugins)"
}

check_ports() {
  local p busy=()
  for p in "${ports[@]}"; do
    if ss -Hltn "sport = :$p" | grep -q .; then busy+=("$p"); fi
  done
  [[ ${#busy[@]} -eq 0 ]] ||
    die "TCP port(s) ${busy[*]} already in use: $(ss -Hltnp | grep -E ":($(IFS='|'; echo "${busy[*]}")) " | tr -s ' ' | head -3)"
}

# --- up ----------------------------------------------------------------------------------------

healthy() {
  local c
  for c in "${components[@]}"; do pid_of "$c" >/dev/null || return 1; done
  [[ -s "$pki/admin.crt" ]] && node_ready
}

import_pause() {
  if grep -qx "$pause_image" <<<"$(ctr --address "$sock" -n k8s.io images ls -q 2>/dev/null)"; then return 0; fi
  local archive="${EDGEREPL_PAUSE_ARCHIVE:-}"
  if [[ -z "$archive" ]]; then
    [[ -x "$repo/scripts/images.sh" ]] ||
      die "no scripts/images.sh to build $pause_image (or set EDGEREPL_PAUSE_ARCHIVE to a docker-archive)"
    archive=$("$repo/scripts/images.sh" pause-archive | tail -1)
  fi
  [[ -f "$archive" ]] || die "no pause archive at '$archive'"
  CONTAINERD_ADDRESS="$sock" ctr -n k8s.io images import "$archive" >&2
  grep -qx "$pause_image" <<<"$(ctr --address "$sock" -n k8s.io images ls -q)" ||
    die "$archive did not hold $pause_image"
}

# Creates the default StorageClass and the hostPath volumes; makes Released volumes Available.
setup_storage() {
  api_create /apis/storage.k8s.io/v1/storageclasses '{"apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass", "metadata": {"name": "edgerepl-hostpath",
    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "kubernetes.io/no-provisioner", "reclaimPolicy": "Retain",
    "volumeBindingMode": "Immediate"}'
  local i name dir
  for i in $(seq -w 1 "$n_pvs"); do
    name="edgerepl-pv-$i"
    dir="$state/volumes/pv-$i"
    mkdir -p "$dir"
    chmod 0777 "$dir"
    api_create /api/v1/persistentvolumes "$(jq -n --arg name "$name" --arg dir "$dir" '{
      apiVersion: "v1", kind: "PersistentVolume",
      metadata: {name: $name, labels: {"edgerepl.io/cluster-volume": "true"}},
      spec: {capacity: {storage: "2Gi"}, accessModes: ["ReadWriteOnce"],
             persistentVolumeReclaimPolicy: "Retain", storageClassName: "edgerepl-hostpath",
             hostPath: {path: $dir, type: "DirectoryOrCreate"}}}')"
  done
  local released
  released=$(api GET '/api/v1/persistentvolumes?labelSelector=edgerepl.io%2Fcluster-volume%3Dtrue' |
    jq -r '.items[] | select(.status.phase == "Released") | .metadata.name + " " + .spec.hostPath.path')
  while read -r name dir; do
    [[ -n "$name" ]] || continue
    case "$dir" in "$state/volumes/"*) ;; *) continue ;; esac
    find "$dir" -mindepth 1 -delete
    chmod 0777 "$dir"
    api PATCH "/api/v1/persistentvolumes/$name" '{"spec": {"claimRef": null}}' >/dev/null
    log "recycled the released volume $name"
  done <<<"$released"
}

do_up() {
  local t0 bin
  t0=$(now)
  preflight
  if [[ -d "$state" ]] && healthy; then
    rm -f "$skip_file"
    setup_storage
    log "already up and healthy (node $node_name Ready); eval \"\$(scripts/cluster.sh env)\""
    return 0
  fi
  if [[ -d "$state" ]] || ip link show "$bridge" >/dev/null 2>&1; then
    log "cleaning up what a previous run left (state is kept)"
    do_down --keep --quiet
  fi
  check_ports

  bin=$("$repo/scripts/envtest.sh" --node | tail -1) || die "scripts/envtest.sh --node failed"
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy etcd; do
    [[ -x "$bin/$b" ]] || die "no $b in $bin (scripts/envtest.sh --node)"
  done
  mkdir -p "$state" "$run" "$logs" "$state/etcd" "$state/kubelet" "$state/volumes"
  chmod 700 "$state/etcd"
  # Directories outside the state dir that the kubelet and CNI create: removed by `down` when it
  # was us who created them.
  local d
  for d in /var/log/pods /var/log/containers /var/lib/cni /run/containerd; do
    [[ -e "$d" ]] || echo "$d" >>"$state/created-dirs"
  done
  make_pki
  write_configs
  log "prepared binaries, PKI and configuration ($(since "$t0") s)"

  setup_network

  start_proc etcd "$bin/etcd" --name edgerepl --data-dir "$state/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster edgerepl=http://127.0.0.1:2380 --initial-cluster-state new
  wait_for etcd 30 curl -sf --max-time 2 http://127.0.0.1:2379/health

  start_proc kube-apiserver "$bin/kube-apiserver" \
    --advertise-address="$node_ip" --bind-address="$node_ip" --secure-port=6443 \
    --etcd-servers=http://127.0.0.1:2379 --service-cluster-ip-range="$service_cidr" \
    --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --insecure-port=0 --profiling=false --cert-dir="$run/apiserver" \
    --event-ttl=1h
  wait_for kube-apiserver 90 api GET /readyz
  # The host's kubeconfig uses 127.0.0.1:6443; the apiserver itself listens only on the bridge.
  start_proc apiserver-loopback socat -lf "$logs/apiserver-loopback.log" "TCP-LISTEN:6443,bind=127.0.0.1,reuseaddr,fork" \
    "TCP:$node_ip:6443,connect-timeout=5"
  wait_for apiserver-loopback 10 curl -sf --max-time 2 --cacert "$pki/ca.crt" https://127.0.0.1:6443/readyz

  start_proc containerd containerd --config "$ctrd/config.toml"
  wait_for containerd 30 ctr --address "$sock" version
  import_pause

  start_proc kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10257 --port=0 --cert-dir="$run/controller-manager" \
    --client-ca-file="$pki/ca.crt" --root-ca-file="$pki/ca.crt" \
    --service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=true \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --controllers='*' --service-cluster-ip-range="$service_cidr" --cluster-cidr="$pod_cidr" \
    --allocate-node-cidrs=false --leader-elect=false --profiling=false
  start_proc kube-scheduler "$bin/kube-scheduler" --kubeconfig="$state/scheduler.kubeconfig" \
    --authentication-kubeconfig="$state/scheduler.kubeconfig" \
    --authorization-kubeconfig="$state/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10259 --port=0 --cert-dir="$run/scheduler" \
    --leader-elect=false --profiling=false
  wait_for kube-controller-manager 60 curl -skf --max-time 2 https://127.0.0.1:10257/healthz
  wait_for kube-scheduler 60 curl -skf --max-time 2 https://127.0.0.1:10259/healthz

  start_proc kubelet "$bin/kubelet" --config="$state/kubelet-config.yaml" \
    --kubeconfig="$state/kubelet.kubeconfig" --root-dir="$state/kubelet" \
    --cert-dir="$state/kubelet/pki" --volume-plugin-dir="$state/kubelet/volume-plugins" \
    --container-runtime=remote --container-runtime-endpoint="unix://$sock" \
    --image-service-endpoint="unix://$sock" --runtime-request-timeout=5m \
    --pod-infra-container-image="$pause_image" \
    --node-ip="$node_ip" --hostname-override="$node_name" --v=1
  wait_for kubelet 60 curl -sf --max-time 2 http://127.0.0.1:10248/healthz
  start_proc kube-proxy "$bin/kube-proxy" --config="$state/kube-proxy-config.yaml" \
    --hostname-override="$node_name"
  wait_for kube-proxy 60 curl -sf --max-time 2 http://127.0.0.1:10256/healthz

  wait_for kubelet 120 node_ready
  log "node $node_name Ready"
  wait_for kube-controller-manager 60 api GET /api/v1/namespaces/default/serviceaccounts/default
  setup_storage
  rm -f "$skip_file"
  log "cluster up in $(since "$t0") s; eval \"\$(scripts/cluster.sh env)\""
}

# --- down --------------------------------------------------------------------------------------

kill_pids() { # kill_pids <signal> <pid...>
  local sig=$1 p
  shift
  for p in "$@"; do kill "-$sig" "$p" 2>/dev/null || true; done
}

do_down() {
  local keep=0 quiet=0 t0 a
  for a in "$@"; do
    case "$a" in
      --keep) keep=1 ;;
      --quiet) quiet=1 ;;
      *) die "usage: scripts/cluster.sh down [--keep]" ;;
    esac
  done
  t0=$(now)
  [[ $(id -u) -eq 0 ]] || die "down needs root"

  stop_proc kubelet
  # Every container and sandbox: kill its task through containerd, then drop it.
  if pid_of containerd >/dev/null && [[ -S "$sock" ]]; then
    local c ids
    ids=$(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null || true)
    for c in $ids; do ctr --address "$sock" -n k8s.io tasks kill -a -s SIGKILL "$c" >/dev/null 2>&1 || true; done
    for c in $ids; do
      timeout 10 ctr --address "$sock" -n k8s.io tasks delete -f "$c" >/dev/null 2>&1 || true
    done
    for c in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null || true); do
      ctr --address "$sock" -n k8s.io containers delete "$c" >/dev/null 2>&1 || true
    done
  fi
  local comp
  for comp in "${components[@]}"; do stop_proc "$comp"; done
  # Whatever is left: shims, container processes, forwarder children.
  local left i
  for i in 1 2 3; do
    left=$( { state_procs; pod_procs; } | sort -u)
    [[ -z "$left" ]] && break
    # shellcheck disable=SC2086
    kill_pids KILL $left
    sleep 0.5
  done

  # Mounts under the state dir (the kubelet's volumes, containerd's rootfs and shm, netns), deepest
  # first; lazily when one stays busy.
  local m
  for i in 1 2 3; do
    m=$(findmnt -rn -o TARGET | { grep -F -- "$state/" || true; } | awk '{ print length, $0 }' |
      sort -rn | cut -d' ' -f2-)
    [[ -z "$m" ]] && break
    while IFS= read -r t; do
      t=$(printf '%b' "$t")
      umount "$t" 2>/dev/null || umount -l "$t" 2>/dev/null || true
    done <<<"$m"
  done

  # Pod interfaces, the bridge, rules and chains, sysctls.
  local v
  for v in $(ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link delete "$v" 2>/dev/null || true
  done
  ip link delete "$bridge" 2>/dev/null || true
  clean_iptables iptables
  clean_iptables ip6tables
  restore_sysctls

  # The kubelet's pod cgroups (deepest first).
  local h
  for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    if [[ -d "$h" ]]; then find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done

  # Host directories the node created, and the CNI's cached results for our network.
  rm -f /var/lib/cni/results/edgerepl-* 2>/dev/null || true
  if [[ -f "$state/created-dirs" ]]; then
    while IFS= read -r d; do
      [[ -n "$d" ]] || continue
      if [[ "$d" == /run/containerd ]] && pgrep -x containerd >/dev/null; then continue; fi
      rm -rf -- "$d"
    done <"$state/created-dirs"
    rm -f "$state/created-dirs"
  fi
  rm -rf "$state/cni/ipam" "$run" 2>/dev/null || true
  if [[ $keep -eq 0 ]]; then
    rm -rf -- "$state"
  fi

  # Check.
  local problems=()
  [[ -z "$(state_procs)" && -z "$(pod_procs)" ]] || problems+=("processes left: $( { state_procs; pod_procs; } | sort -u | tr '\n' ' ')")
  ! grep -qF -- "$state/" <<<"$(findmnt -rn -o TARGET)" || problems+=("mounts left under $state")
  ! ip link show "$bridge" >/dev/null 2>&1 || problems+=("bridge $bridge still exists")
  ! grep -qE '^:(KUBE|CNI)-|-j (KUBE|CNI)-' <<<"$(iptables-save 2>/dev/null; ip6tables-save 2>/dev/null)" ||
    problems+=("KUBE-/CNI- iptables chains or rules left")
  if [[ ${#problems[@]} -gt 0 ]]; then
    for a in "${problems[@]}"; do log "down: $a"; done
    return 1
  fi
  [[ $quiet -eq 1 ]] || log "down in $(since "$t0") s: no process, mount, bridge or chain left$([[ $keep -eq 1 ]] && echo "; kept $state")"
}

# --- status, env -------------------------------------------------------------------------------

do_status() {
  local c up=0 all=1 pid
  for c in etcd kube-apiserver apiserver-loopback containerd kube-controller-manager kube-scheduler kubelet kube-proxy; do
    if pid=$(pid_of "$c"); then
      printf '%-24s running (pid %s)\n' "$c" "$pid"
      up=1
    else
      printf '%-24s not running\n' "$c"
      all=0
    fi
  done
  if [[ $up -eq 1 && -s "$pki/admin.crt" ]] && node_ready; then
    printf '%-24s Ready\n' "node $node_name"
  else
    printf '%-24s not Ready\n' "node $node_name"
    all=0
  fi
  [[ $all -eq 1 ]] && return 0
  return 3
}

do_env() {
  cat <<EOF
export KUBECONFIG=$kubeconfig
export CONTAINERD_ADDRESS=$sock
export CONTAINERD_NAMESPACE=k8s.io
export EDGEREPL_NODE_IP=$node_ip
export EDGEREPL_CLUSTER_STATE=$state
EOF
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up) do_up "$@" ;;
  down) do_down "$@" ;;
  status) do_status ;;
  env) do_env ;;
  *) echo "usage: scripts/cluster.sh up | down [--keep] | status | env" >&2; exit 2 ;;
esac
