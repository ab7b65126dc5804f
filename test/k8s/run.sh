#!/usr/bin/env bash
# `npm run test:k8s`: the Kubernetes suite. Without KUBECONFIG it builds the test cluster (cached, see
# cluster/build.sh), starts it on loopback, runs the suite and stops it; with KUBECONFIG set it runs against
# that cluster instead (it creates namespaces kanari-test-*, installs CRDs, and deletes what it made).
# Its own cluster also carries traffic (cluster/start-traffic.sh: pods as local processes, Traefik built and cached
# by cluster/build-traefik.sh, Prometheus) for the real-traffic tests in test/k8s/traffic/; on someone else's
# cluster those are left out, and the run says so, unless KANARI_K8S_TRAFFIC=start names one of ours (KANARI_K8S_DIR).
# Arguments go to vitest (e.g. a test file). Prints "N passed, N failed" last.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
if [ -z "${KUBECONFIG:-}" ]; then
  BIN=$("$HERE/cluster/build.sh" | tail -n1) || { echo "test:k8s: building the test cluster failed" >&2; echo "0 passed, 1 failed"; exit 1; }
  D=$(mktemp -d "${TMPDIR:-/tmp}/kanari-k8s.XXXXXX")
  # KANARI_K8S_KEEP=1 keeps the cluster's directory (logs, PKI) after stopping it.
  trap 'CP_RM=$([ "${KANARI_K8S_KEEP:-0}" = 1 ] && echo 0 || echo 1) "$HERE/cluster/stop.sh" "$D"' EXIT
  # Built before the cluster starts, so a cold build does not hold a running cluster.
  "$HERE/cluster/build-traefik.sh" >/dev/null || { echo "test:k8s: building Traefik failed" >&2; echo "0 passed, 1 failed"; exit 1; }
  CP_DIR=$D CP_BIN=$BIN CP_POD_CIDR=127.1.0.0/24 "$HERE/cluster/start.sh" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
  export KUBECONFIG=$D/kubeconfig KANARI_K8S_BIN=$BIN KANARI_K8S_DIR=$D
  TRAFFIC=1
else
  # Someone else's cluster: kubectl from KANARI_K8S_BIN when set, else from PATH.
  export KANARI_K8S_BIN=${KANARI_K8S_BIN:-}
  TRAFFIC=0
  # A cluster of this project's scripts started with CP_POD_CIDR (as .ci/run starts it): KANARI_K8S_TRAFFIC=start
  # brings its traffic stack up here, and stop.sh stops it with the cluster.
  if [ "${KANARI_K8S_TRAFFIC:-}" = start ] && [ -n "${KANARI_K8S_DIR:-}" ]; then
    D=$KANARI_K8S_DIR
    TRAFFIC=1
  fi
fi
"$HERE/cluster/install-crds.sh" || { echo "0 passed, 1 failed"; exit 1; }
EXCLUDE=()
if [ "$TRAFFIC" = 1 ]; then
  "$HERE/cluster/start-traffic.sh" "$D" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
else
  echo "test:k8s: not running test/k8s/traffic/ (it needs the traffic stack of the cluster this script starts)" >&2
  EXCLUDE=(--exclude 'test/k8s/traffic/**')
fi
export KANARI_HELM=${KANARI_HELM:-$("$HERE/cluster/build-helm.sh" | tail -n1)} || { echo "test:k8s: building helm failed" >&2; echo "0 passed, 1 failed"; exit 1; }
results=$(mktemp)
npx vitest run --config test/k8s/vitest.config.ts --reporter=default --reporter=json --outputFile="$results" "${EXCLUDE[@]}" "$@"
code=$?
node -e '
  const fs = require("fs")
  try {
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0)} failed`)
  } catch { console.log("0 passed, 1 failed") }
' "$results"
rm -f "$results"
exit $code
