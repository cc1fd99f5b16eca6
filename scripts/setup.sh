#!/usr/bin/env bash
# Installs what Bazaar needs on this machine, each thing once and pinned: npm dependencies, the
# Temporal CLI (built from Go modules into a cache directory), and a running local PostgreSQL.
# Sourced by start.sh and test.sh; exports TEMPORAL_CLI_PATH.
set -euo pipefail

BAZAAR_CACHE_DIR="${BAZAAR_CACHE_DIR:-$HOME/.cache/bazaar}"
TEMPORAL_CLI_VERSION=v1.5.1
export PATH="$PATH:/usr/local/go/bin"


source "$(dirname "${BASH_SOURCE[0]}")/setup-helpers.sh"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` (not `npm ci`): npm 11 leaves other platforms' optional packages out of the lock
  # file and `npm ci` then refuses it; `npm install` still installs the locked versions.
  step "Installing npm dependencies"
  npm install --no-fund --no-audit --loglevel=error
fi

# bubblewrap gives each agent run its own mount, PID and network namespaces (the local sandbox);
# without it agents still run, as plain processes with weaker isolation (see GET /health).
if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  step "Installing bubblewrap (the agent sandbox)"
  if ! apt-get install -y -qq bubblewrap >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null
  fi
fi

TEMPORAL_CLI_PATH="$BAZAAR_CACHE_DIR/temporal-$TEMPORAL_CLI_VERSION/temporal"
if [ ! -x "$TEMPORAL_CLI_PATH" ]; then
  step "Building the Temporal CLI $TEMPORAL_CLI_VERSION from Go modules (first run only, several minutes)"
  mkdir -p "$(dirname "$TEMPORAL_CLI_PATH")"
  go_build_logged "$(dirname "$TEMPORAL_CLI_PATH")/build.log" \
    env GOBIN="$(dirname "$TEMPORAL_CLI_PATH")" go install -v "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  [ -x "$TEMPORAL_CLI_PATH" ] || { echo "building the Temporal CLI failed" >&2; exit 1; }
fi
export TEMPORAL_CLI_PATH

# Start the machine's PostgreSQL when Bazaar uses a local one and it is not answering.
case "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bazaar}" in
  *@127.0.0.1*|*@localhost*)
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
      step "Starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    ;;
esac
