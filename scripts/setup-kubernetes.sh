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
source "$(dirname "${BASH_SOURCE[0]}")/setup-helpers.sh"

kubernetes_dir="$BAZAAR_CACHE_DIR/kubernetes-$KUBERNETES_VERSION"
kine_dir="$BAZAAR_CACHE_DIR/kine-$KINE_VERSION"

if [ ! -x "$kubernetes_dir/kube-apiserver" ] || [ ! -x "$kubernetes_dir/kube-controller-manager" ]; then
  step "Building kube-apiserver and kube-controller-manager $KUBERNETES_VERSION from Go modules (first run only, many minutes)"
  mkdir -p "$kubernetes_dir/partial"
  # One invocation for both binaries, so the packages they share are compiled once. -mod=readonly
  # with the committed go.sum: every module is checked against its recorded hash.
  version_flags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35 -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$(dirname "${BASH_SOURCE[0]}")/kubernetes" &&
    go_build_logged "$kubernetes_dir/build.log" \
      go build -mod=readonly -v -trimpath -ldflags "-s -w $version_flags" -o "$kubernetes_dir/partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
  mv "$kubernetes_dir/partial/kube-apiserver" "$kubernetes_dir/partial/kube-controller-manager" "$kubernetes_dir/"
  rmdir "$kubernetes_dir/partial"
fi

if [ ! -x "$kine_dir/kine" ]; then
  step "Building kine $KINE_VERSION from Go modules (first run only, several minutes)"
  mkdir -p "$kine_dir"
  # `go install module@version` builds with kine's own go.mod and checks it against the checksum database.
  go_build_logged "$kine_dir/build.log" \
    env GOBIN="$kine_dir/partial" go install -v -trimpath -ldflags "-s -w" "github.com/k3s-io/kine@$KINE_VERSION"
  mv "$kine_dir/partial/kine" "$kine_dir/kine"
  rmdir "$kine_dir/partial"
fi

KUBE_APISERVER_PATH="$kubernetes_dir/kube-apiserver"
KUBE_CONTROLLER_MANAGER_PATH="$kubernetes_dir/kube-controller-manager"
KINE_PATH="$kine_dir/kine"
export KUBE_APISERVER_PATH KUBE_CONTROLLER_MANAGER_PATH KINE_PATH
