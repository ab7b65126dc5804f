#!/usr/bin/env bash
# Installs the CRDs the Kubernetes suite needs into the cluster of $KUBECONFIG: Kanari's own (printed by
# `kanari crds`), Gateway API's standard channel and Istio's networking CRDs (from their Go modules, fetched
# with `go mod download` — never committed), and SMI's TrafficSplit (test/k8s/fixtures). Waits until all are
# Established. Env: KUBECTL (default: $KANARI_K8S_BIN/kubectl, else kubectl on PATH), GATEWAY_API_VERSION,
# ISTIO_API_VERSION.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
KUBECTL=${KUBECTL:-${KANARI_K8S_BIN:+$KANARI_K8S_BIN/kubectl}}
KUBECTL=${KUBECTL:-kubectl}
GW=${GATEWAY_API_VERSION:-v1.6.3}
IST=${ISTIO_API_VERSION:-v1.32.0}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=mod"
moddir() { (cd "${TMPDIR:-/tmp}" && "$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'); }
GWD=$(moddir "sigs.k8s.io/gateway-api@$GW")
ISD=$(moddir "istio.io/api@$IST")
[ -d "$GWD/config/crd/standard" ] || { echo "install-crds: no Gateway API CRDs in $GWD" >&2; exit 1; }
[ -f "$ISD/kubernetes/customresourcedefinitions.gen.yaml" ] || { echo "install-crds: no Istio CRDs in $ISD" >&2; exit 1; }
"$ROOT/bin/kanari" crds | "$KUBECTL" apply --server-side --force-conflicts -f - >/dev/null
"$KUBECTL" apply --server-side --force-conflicts -f "$GWD/config/crd/standard/" >/dev/null
"$KUBECTL" apply --server-side --force-conflicts -f "$ISD/kubernetes/customresourcedefinitions.gen.yaml" >/dev/null
"$KUBECTL" apply --server-side --force-conflicts -f "$ROOT/test/k8s/fixtures/smi-trafficsplit-crd.yaml" >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s \
  crd/rollouts.kanari.dev crd/analysistemplates.kanari.dev crd/clusteranalysistemplates.kanari.dev \
  crd/analysisruns.kanari.dev crd/httproutes.gateway.networking.k8s.io \
  crd/virtualservices.networking.istio.io crd/destinationrules.networking.istio.io \
  crd/trafficsplits.split.smi-spec.io >/dev/null
echo "install-crds: kanari.dev, Gateway API $GW, Istio $IST, SMI TrafficSplit v1alpha2"
