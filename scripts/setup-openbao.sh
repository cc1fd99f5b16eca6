#!/usr/bin/env bash
# Builds the OpenBao `bao` binary (pinned by scripts/openbao/go.mod) once into the cache directory,
# for the Vault secret-store tests. Sourced by test.sh after setup.sh; exports BAO_PATH.
set -euo pipefail

BAZAAR_CACHE_DIR="${BAZAAR_CACHE_DIR:-$HOME/.cache/bazaar}"
OPENBAO_VERSION=v2.4.0
# The commit tagged v2.4.0: the pseudo-version scripts/openbao/go.mod pins (`bao version` reports both).
OPENBAO_COMMIT=f9407a27fbee45f62ba521bba2bf1e2360c61031
export PATH="$PATH:/usr/local/go/bin"
source "$(dirname "${BASH_SOURCE[0]}")/setup-helpers.sh"

BAO_PATH="$BAZAAR_CACHE_DIR/openbao-$OPENBAO_VERSION/bao"
if [ ! -x "$BAO_PATH" ]; then
  step "Building OpenBao $OPENBAO_VERSION from Go modules (first run only, several minutes)"
  mkdir -p "$(dirname "$BAO_PATH")"
  # -mod=readonly with the committed go.sum: every module is checked against its recorded hash.
  (cd "$(dirname "${BASH_SOURCE[0]}")/openbao" &&
    go_build_logged "$(dirname "$BAO_PATH")/build.log" \
      go build -mod=readonly -v -trimpath -o "$BAO_PATH.partial" \
      -ldflags "-X github.com/openbao/openbao/version.fullVersion=${OPENBAO_VERSION#v} -X github.com/openbao/openbao/version.GitCommit=$OPENBAO_COMMIT" \
      .)
  mv "$BAO_PATH.partial" "$BAO_PATH"
fi
export BAO_PATH
