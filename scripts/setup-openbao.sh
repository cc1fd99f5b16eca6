#!/usr/bin/env bash
# Builds the OpenBao `bao` binary (pinned by scripts/openbao/go.mod) once into the cache directory,
# for the Vault secret-store tests. Sourced by test.sh after setup.sh; exports BAO_PATH.
set -euo pipefail

BAZAAR_CACHE_DIR="${BAZAAR_CACHE_DIR:-$HOME/.cache/bazaar}"
OPENBAO_VERSION=v2.4.0
# The commit tagged v2.4.0: the pseudo-version scripts/openbao/go.mod pins (`bao version` reports both).
OPENBAO_COMMIT=f9407a27fbee45f62ba521bba2bf1e2360c61031
export PATH="$PATH:/usr/local/go/bin"

BAO_PATH="$BAZAAR_CACHE_DIR/openbao-$OPENBAO_VERSION/bao"
if [ ! -x "$BAO_PATH" ]; then
  printf '\033[1m==> %s\033[0m\n' "Building OpenBao $OPENBAO_VERSION from Go modules (first run only, several minutes)" >&2
  mkdir -p "$(dirname "$BAO_PATH")"
  # -mod=readonly with the committed go.sum: every module is checked against its recorded hash.
  # One progress line every 25 packages built (as setup.sh does); the full log is kept for failures.
  log="$(dirname "$BAO_PATH")/build.log"
  if ! (cd "$(dirname "${BASH_SOURCE[0]}")/openbao" &&
    go build -mod=readonly -v -trimpath -o "$BAO_PATH.partial" \
      -ldflags "-X github.com/openbao/openbao/version.fullVersion=${OPENBAO_VERSION#v} -X github.com/openbao/openbao/version.GitCommit=$OPENBAO_COMMIT" \
      . 2>&1 | tee "$log" |
    awk '{ n++; if (n % 25 == 0) { printf "    ... %d packages built\n", n > "/dev/stderr"; fflush() } }'); then
    tail -n 30 "$log" >&2
    echo "building OpenBao failed; the full log is $log" >&2
    exit 1
  fi
  mv "$BAO_PATH.partial" "$BAO_PATH"
fi
export BAO_PATH
