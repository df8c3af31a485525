#!/usr/bin/env bash
# One-command GPU run (see training/gpu_run.py): corpus from this machine's Python sources,
# train, export, eval, artifacts into $OUT. Needs no installed codegpt: the script imports this
# source tree. Example: bash training/gpu_run.sh --out "$OUT" --config small --peak-flops 7.9e14
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
exec "${PYTHON:-python3}" training/gpu_run.py "$@"
