#!/usr/bin/env bash
# `npm run test:k8s`: the Kubernetes suite. Without KUBECONFIG it builds the test cluster (cached, see
# cluster/build.sh), starts it on loopback, runs the suite and stops it; with KUBECONFIG set it runs against
# that cluster instead (it creates namespaces kanari-test-*, installs CRDs, and deletes what it made).
# The real-traffic tests (test/k8s/traffic/) need pods on loopback IPs, which the API server keeps out of
# EndpointSlices, so they run on a second cluster of their own (cluster/start.sh with CP_POD_CIDR, then
# cluster/start-traffic.sh: pods as local processes, Traefik built and cached by cluster/build-traefik.sh,
# Prometheus). That cluster is started when this script starts its own, or with KANARI_K8S_TRAFFIC=1.
# Arguments go to vitest (e.g. a test file; files under test/k8s/traffic/ run on the traffic cluster).
# Prints "N passed, N failed" last: the sum over both clusters.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

# Which parts to run: with file arguments, the part(s) they name; without, both.
traffic_args=()
main_args=()
for a in "$@"; do
  case "$a" in
    *traffic/*) traffic_args+=("$a") ;;
    *) main_args+=("$a") ;;
  esac
done
run_main=1
run_traffic=0
if [ -z "${KUBECONFIG:-}" ] || [ "${KANARI_K8S_TRAFFIC:-0}" = 1 ]; then run_traffic=1; fi
if [ ${#traffic_args[@]} -gt 0 ] && [ ${#main_args[@]} -eq 0 ]; then run_main=0; fi
if [ $# -gt 0 ] && [ ${#traffic_args[@]} -eq 0 ]; then run_traffic=0; fi

passed=0
failed=0
code=0
clusters=()
# Stops every cluster this script started, however it ends.
cleanup() {
  for d in "${clusters[@]}"; do
    CP_RM=$([ "${KANARI_K8S_KEEP:-0}" = 1 ] && echo 0 || echo 1) "$HERE/cluster/stop.sh" "$d"
  done
}
trap cleanup EXIT

# Runs vitest with the given arguments and adds its counts to passed/failed.
suite() {
  local results
  results=$(mktemp)
  npx vitest run --config test/k8s/vitest.config.ts --reporter=default --reporter=json --outputFile="$results" "$@"
  local c=$?
  [ $c -ne 0 ] && code=$c
  read -r p f < <(node -e '
    const fs = require("fs")
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
      console.log(r.numPassedTests, r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0))
    } catch { console.log(0, 1) }
  ' "$results")
  rm -f "$results"
  passed=$((passed + p))
  failed=$((failed + f))
}

give_up() {
  echo "test:k8s: $1" >&2
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
}

BIN=""
if [ -z "${KUBECONFIG:-}" ] || [ $run_traffic = 1 ]; then
  BIN=$("$HERE/cluster/build.sh" | tail -n1) || give_up "building the test cluster failed"
fi

if [ $run_main = 1 ]; then
  if [ -z "${KUBECONFIG:-}" ]; then
    D=$(mktemp -d "${TMPDIR:-/tmp}/kanari-k8s.XXXXXX")
    clusters+=("$D")
    CP_DIR=$D CP_BIN=$BIN "$HERE/cluster/start.sh" >/dev/null || give_up "starting the test cluster failed"
    export KUBECONFIG=$D/kubeconfig KANARI_K8S_BIN=$BIN KANARI_K8S_DIR=$D
  else
    # Someone else's cluster: kubectl from KANARI_K8S_BIN when set, else from PATH.
    export KANARI_K8S_BIN=${KANARI_K8S_BIN:-}
  fi
  "$HERE/cluster/install-crds.sh" || give_up "installing the CRDs failed"
  export KANARI_HELM=${KANARI_HELM:-$("$HERE/cluster/build-helm.sh" | tail -n1)} || give_up "building helm failed"
  suite --exclude 'test/k8s/traffic/**' "${main_args[@]}"
fi

if [ $run_traffic = 1 ]; then
  # Built before the cluster starts, so a cold build does not hold a running cluster.
  "$HERE/cluster/build-traefik.sh" >/dev/null || give_up "building Traefik failed"
  T=$(mktemp -d "${TMPDIR:-/tmp}/kanari-k8s-traffic.XXXXXX")
  clusters+=("$T")
  CP_DIR=$T CP_BIN=$BIN CP_POD_CIDR=127.1.0.0/24 "$HERE/cluster/start.sh" >/dev/null || give_up "starting the traffic cluster failed"
  export KUBECONFIG=$T/kubeconfig KANARI_K8S_BIN=$BIN KANARI_K8S_DIR=$T
  "$HERE/cluster/install-crds.sh" || give_up "installing the CRDs on the traffic cluster failed"
  "$HERE/cluster/start-traffic.sh" "$T" >/dev/null || give_up "starting the traffic stack failed"
  if [ ${#traffic_args[@]} -gt 0 ]; then suite "${traffic_args[@]}"; else suite test/k8s/traffic/; fi
elif [ $# -eq 0 ]; then
  echo "test:k8s: not running test/k8s/traffic/ (it needs a traffic cluster of this script's own: unset KUBECONFIG or set KANARI_K8S_TRAFFIC=1)" >&2
fi

echo "$passed passed, $failed failed"
exit $code
