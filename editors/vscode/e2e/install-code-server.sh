#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench served to a browser) into a cache folder and
# prints that folder's code-server executable. Its npm postinstall cannot run here (it downloads
# ripgrep from GitHub), so this script does what it would have done with what apt and npm give.
# A finished install is marked with .complete and reused, so a rerun takes no time.
#
# Needs: node 20 and npm (code-server 4.100.3 is the newest that runs on Node 20), apt
# build-essential libkrb5-dev ripgrep.
set -euo pipefail

version=4.100.3
cache=${CODEGPT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codegpt-e2e}
prefix=$cache/code-server-$version
root=$prefix/node_modules/code-server
log=$cache/install-code-server-$version.log

if [ -f "$prefix/.complete" ]; then
  echo "$root/out/node/entry.js"
  exit 0
fi

mkdir -p "$cache"
rm -rf "$prefix"
mkdir -p "$prefix"
: > "$log"
say() { echo "install-code-server: $*" >&2; }
quiet() { "$@" >> "$log" 2>&1 || { tail -40 "$log" >&2; say "failed: $*"; exit 2; }; }

rg_path=$(command -v rg || true)
if [ -z "$rg_path" ]; then
  say "ripgrep is missing: apt-get install ripgrep"
  exit 2
fi

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp asks before fetching headers otherwise.
export npm_config_yes=true

say "npm install code-server@$version (scripts off)"
quiet npm install --prefix "$prefix" --omit=dev --ignore-scripts "code-server@$version"
# argon2 checks passwords; code-server loads it even with --auth none.
(cd "$prefix" && quiet npm rebuild argon2)

say "VS Code's own dependencies"
cd "$root/lib/vscode"
quiet npm install --omit=dev --ignore-scripts
# The native modules a workbench with an extension host needs. Left out on purpose:
# @vscode/spdlog (over two minutes of C++ on two cores; VS Code catches its failed import and
# then keeps logs in memory instead of files) and kerberos (proxy authentication only).
# @parcel/watcher ships prebuilt binaries as optional dependencies.
quiet npm rebuild @vscode/deviceid native-watchdog node-pty

# What the postinstall would have done: ripgrep where @vscode/ripgrep looks for it, the asar
# alias and the two platform scripts.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$rg_path" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server
ln -sf browser-linux.sh bin/helpers/browser.sh

say "built-in extensions' dependencies"
(cd extensions && quiet npm install --omit=dev)

touch "$prefix/.complete"
echo "$root/out/node/entry.js"
