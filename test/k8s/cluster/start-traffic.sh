#!/usr/bin/env bash
# start-traffic.sh [CP_DIR] — adds a data plane to a test cluster that start.sh started with CP_POD_CIDR (pods on
# loopback IPs) and whose Gateway API CRDs install-crds.sh installed:
#   - the process kubelet (process-kubelet.ts): pods labelled test.kanari.dev/process=true run as local processes
#     on their pod IP, and their Services get EndpointSlices;
#   - Traefik (build-traefik.sh) as the Gateway API implementation of GatewayClass `traefik`, entry point `web` on
#     127.0.0.1:$TRAEFIK_WEB_PORT (a Gateway's listener must use that port), metrics on its `traefik` entry point,
#     an access log in JSON (CP_DIR/logs/traefik-access.log: router, backend Service and upstream of every answer);
#   - Prometheus (/usr/bin/prometheus) scraping Traefik every second.
# Processes go into CP_DIR/pids, so stop.sh stops them with the rest; their logs into CP_DIR/logs, the pods' output
# into CP_DIR/pods/<namespace>_<pod>_<uid>.log. Appends TRAEFIK_WEB_PORT, TRAEFIK_ADMIN_PORT, PROMETHEUS_URL to
# CP_DIR/env and prints `export …` lines for them last.
# Env: TRAFFIC_TIMEOUT (seconds to wait for readiness, default 120), PROMETHEUS (default /usr/bin/prometheus).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
D=${1:-${CP_DIR:-$(dirname "${KUBECONFIG:-/nonexistent/x}")}}
[ -s "$D/env" ] && [ -s "$D/pids" ] || { echo "start-traffic.sh: no running cluster in $D (start.sh first)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$D/env"
[ -n "${CP_POD_CIDR:-}" ] || { echo "start-traffic.sh: the cluster in $D was started without CP_POD_CIDR: its pods have no local IPs" >&2; exit 1; }
PROM=${PROMETHEUS:-/usr/bin/prometheus}
[ -x "$PROM" ] || { echo "start-traffic.sh: no Prometheus at $PROM (apt-get install -y prometheus)" >&2; exit 1; }
TRAEFIK=$("$HERE/build-traefik.sh" | tail -n1)
TIMEOUT=${TRAFFIC_TIMEOUT:-120}
T0=$(date +%s.%N)
log() { echo "[start-traffic +$(echo "$(date +%s.%N) - $T0" | bc | xargs printf '%.1f')s] $*" >&2; }
K() { "$CP_BIN/kubectl" --kubeconfig "$D/kubeconfig" "$@"; }
fail() {
  echo "start-traffic.sh: FAILED: $*" >&2
  for l in "$D"/logs/{process-kubelet,traefik,prometheus}.log; do [ -f "$l" ] && { echo "--- tail $l" >&2; tail -n 15 "$l" >&2; }; done
  exit 1
}
trap 'fail "line $LINENO"' ERR

used_ports() {
  local h; for h in $(awk 'NR>1 && $4=="0A"{n=split($2,a,":"); print a[n]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    echo $((16#$h)); done
}
PICKED=" $(used_ports | tr '\n' ' ') "
free_port() {
  local p
  while :; do p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 )); [[ "$PICKED" == *" $p "* ]] || break; done
  PICKED+="$p "; printf -v "$1" '%s' "$p"
}
free_port WEB_PORT; free_port ADMIN_PORT; free_port PROM_PORT

STARTED=()
launch() {   # launch LOGNAME CMD... : own session, log file; the pid file names the executable (stop.sh checks it)
  local name=$1; shift
  KUBECONFIG="$D/kubeconfig" setsid "$@" > "$D/logs/$name.log" 2>&1 < /dev/null &
  echo "$(basename "$1") $!" >> "$D/pids"
  STARTED+=("$name $!")
}
wait_for() {
  local what=$1; shift; local end=$(( $(date +%s) + TIMEOUT ))
  until "$@" > /dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || fail "timeout waiting for $what"
    local s; for s in "${STARTED[@]}"; do kill -0 "${s#* }" 2>/dev/null || fail "${s% *} (pid ${s#* }) exited"; done
    sleep 0.2
  done
  log "$what ok"
}

# ---- the process kubelet
cd "$ROOT"   # `--import tsx` resolves from the working directory
launch process-kubelet "$(command -v node)" --import tsx "$HERE/process-kubelet.ts" "$D"

# ---- Traefik: Gateway API provider on loopback; 200 ms throttle (the 2 s default keeps a removed endpoint routed)
mkdir -p "$D/traefik"
cat > "$D/traefik/traefik.yml" <<EOF
global: {checkNewVersion: false, sendAnonymousUsage: false}
log: {level: INFO}
entryPoints:
  web: {address: "127.0.0.1:$WEB_PORT"}
  traefik: {address: "127.0.0.1:$ADMIN_PORT"}
ping: {entryPoint: traefik}
providers:
  providersThrottleDuration: 200ms
  kubernetesGateway:
    statusAddress: {ip: 127.0.0.1}
accessLog:
  filePath: "$D/logs/traefik-access.log"
  format: json
  fields: {defaultMode: keep, headers: {defaultMode: drop}}
metrics:
  prometheus:
    entryPoint: traefik
    addServicesLabels: true
    addRoutersLabels: true
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10]
EOF
launch traefik "$TRAEFIK" --configFile="$D/traefik/traefik.yml"
wait_for "traefik ping" curl -sf "http://127.0.0.1:$ADMIN_PORT/ping"

# ---- Prometheus, 1 s scrape
mkdir -p "$D/prometheus/data"
cat > "$D/prometheus/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: traefik
    static_configs: [{targets: ["127.0.0.1:$ADMIN_PORT"]}]
EOF
launch prometheus "$PROM" --config.file="$D/prometheus/prometheus.yml" --storage.tsdb.path="$D/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1d --log.level=warn
wait_for "prometheus ready" curl -sf "http://127.0.0.1:$PROM_PORT/-/ready"
wait_for "prometheus scrapes traefik" bash -c \
  "curl -sf 'http://127.0.0.1:$PROM_PORT/api/v1/query?query=up%7Bjob%3D%22traefik%22%7D' | grep -q '\"value\":\[[0-9.]*,\"1\"\]'"

# ---- GatewayClass
K apply -f - > /dev/null <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: traefik}
spec: {controllerName: traefik.io/gateway-controller}
EOF
wait_for "GatewayClass traefik Accepted" K wait --for=condition=Accepted gatewayclass/traefik --timeout=2s

cat >> "$D/env" <<EOF
TRAEFIK_WEB_PORT=$WEB_PORT
TRAEFIK_ADMIN_PORT=$ADMIN_PORT
PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT
EOF
trap - ERR
log "traffic stack ready: gateway http://127.0.0.1:$WEB_PORT, prometheus http://127.0.0.1:$PROM_PORT"
echo "export TRAEFIK_WEB_PORT=$WEB_PORT TRAEFIK_ADMIN_PORT=$ADMIN_PORT PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT"
