#!/usr/bin/env bash
# Starts the Kanari test cluster on loopback only: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok (a fake kubelet for annotated nodes) with one fake Node, on free ports; waits
# until it is usable and prints `export KUBECONFIG=...` as its last line.
# Env: CP_BIN (binary dir; default: the last line of build.sh's output), CP_DIR (state dir; default: a new
#      mktemp dir), CP_NODES (fake nodes, default 1), CP_NODE_PODS (pods each node takes, default 110),
#      CP_TIMEOUT (seconds to wait for readiness, default 120),
#      CP_POD_CIDR (e.g. 127.1.0.0/24: pods get loopback IPs that local processes can bind, for the traffic stack of
#      start-traffic.sh; node i takes the i-th /24 from it; default: KWOK's 10.244.0.0/16, unreachable).
# Writes: $CP_DIR/kubeconfig (embedded certs), $CP_DIR/pids ("name pid" lines, read by stop.sh), $CP_DIR/env,
#         $CP_DIR/logs/*.log, PKI in $CP_DIR/pki; etcd data in /dev/shm when there is one.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=${CP_BIN:-$("$HERE/build.sh" | tail -n1)}
for f in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwok-stages.yaml; do
  [ -s "$B/$f" ] || { echo "start.sh: missing $B/$f (run build.sh)" >&2; exit 1; }
