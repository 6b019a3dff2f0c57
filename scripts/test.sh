#!/usr/bin/env bash
# Typechecks, then runs every *.test.ts (unit tests beside the code, component tests in test/)
# on tap (scripts/run-tests.mjs, docs/testing.md), with coverage per package, and ends with the
# line "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/node-env.sh
echo "typecheck: tsc -b"
node_modules/.bin/tsc -b || { echo "0 passed, 1 failed"; exit 1; }
exec node scripts/run-tests.mjs "$@"
