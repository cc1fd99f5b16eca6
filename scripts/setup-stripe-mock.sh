#!/usr/bin/env bash
# Builds stripe-mock (pinned) once from Go modules into the cache directory, for the Stripe payments
# tests. Sourced by test.sh after setup.sh; exports STRIPE_MOCK_PATH.
set -euo pipefail

BAZAAR_CACHE_DIR="${BAZAAR_CACHE_DIR:-$HOME/.cache/bazaar}"
STRIPE_MOCK_VERSION=v0.197.0
export PATH="$PATH:/usr/local/go/bin"

STRIPE_MOCK_PATH="$BAZAAR_CACHE_DIR/stripe-mock-$STRIPE_MOCK_VERSION/stripe-mock"
if [ ! -x "$STRIPE_MOCK_PATH" ]; then
  printf '\033[1m==> %s\033[0m\n' "Building stripe-mock $STRIPE_MOCK_VERSION from Go modules (first run only, a minute or two)" >&2
  mkdir -p "$(dirname "$STRIPE_MOCK_PATH")"
  # One progress line every 25 packages built (as setup.sh does); the full log is kept for failures.
  log="$(dirname "$STRIPE_MOCK_PATH")/build.log"
  if ! (GOBIN="$(dirname "$STRIPE_MOCK_PATH")" go install -v "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" 2>&1 |
    tee "$log" |
    awk '{ n++; if (n % 25 == 0) { printf "    ... %d packages built\n", n > "/dev/stderr"; fflush() } }') ||
    [ ! -x "$STRIPE_MOCK_PATH" ]; then
    tail -n 30 "$log" >&2
    echo "building stripe-mock failed; the full log is $log" >&2
    exit 1
  fi
fi
export STRIPE_MOCK_PATH
