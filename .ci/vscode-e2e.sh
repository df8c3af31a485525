#!/usr/bin/env bash
# The VS Code extension end to end: a real VS Code (code-server 4.100.3) in Debian's Chromium,
# driven by playwright-core (editors/vscode/e2e/run.mjs). Installs what it needs on a fresh
# Debian machine; code-server is cached outside the repo ($CODEGPT_E2E_CACHE, default
# ~/.cache/codegpt-e2e), so a rerun on the same machine skips the install.
#
# Run from anywhere with the project venv active (its python serves codegpt, or set
# CODEGPT_PYTHON). Exit code: 0 when every step passed or was skipped (a skip names the server
# feature or model that is missing), non-zero otherwise; screenshots of a failed step are left in
# editors/vscode/e2e/artifacts/, and a passing ghost-text step writes docs/vscode-ghost-text.png.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo; echo "=== vscode e2e: $* ($(( $(date +%s) - start )) s)"; }

step "apt packages (chromium, ripgrep, compilers for code-server's native modules)"
missing=()
for package in chromium build-essential ripgrep; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
chromium --version 2>/dev/null | head -1

step "code-server 4.100.3"
entry=$(bash editors/vscode/e2e/install-code-server.sh)
echo "$entry"

step "playwright-core"
(cd editors/vscode/e2e && npm ci --no-audit --no-fund --loglevel=error)

step "the extension's .vsix"
if [ ! -f editors/vscode/codegpt.vsix ]; then
  (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error && npm run package)
fi
ls -l editors/vscode/codegpt.vsix

step "end-to-end run"
CODE_SERVER_ENTRY="$entry" CODEGPT_PYTHON="${CODEGPT_PYTHON:-$(command -v python)}" \
  node editors/vscode/e2e/run.mjs
step "done"
