#!/usr/bin/env bash
# Builds helm from its Go module (no release download), cached under $KANARI_K8S_CACHE (default
# $HOME/.cache/kanari)/helm-<version>/helm; returns at once when it is there. The last stdout line is the binary.
# Env: HELM_VERSION (default v3.22.0), KANARI_K8S_CACHE, GO, K8S_BUILD_P (go build -p, default 2).
set -euo pipefail
V=${HELM_VERSION:-v3.22.0}
ROOT=${KANARI_K8S_CACHE:-$HOME/.cache/kanari}
DIR="$ROOT/helm-$V"
if [ -s "$DIR/helm" ]; then echo "$DIR/helm"; exit 0; fi
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false"
mkdir -p "$ROOT"
exec 9> "$ROOT/.helm-build.lock"; flock 9
if [ -s "$DIR/helm" ]; then echo "$DIR/helm"; exit 0; fi
mkdir -p "$DIR.partial"
echo "[build-helm $(date +%H:%M:%S)] go install helm.sh/helm/v3/cmd/helm@$V" >&2
GOBIN="$DIR.partial" "$GO" install -p "${K8S_BUILD_P:-2}" -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$V"
rm -rf "$DIR"; mv "$DIR.partial" "$DIR"
echo "$DIR/helm"
