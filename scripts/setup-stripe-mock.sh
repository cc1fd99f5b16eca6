#!/usr/bin/env bash
# Builds stripe-mock (pinned) once from Go modules into the cache directory, for the Stripe payments
# tests. Sourced by test.sh after setup.sh; exports STRIPE_MOCK_PATH.
set -euo pipefail

BAZAAR_CACHE_DIR="${BAZAAR_CACHE_DIR:-$HOME/.cache/bazaar}"
STRIPE_MOCK_VERSION=v0.197.0
export PATH="$PATH:/usr/local/go/bin"
source "$(dirname "${BASH_SOURCE[0]}")/setup-helpers.sh"

STRIPE_MOCK_PATH="$BAZAAR_CACHE_DIR/stripe-mock-$STRIPE_MOCK_VERSION/stripe-mock"
if [ ! -x "$STRIPE_MOCK_PATH" ]; then
  step "Building stripe-mock $STRIPE_MOCK_VERSION from Go modules (first run only, a minute or two)"
  mkdir -p "$(dirname "$STRIPE_MOCK_PATH")"
  go_build_logged "$(dirname "$STRIPE_MOCK_PATH")/build.log" \
    env GOBIN="$(dirname "$STRIPE_MOCK_PATH")" go install -v "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
fi
export STRIPE_MOCK_PATH
