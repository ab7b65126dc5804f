#!/usr/bin/env bash
# Builds the Kubernetes test control plane for Kanari's Kubernetes suite from published Go modules
# (no containers, no release tarballs):
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes through a wrapper module
#   whose replace lines point each staging module at its published v0.Y.Z), etcd (wrapper module), kwok (go install),
#   and kwok-stages.yaml (the fast node/pod stages from the kwok module).
# Cached by version under $KANARI_K8S_CACHE (default $HOME/.cache/kanari)/k8s-<versions>/; when every binary is
# there it prints the directory and returns at once.
# Env: K8S_VERSION ETCD_VERSION KWOK_VERSION KANARI_K8S_CACHE GO (default: go on PATH, else /usr/local/go/bin/go)
#      K8S_BUILD_P (go build -p, default 2).
# The last line on stdout is the binary directory.
set -euo pipefail
K8S=${K8S_VERSION:-v1.36.3}
ETCD=${ETCD_VERSION:-v3.6.16}
KWOK=${KWOK_VERSION:-v0.8.0}
ROOT=${KANARI_K8S_CACHE:-$HOME/.cache/kanari}
BIN="$ROOT/k8s-$K8S-etcd-$ETCD-kwok-$KWOK"
WANT=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwok-stages.yaml)

have_all() { local f; for f in "${WANT[@]}"; do [ -s "$1/$f" ] || return 1; done; }
if have_all "$BIN"; then echo "$BIN"; exit 0; fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false"
P=${K8S_BUILD_P:-2}
PART="$BIN.partial"; WORK="$ROOT/.work/$K8S-$ETCD-$KWOK"
mkdir -p "$ROOT"
exec 9> "$ROOT/.build.lock"; flock 9          # one build at a time per cache directory (parallel CI jobs)
if have_all "$BIN"; then echo "$BIN"; exit 0; fi   # another job finished it while we waited
mkdir -p "$PART" "$WORK/k8s" "$WORK/etcd"
log() { echo "[build $(date +%H:%M:%S)] $*" >&2; }
step() {   # step NAME CMD...
  local name=$1; shift; log "$name: $*"; "$@"
}

# ---- 1. k8s: wrapper module; replace every staging module (read from the tag's own go.mod) with v0.Y.Z
cd "$WORK/k8s"
if [ ! -f go.sum ] || ! grep -q "k8s.io/kubernetes $K8S " go.sum; then
  rm -f go.mod go.sum
  "$GO" mod init local/k8sbuild >/dev/null 2>&1
  MOD=$("$GO" mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -s "$MOD" ] || { log "cannot read go.mod of k8s.io/kubernetes@$K8S"; exit 1; }
  "$GO" mod edit -go="$(awk '$1=="go"{print $2; exit}' "$MOD")" -require="k8s.io/kubernetes@$K8S"
  GODEBUG_LINE=$(awk '$1=="godebug"{print $2; exit}' "$MOD")      # e.g. default=go1.26 (keep upstream defaults)
  [ -n "$GODEBUG_LINE" ] && "$GO" mod edit -godebug="$GODEBUG_LINE"
  STAGING=$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$MOD")
  [ -n "$STAGING" ] || { log "no staging replaces found in $MOD"; exit 1; }
  for m in $STAGING; do "$GO" mod edit -replace="$m=$m@v0.${K8S#v1.}"; done    # v1.36.3 -> v0.36.3
  C=k8s.io/kubernetes/cmd
  step k8s-get "$GO" get "$C/kube-apiserver@$K8S" "$C/kube-controller-manager@$K8S" "$C/kube-scheduler@$K8S" "$C/kubectl@$K8S"
fi
MINOR=$(cut -d. -f2 <<<"${K8S#v}")
LDF="-s -w"
for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do   # the -X keys of hack/lib/version.sh
  LDF+=" -X $v.gitVersion=$K8S -X $v.gitMajor=1 -X $v.gitMinor=$MINOR -X $v.gitTreeState=clean"
  LDF+=" -X $v.buildDate=1970-01-01T00:00:00Z"
done
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -s "$PART/$b" ] && continue
  step "$b" "$GO" build -p "$P" -trimpath -ldflags "$LDF" -o "$PART/$b.tmp" "k8s.io/kubernetes/cmd/$b"
  mv "$PART/$b.tmp" "$PART/$b"
done

# ---- 2. etcd: `go install go.etcd.io/etcd/server/v3@...` is refused (its go.mod has replace directives)
if [ ! -s "$PART/etcd" ]; then
  cd "$WORK/etcd"
  if [ ! -f go.sum ] || ! grep -q "go.etcd.io/etcd/server/v3 $ETCD " go.sum; then
    rm -f go.mod go.sum; "$GO" mod init local/etcdbuild >/dev/null 2>&1
    step etcd-get "$GO" get "go.etcd.io/etcd/server/v3@$ETCD"
  fi
  step etcd "$GO" build -p "$P" -trimpath -ldflags "-s -w" -o "$PART/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$PART/etcd.tmp" "$PART/etcd"
fi

# ---- 3. kwok: no replace directives, plain go install works
if [ ! -s "$PART/kwok" ]; then
  step kwok env GOBIN="$PART" "$GO" install -p "$P" -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK"
fi
S="$("$GO" env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK/kustomize/stage"
[ -d "$S" ] || "$GO" mod download "sigs.k8s.io/kwok@$KWOK"
{ for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
           pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo '---'; cat "$S/$f.yaml"; done; } > "$PART/kwok-stages.yaml.tmp"
mv "$PART/kwok-stages.yaml.tmp" "$PART/kwok-stages.yaml"

have_all "$PART" || { log "incomplete build in $PART"; exit 1; }
rm -rf "$BIN"; mv "$PART" "$BIN"
log "done: $(du -sh "$BIN" | cut -f1) in $BIN"
echo "$BIN"