done
D=${CP_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/kanari-k8s.XXXXXX")}
mkdir -p "$D/logs" "$D/pki"
[ -s "$D/pids" ] && { echo "start.sh: $D/pids exists; run stop.sh $D first" >&2; exit 1; }
: > "$D/pids"
TIMEOUT=${CP_TIMEOUT:-120}
T0=$(date +%s.%N)
log() { echo "[start +$(echo "$(date +%s.%N) - $T0" | bc | xargs printf '%.1f')s] $*" >&2; }

fail() {
  # A port picked free can be taken by another program before the component binds it: start again
  # on new ports (up to 3 times) rather than fail.
  local attempt=${CP_START_ATTEMPT:-1}
  if [ "$attempt" -lt 3 ] && grep -qs 'address already in use' "$D"/logs/*.log; then
    echo "start.sh: a port was taken meanwhile; starting again on other ports" >&2
    "$HERE/stop.sh" "$D" >/dev/null 2>&1 || true
    rm -rf "$D/logs" "$D/pki" "$D/pids.stopped" "$D/etcd-data-dir"
    CP_DIR=$D CP_BIN=$B CP_START_ATTEMPT=$((attempt + 1)) exec "$0"
  fi
  echo "start.sh: FAILED: $*" >&2
  for l in "$D"/logs/*.log; do [ -f "$l" ] && { echo "--- tail $l" >&2; tail -n 15 "$l" >&2; }; done
  "$HERE/stop.sh" "$D" >&2 || true
  exit 1
}
trap 'fail "line $LINENO"' ERR

# ---- free loopback ports (not in LISTEN state in /proc/net/tcp*); pick at random in 20000-59999
used_ports() {
  local h; for h in $(awk 'NR>1 && $4=="0A"{n=split($2,a,":"); print a[n]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    echo $((16#$h)); done
}
PICKED=" $(used_ports | tr '\n' ' ') "
free_port() {   # free_port VAR: sets VAR to a port neither listening nor already picked by this script
  local p
  while :; do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    [[ "$PICKED" == *" $p "* ]] || break
  done
  PICKED+="$p "; printf -v "$1" '%s' "$p"
}
for v in ETCD_PORT ETCD_PEER API_PORT KCM_PORT SCHED_PORT KWOK_PORT; do free_port "$v"; done

# ---- PKI (openssl): CA, apiserver serving cert, admin client cert (O=system:masters), SA signing key
P=$D/pki
(
  cd "$P"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout ca.key -out ca.crt -subj "/CN=kanari-test-ca" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' > apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout admin.key -out admin.csr \
    -subj "/O=system:masters/CN=kanari-test-admin" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' > admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile admin.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
log "pki ready"

b64() { base64 -w0 < "$1"; }
cat > "$D/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kanari-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$P/ca.crt")
users:
- name: kanari-test-admin
  user:
    client-certificate-data: $(b64 "$P/admin.crt")
    client-key-data: $(b64 "$P/admin.key")
contexts:
- name: kanari-test
  context: {cluster: kanari-test, user: kanari-test-admin}
current-context: kanari-test
EOF
chmod 600 "$D/kubeconfig"
K() { "$B/kubectl" --kubeconfig "$D/kubeconfig" "$@"; }

launch() {   # launch NAME CMD... : own session, log file, pid recorded
  local name=$1; shift
  setsid "$@" > "$D/logs/$name.log" 2>&1 < /dev/null &
  echo "$name $!" >> "$D/pids"
}
wait_for() {  # wait_for WHAT CMD...
  local what=$1; shift; local end=$(( $(date +%s) + TIMEOUT ))
  until "$@" > /dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || fail "timeout waiting for $what"
    local n p; while read -r n p; do kill -0 "$p" 2>/dev/null || fail "$n (pid $p) exited"; done < "$D/pids"
    sleep 0.2
  done
  log "$what ok"
}

# ---- etcd (data on /dev/shm, no fsync)
SHM=/dev/shm; [ -d "$SHM" ] && [ -w "$SHM" ] || SHM=$D
ETCD_DATA=$(mktemp -d "$SHM/kanari-etcd.XXXXXX"); echo "$ETCD_DATA" > "$D/etcd-data-dir"
NOFSYNC=""; ETCD_HELP=$("$B/etcd" --help 2>&1 || true)
grep -q -- '--unsafe-no-fsync' <<<"$ETCD_HELP" && NOFSYNC="--unsafe-no-fsync"
launch etcd "$B/etcd" --name cp --data-dir "$ETCD_DATA" $NOFSYNC --log-level warn \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "cp=http://127.0.0.1:$ETCD_PEER"
wait_for etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# ---- kube-apiserver
launch kube-apiserver "$B/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
  --authorization-mode Node,RBAC --allow-privileged=true --service-cluster-ip-range 10.0.0.0/16 \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --endpoint-reconciler-type none --cert-dir "$D/pki/apiserver-gen" --profiling=false
wait_for kube-apiserver K get --raw /readyz

# ---- kube-controller-manager, kube-scheduler (admin kubeconfig, no leader election; their own HTTPS port
#      serves only the always-allowed /healthz,/readyz,/livez since no authentication-kubeconfig is given)
launch kube-controller-manager "$B/kube-controller-manager" --kubeconfig "$D/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
  --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
  --cert-dir "$D/pki/kcm-gen" --profiling=false
launch kube-scheduler "$B/kube-scheduler" --kubeconfig "$D/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false \
  --cert-dir "$D/pki/sched-gen" --profiling=false

# ---- kwok: only nodes annotated kwok.x-k8s.io/node=fake; stages from the kwok module
launch kwok "$B/kwok" --kubeconfig "$D/kubeconfig" --config "$B/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 --node-ip 127.0.0.1 \
  --server-address "127.0.0.1:$KWOK_PORT" --node-port "$KWOK_PORT"

# ---- fake node(s); KWOK takes a node's spec.podCIDR over its --cidr (the field can only be set once, from empty)
POD_NET=""
if [ -n "${CP_POD_CIDR:-}" ]; then
  [[ "$CP_POD_CIDR" =~ ^([0-9]+\.[0-9]+)\.([0-9]+)\.0/24$ ]] || fail "CP_POD_CIDR must look like 127.1.0.0/24 (got $CP_POD_CIDR)"
  POD_NET=${BASH_REMATCH[1]}; POD_NET3=${BASH_REMATCH[2]}
fi
pod_cidr_spec() {   # pod_cidr_spec NODE_INDEX: the spec line giving node i the i-th /24 of CP_POD_CIDR
  [ -n "$POD_NET" ] || return 0
  local c="$POD_NET.$(( POD_NET3 + $1 )).0/24"
  echo "spec: {podCIDR: \"$c\", podCIDRs: [\"$c\"]}"
}
for i in $(seq 0 $(( ${CP_NODES:-1} - 1 ))); do
  K apply -f - > /dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "1000", memory: 4Ti, pods: "${CP_NODE_PODS:-110}"}
  capacity: {cpu: "1000", memory: 4Ti, pods: "${CP_NODE_PODS:-110}"}
$(pod_cidr_spec "$i")
EOF
done
wait_for "kube-scheduler healthz" curl -sfk "https://127.0.0.1:$SCHED_PORT/healthz"
wait_for "kube-controller-manager healthz" curl -sfk "https://127.0.0.1:$KCM_PORT/healthz"
wait_for "serviceaccount default/default (KCM controllers running)" K -n default get serviceaccount default
wait_for "fake node Ready (kwok)" K wait --for=condition=Ready node --all --timeout=2s
if [ -n "$POD_NET" ]; then
  # KWOK creates a CIDR's IP pool lazily, without a lock: two pods placed in the same instant can get the same IP.
  # One throwaway pod per node creates the pool first.
  for i in $(seq 0 $(( ${CP_NODES:-1} - 1 ))); do
    K -n default apply -f - > /dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ip-pool-$i}
spec: {nodeName: kwok-node-$i, terminationGracePeriodSeconds: 0, containers: [{name: c, image: none}]}
EOF
    wait_for "pod IP pool of kwok-node-$i" bash -c "'$B/kubectl' --kubeconfig '$D/kubeconfig' -n default get pod ip-pool-$i -o jsonpath='{.status.podIP}' | grep -q ."
    K -n default delete pod "ip-pool-$i" --wait=false > /dev/null
  done
fi

cat > "$D/env" <<EOF
KUBECONFIG=$D/kubeconfig
CP_BIN=$B
ETCD_PORT=$ETCD_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
KWOK_PORT=$KWOK_PORT
CP_POD_CIDR=${CP_POD_CIDR:-}
EOF
trap - ERR
log "control plane ready in $D (stop: $HERE/stop.sh $D)"
echo "export KUBECONFIG=$D/kubeconfig"
