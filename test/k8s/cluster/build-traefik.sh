#!/usr/bin/env bash
# Builds Traefik, the Gateway API data plane of the traffic test stack, from published Go modules (no containers).
# Cached by version under $KANARI_K8S_CACHE (default $HOME/.cache/kanari)/traefik-<version>; when the binary is there
# it prints its path and returns at once. The last line on stdout is the binary's path.
# Three modules Traefik needs are not served by the Go module proxy, so the wrapper module works around them:
#   - traefik/dynamic/ext, a nested module upstream replaces with a local path: a stub with the same empty types;
#   - the pinned pseudo-version of Traefik's go-http-auth fork: the fork's previous pseudo-version (same API);
#   - some DNS SDKs behind lego's providers/dns: a lego copy whose DNS-01 provider registry is empty.
# Env: TRAEFIK_VERSION (v3.7.13) KANARI_K8S_CACHE GO TRAEFIK_BUILD_P (go build -p, default 1: the link peaks ~3.3 GB)
set -euo pipefail
VER=${TRAEFIK_VERSION:-v3.7.13}
LEGO_VER=v5.4.1
ROOT=${KANARI_K8S_CACHE:-$HOME/.cache/kanari}
OUT="$ROOT/traefik-$VER"
if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false"
mkdir -p "$ROOT"
exec 9> "$ROOT/.build-traefik.lock"; flock 9     # one build per cache directory
if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
WORK="$ROOT/.work/traefik-$VER"
mkdir -p "$WORK/ext"
cd "$WORK"
log() { echo "[build-traefik $(date +%H:%M:%S)] $*" >&2; }

printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' > ext/go.mod
cat > ext/ext.go <<'EOF'
// Package ext holds Traefik's dynamic configuration extension points, empty in upstream's build as well.
package ext

type HTTP struct{}

type Router struct{}

type RouterIng struct{}

func (RouterIng) ToRouter() Router { return Router{} }
EOF

if [ ! -d lego ]; then
  SRC=$("$GO" mod download -json "github.com/go-acme/lego/v5@$LEGO_VER" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$SRC" ] || { log "cannot download lego $LEGO_VER"; exit 1; }
  rm -rf lego.partial; cp -r "$SRC" lego.partial; chmod -R u+w lego.partial
  rm -f lego.partial/providers/dns/*.go
  cat > lego.partial/providers/dns/dns.go <<'EOF'
// Package dns has no DNS-01 providers in this build: several of their SDKs are not on the Go module proxy.
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS-01 provider %q is not part of this Traefik build", name)
}
EOF
  mv lego.partial lego
fi

if [ ! -f go.sum ] || ! grep -q "github.com/traefik/traefik/v3 $VER " go.sum; then
  rm -f go.mod go.sum
  "$GO" mod init local/traefikbuild >/dev/null 2>&1
  UP=$("$GO" mod download -json "github.com/traefik/traefik/v3@$VER" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -s "$UP" ] || { log "cannot read go.mod of traefik $VER"; exit 1; }
  grep -q "github.com/go-acme/lego/v5 $LEGO_VER" "$UP" || { log "traefik $VER no longer uses lego $LEGO_VER: set LEGO_VER"; exit 1; }
  "$GO" mod edit -go="$(awk '$1=="go"{print $2; exit}' "$UP")" -require="github.com/traefik/traefik/v3@$VER"
  # Go ignores a dependency's replace and exclude lines: restate upstream's versioned ones here.
  "$GO" mod edit -json "$UP" | node -e '
    const mod = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    for (const r of mod.Replace ?? [])
      if (r.New.Version) console.log(`-replace=${r.Old.Path}${r.Old.Version ? "@" + r.Old.Version : ""}=${r.New.Path}@${r.New.Version}`);
    for (const e of mod.Exclude ?? []) console.log(`-exclude=${e.Path}@${e.Version}`);
  ' | while read -r edit; do "$GO" mod edit "$edit"; done
  "$GO" mod edit -replace=github.com/traefik/traefik/dynamic/ext=./ext \
    -replace=github.com/go-acme/lego/v5=./lego \
    -replace=github.com/abbot/go-http-auth=github.com/containous/go-http-auth@v0.4.1-0.20200324110947-a37a7636d23e
  log "go get traefik $VER"
  "$GO" get "github.com/traefik/traefik/v3/cmd/traefik@$VER"
fi

START=$(date +%s)
log "go build traefik $VER (-p ${TRAEFIK_BUILD_P:-1})"
"$GO" build -p "${TRAEFIK_BUILD_P:-1}" -trimpath \
  -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$VER" \
  -o "$OUT.tmp" github.com/traefik/traefik/v3/cmd/traefik
mv "$OUT.tmp" "$OUT"
log "done: $(du -h "$OUT" | cut -f1) in $(( $(date +%s) - START )) s"
echo "$OUT"
