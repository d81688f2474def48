# Sourced by the chart's integration tests: starts etcd and a kube-apiserver (the envtest binaries
# cached by scripts/envtest.sh, or $KUBEBUILDER_ASSETS) on free loopback ports in a temp dir, with
# RBAC and an admin token, and writes a kubeconfig. Exits 77 (ctest: skipped) when no binary exists.

find_assets() {
  local d
  for d in "${KUBEBUILDER_ASSETS:-}" "${EDGEREPL_ENVTEST_CACHE:-$HOME/.cache/edgerepl/envtest}"/*/bin; do
    if [[ -n "$d" && -x "$d/kube-apiserver" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

# N free loopback ports, held open together while they are picked: two separate picks can be handed
# the same port by the kernel, and then the second server to start finds it taken.
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}

start_apiserver() {
  local assets
  if ! assets="$(find_assets)"; then
    echo "SKIPPED: no kube-apiserver found (run scripts/envtest.sh or set KUBEBUILDER_ASSETS)" >&2
    exit 77
  fi
  local etcd_bin="$assets/etcd"
  [[ -x "$etcd_bin" ]] || etcd_bin="$(command -v etcd || true)"
  local tool
  for tool in openssl jq python3 curl; do
    if ! command -v "$tool" >/dev/null; then
      echo "SKIPPED: $tool missing (scripts/install-deps.sh envtest)" >&2
      exit 77
    fi
  done
  if [[ -z "$etcd_bin" ]]; then
    echo "SKIPPED: etcd missing (scripts/install-deps.sh envtest)" >&2
    exit 77
  fi
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgerepl-chart-kube.XXXXXX")"
  trap 'rc=$?; stop_apiserver; exit $rc' EXIT
  find_kube_tools
  mkdir -p "$WORK/bin"
  ln -sf "$EDGEREPL_KUBECTL" "$WORK/bin/kubectl"
  export PATH="$WORK/bin:$PATH"
  local etcd_port peer_port api_port
  read -r etcd_port peer_port api_port < <(free_ports 3)
  "$etcd_bin" --data-dir "$WORK/etcd" --name chart-test \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "chart-test=http://127.0.0.1:$peer_port" >"$WORK/etcd.log" 2>&1 &
  ETCD_PID=$!
  openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
  openssl rsa -in "$WORK/sa.key" -pubout -out "$WORK/sa.pub" 2>/dev/null
  ADMIN_TOKEN="$(openssl rand -hex 16)"
  echo "$ADMIN_TOKEN,chart-admin,chart-admin,system:masters" >"$WORK/tokens.csv"
  # Extra identities a test needs (token,user,uid,"group1,group2"), e.g. a ServiceAccount's name,
  # so a process can run with exactly the RBAC a chart grants.
  if [[ -n "${EXTRA_TOKENS:-}" ]]; then printf '%s\n' "$EXTRA_TOKENS" >>"$WORK/tokens.csv"; fi
  "$assets/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$WORK/certs" \
    --token-auth-file "$WORK/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$WORK/sa.pub" --service-account-signing-key-file "$WORK/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --disable-admission-plugins ServiceAccount \
    >"$WORK/apiserver.log" 2>&1 &
  APISERVER_PID=$!
  API_URL="https://127.0.0.1:$api_port"
  export KUBECONFIG="$WORK/kubeconfig"
  cat >"$KUBECONFIG" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: {server: "https://127.0.0.1:$api_port", insecure-skip-tls-verify: true}
users:
  - name: admin
    user: {token: "$ADMIN_TOKEN"}
contexts:
  - name: test
    context: {cluster: test, user: admin}
current-context: test
KC
  local i
  for i in $(seq 1 120); do
    if kubectl get --raw /readyz >/dev/null 2>&1; then
      echo "kube-apiserver $("$assets/kube-apiserver" --version | awk '{print $2}') ready on 127.0.0.1:$api_port" >&2
      use_kube_tools
      return 0
    fi
    if ! kill -0 "$APISERVER_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "kube-apiserver did not become ready; last log lines:" >&2
  tail -20 "$WORK/apiserver.log" >&2
  exit 1
}

stop_apiserver() {
  if [[ -n "${AGENT_PID:-}" ]]; then kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; fi
  if [[ -n "${INFLUXD_PID:-}" ]]; then kill "$INFLUXD_PID" 2>/dev/null || true; wait "$INFLUXD_PID" 2>/dev/null || true; fi
  if [[ -n "${APISERVER_PID:-}" ]]; then kill "$APISERVER_PID" 2>/dev/null || true; wait "$APISERVER_PID" 2>/dev/null || true; fi
  if [[ -n "${ETCD_PID:-}" ]]; then kill "$ETCD_PID" 2>/dev/null || true; wait "$ETCD_PID" 2>/dev/null || true; fi
  if [[ -n "${WORK:-}" ]]; then rm -rf "$WORK"; fi
  return 0
}

# helm and kubectl for the tests, from scripts/kube-tools.sh (CMake passes their paths in
# EDGEREPL_HELM, EDGEREPL_KUBECTL and the *_LEGACY twins; by hand the script finds or installs
# them). After start_apiserver, `helm` and `kubectl` on PATH are links in $WORK/bin: helm 4, and
# kubectl 1.35 (see use_kube_tools). HELM_LEGACY is helm 3.8, KUBECTL_LEGACY kubectl 1.20.
find_kube_tools() {
  local root bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
  if [[ -z "${EDGEREPL_HELM:-}" || -z "${EDGEREPL_KUBECTL:-}" ]]; then
    bin="$("$root/scripts/kube-tools.sh" | tail -1)" || { echo "SKIPPED: scripts/kube-tools.sh failed" >&2; exit 77; }
    EDGEREPL_HELM="${EDGEREPL_HELM:-$bin/helm}"
    EDGEREPL_KUBECTL="${EDGEREPL_KUBECTL:-$bin/kubectl}"
  fi
  if [[ -z "${EDGEREPL_HELM_LEGACY:-}" || -z "${EDGEREPL_KUBECTL_LEGACY:-}" ]]; then
    bin="$("$root/scripts/kube-tools.sh" --legacy | tail -1)" || { echo "SKIPPED: scripts/kube-tools.sh --legacy failed" >&2; exit 77; }
    EDGEREPL_HELM_LEGACY="${EDGEREPL_HELM_LEGACY:-$bin/helm}"
    EDGEREPL_KUBECTL_LEGACY="${EDGEREPL_KUBECTL_LEGACY:-$bin/kubectl}"
  fi
  HELM_LEGACY="$EDGEREPL_HELM_LEGACY"
  # helm keeps its caches and repository config out of $HOME.
  export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"
}

# kubectl 1.35 works against the 1.20.2 envtest server (checked by chart.kube_dry_run: apply with
# client-side validation falls back to the server's OpenAPI v2, server-side dry run, auth can-i),
# beyond the one-minor skew kubectl promises; so `kubectl` is 1.35 and KUBECTL_LEGACY (1.20) is
# there for tests that check both. EDGEREPL_LEGACY_KUBECTL_BELOW=<minor> makes `kubectl` the 1.20
# one for servers older than that minor.
use_kube_tools() {
  local minor
  mkdir -p "$WORK/bin"
  ln -sf "$EDGEREPL_HELM" "$WORK/bin/helm"
  ln -sf "$EDGEREPL_KUBECTL" "$WORK/bin/kubectl"
  export PATH="$WORK/bin:$PATH"
  minor="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.minor | tr -dc 0-9)"
  KUBECTL_LEGACY="$EDGEREPL_KUBECTL_LEGACY"
  if (( minor < ${EDGEREPL_LEGACY_KUBECTL_BELOW:-0} )); then
    ln -sf "$EDGEREPL_KUBECTL_LEGACY" "$WORK/bin/kubectl"
  fi
  echo "tools: $(helm version --template '{{.Version}}'), kubectl $(kubectl version --client -o json 2>/dev/null | jq -r .clientVersion.gitVersion), server $(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)" >&2
}
