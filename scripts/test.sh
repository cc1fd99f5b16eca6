#!/usr/bin/env bash
# `npm test`: installs what is missing, then typechecks, lints, checks formatting and runs every test.
# The tests start their own Temporal dev server and use a fresh database per run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/setup-openbao.sh
source scripts/setup-stripe-mock.sh
source scripts/setup-kubernetes.sh
source scripts/setup-chromium.sh
step "Typecheck"; npx tsc --noEmit && npx tsc --noEmit -p web
step "Lint"; npx eslint --max-warnings 0 . && npx knip --no-progress
step "Format"; npx prettier --check --log-level warn .
step "Generated API client is current"; npx tsx scripts/generate-client.ts --check
step "Tests"; npx vitest run "$@"
