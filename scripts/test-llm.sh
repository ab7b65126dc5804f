#!/usr/bin/env bash
# The opt-in real-model test (`npm run test:llm`): fetches the model if it is not cached (checked
# against its official sha256), installs node-llama-cpp (an optional peer dependency) if it is not
# installed, builds, and runs test/llm against a real daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(./scripts/fetch-llm-model.sh | tail -n 1)
if ! node --input-type=module -e "import.meta.resolve('node-llama-cpp')" >/dev/null 2>&1; then
  # Kanari lists node-llama-cpp as an optional peer dependency, so npm leaves it out of Kanari's own
  # tree even when asked for it: it goes into a directory of its own (its prebuilt CPU binaries for
  # this platform only, no build) and is linked into node_modules, where Kanari's import finds it.
  version=3.22.1
  dir=${KANARI_LLAMA_DIR:-$HOME/.cache/kanari/node-llama-cpp-$version}
  if [ ! -f "$dir/node_modules/node-llama-cpp/package.json" ]; then
    echo "installing node-llama-cpp $version into $dir…" >&2
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{ "private": true }' >"$dir/package.json"
    npm install --prefix "$dir" --ignore-scripts --omit=optional --no-audit --no-fund \
      "node-llama-cpp@$version" "@node-llama-cpp/$(node -p 'process.platform + "-" + process.arch')@$version"
  fi
  ln -sfn "$dir/node_modules/node-llama-cpp" node_modules/node-llama-cpp
fi
npx tsc -p tsconfig.build.json
KANARI_LLM_MODEL="$model" npx vitest run --config vitest.llm.config.ts "$@"
