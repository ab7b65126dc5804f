#!/usr/bin/env bash
# The opt-in real-model test (`npm run test:llm`): fetches the model if it is not cached (checked
# against its official sha256), installs node-llama-cpp (an optional peer dependency) if it is not
# installed, builds, and runs test/llm against a real daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(./scripts/fetch-llm-model.sh | tail -n 1)
if ! node --input-type=module -e "import.meta.resolve('node-llama-cpp')" >/dev/null 2>&1; then
  echo "installing node-llama-cpp 3.22.1 (not saved to package.json; its prebuilt binaries, no build)…" >&2
  npm install --no-save --ignore-scripts node-llama-cpp@3.22.1
fi
npx tsc -p tsconfig.build.json
KANARI_LLM_MODEL="$model" npx vitest run --config vitest.llm.config.ts "$@"
