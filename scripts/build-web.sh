#!/usr/bin/env bash
# Builds the web console (web/ -> web/dist) when it is missing or older than any of its sources.
# Sourced by scripts/start.sh; run it directly with `bash scripts/build-web.sh` (or `npm run build:web`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
built=web/dist/index.html
if [[ -f $built ]] && [[ -z $(find web/src web/index.html web/vite.config.ts src/client package-lock.json \
  -newer "$built" -print -quit 2>/dev/null) ]]; then
  echo "Web console: up to date (web/dist)"
else
  echo "Web console: building web/dist (vite)…"
  NODE_ENV=production npx vite build --config web/vite.config.ts --logLevel warn
fi
