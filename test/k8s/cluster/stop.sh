#!/usr/bin/env bash
# stop.sh [CP_DIR] — stops a cluster started by start.sh: only the PIDs recorded in CP_DIR/pids, each checked
# against /proc/PID/cmdline so a reused PID is left alone. CP_DIR defaults to $CP_DIR, else the directory of
# $KUBECONFIG. kwok, the scheduler and KCM go first, then the apiserver, then etcd (an apiserver whose etcd is gone
# retries until killed); each gets SIGTERM and, after CP_STOP_GRACE seconds (default 10), SIGKILL. Removes the
# etcd data dir; keeps CP_DIR (logs, pki) unless CP_RM=1.
set -uo pipefail
D=${1:-${CP_DIR:-$(dirname "${KUBECONFIG:-/nonexistent/x}")}}
[ -f "$D/pids" ] || { echo "stop.sh: no pid file $D/pids" >&2; exit 1; }
GRACE=${CP_STOP_GRACE:-10}
ours() {   # ours NAME PID: the pid is alive and still runs the binary NAME (guards against PID reuse)
  local exe; exe=$(tr '\0' '\n' < "/proc/$2/cmdline" 2>/dev/null | head -n1) || return 1
  [ -n "$exe" ] && [ "$(basename "$exe")" = "$1" ]
}
stop_one() {   # stop_one NAME PID
  ours "$1" "$2" || return 0
  kill -TERM "$2" 2>/dev/null
  local i; for i in $(seq 1 $((GRACE * 10))); do ours "$1" "$2" || return 0; sleep 0.1; done
  echo "stop.sh: $1 ($2) still running ${GRACE}s after SIGTERM, sending SIGKILL" >&2
  kill -KILL "$2" 2>/dev/null; return 0
}
mapfile -t LINES < <(tac "$D/pids")
# everything except etcd and the apiserver first, in parallel; then the apiserver; then etcd
for l in "${LINES[@]}"; do set -- $l; case $1 in etcd|kube-apiserver) ;; *) stop_one "$1" "$2" & ;; esac; done
wait
for n in kube-apiserver etcd; do
  for l in "${LINES[@]}"; do set -- $l; [ "$1" = "$n" ] && stop_one "$1" "$2"; done
done
if [ -f "$D/etcd-data-dir" ]; then
  E=$(cat "$D/etcd-data-dir"); case "$E" in */kanari-etcd.*) rm -rf "$E";; esac
fi
mv "$D/pids" "$D/pids.stopped"
[ "${CP_RM:-0}" = 1 ] && rm -rf "$D"
echo "stop.sh: stopped ${#LINES[@]} processes of $D" >&2
