#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager (pinned by scripts/kubernetes/go.mod) and kine (the
# SQLite-backed etcd stand-in they store in) once into the cache directory, for the Kubernetes driver
# tests. Sourced by test.sh after setup.sh; exports KUBE_APISERVER_PATH, KUBE_CONTROLLER_MANAGER_PATH
# and KINE_PATH.
set -euo pipefail

BAZAAR_CACHE_DIR="${BAZAAR_CACHE_DIR:-$HOME/.cache/bazaar}"
KUBERNETES_VERSION=v1.35.4
KINE_VERSION=v0.16.4
export PATH="$PATH:/usr/local/go/bin"

kubernetes_dir="$BAZAAR_CACHE_DIR/kubernetes-$KUBERNETES_VERSION"
kine_dir="$BAZAAR_CACHE_DIR/kine-$KINE_VERSION"

# Runs a `go build -v`/`go install -v` given as arguments, printing one progress line every 25
# packages; the full log is kept in $1 for failures.
kubernetes_go_build() {
  local log="$1"
  shift
  if ! ("$@" 2>&1 | tee "$log" |
    awk '{ n++; if (n % 25 == 0) { printf "    ... %d packages built\n", n > "/dev/stderr"; fflush() } }'); then
    tail -n 30 "$log" >&2
    echo "the build failed; the full log is $log" >&2
    return 1
  fi
}

if [ ! -x "$kubernetes_dir/kube-apiserver" ] || [ ! -x "$kubernetes_dir/kube-controller-manager" ]; then
  printf '\033[1m==> %s\033[0m\n' "Building kube-apiserver and kube-controller-manager $KUBERNETES_VERSION from Go modules (first run only, many minutes)" >&2
  mkdir -p "$kubernetes_dir/partial"
  # One invocation for both binaries, so the packages they share are compiled once. -mod=readonly
  # with the committed go.sum: every module is checked against its recorded hash.
  version_flags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35 -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$(dirname "${BASH_SOURCE[0]}")/kubernetes" &&
    kubernetes_go_build "$kubernetes_dir/build.log" \
      go build -mod=readonly -v -trimpath -ldflags "-s -w $version_flags" -o "$kubernetes_dir/partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
  mv "$kubernetes_dir/partial/kube-apiserver" "$kubernetes_dir/partial/kube-controller-manager" "$kubernetes_dir/"
  rmdir "$kubernetes_dir/partial"
fi

if [ ! -x "$kine_dir/kine" ]; then
  printf '\033[1m==> %s\033[0m\n' "Building kine $KINE_VERSION from Go modules (first run only, several minutes)" >&2
  mkdir -p "$kine_dir"
  # `go install module@version` builds with kine's own go.mod and checks it against the checksum database.
  kubernetes_go_build "$kine_dir/build.log" \
    env GOBIN="$kine_dir/partial" go install -v -trimpath -ldflags "-s -w" "github.com/k3s-io/kine@$KINE_VERSION"
  mv "$kine_dir/partial/kine" "$kine_dir/kine"
  rmdir "$kine_dir/partial"
fi

KUBE_APISERVER_PATH="$kubernetes_dir/kube-apiserver"
KUBE_CONTROLLER_MANAGER_PATH="$kubernetes_dir/kube-controller-manager"
KINE_PATH="$kine_dir/kine"
export KUBE_APISERVER_PATH KUBE_CONTROLLER_MANAGER_PATH KINE_PATH
