#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the web console when stale, then runs the Temporal dev server, worker and API in one process tree.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bash scripts/build-web.sh
exec node --import tsx src/main.ts
