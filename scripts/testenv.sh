#!/usr/bin/env bash
# Build the real Kubernetes control plane that kubefort's tests run against:
# kube-apiserver (k8s.io/kubernetes, from the Go module proxy, in a throwaway
# wrapper module that replaces the k8s.io/* staging modules with their
# published versions) and etcd (go.etcd.io/etcd/server/v3). Binaries go to a
# cache outside the repository; a second run costs nothing.
#
# Prints the directory holding `kube-apiserver` and `etcd`.
# Environment: KUBE_VERSION (default 1.37.2), ETCD_VERSION (default 3.6.16),
#              XDG_CACHE_HOME.
set -euo pipefail
kube="${KUBE_VERSION:-1.37.2}"
etcd="${ETCD_VERSION:-3.6.16}"
staging="0.${kube#1.}"
out="${XDG_CACHE_HOME:-$HOME/.cache}/kubefort/testenv/k8s-v$kube-etcd-v$etcd"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "testenv: Go is required to build kube-apiserver and etcd" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod CGO_ENABLED=0

if [ ! -x "$out/etcd" ]; then
  echo "testenv: building etcd v$etcd" >&2
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init kubefort.local/testenv-etcd >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@v$etcd" >&2
  go build -trimpath -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  mv "$out/etcd.tmp" "$out/etcd"
fi

if [ ! -x "$out/kube-apiserver" ]; then
  echo "testenv: building kube-apiserver v$kube (several minutes the first time)" >&2
  mkdir -p "$work/kube" && cd "$work/kube"
  go mod init kubefort.local/testenv-kube >/dev/null 2>&1
  # The staging modules k8s.io/kubernetes replaces with local paths, pinned
  # to their published versions instead.
  mods=$(curl -fsS "https://proxy.golang.org/k8s.io/kubernetes/@v/v$kube.mod" 2>/dev/null \
    | sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' || true)
  if [ -z "$mods" ]; then
    go mod download -json "k8s.io/kubernetes@v$kube" >/dev/null
    mods=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' \
      "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$kube.mod")
  fi
  for m in $mods; do
    go mod edit -replace "$m=$m@v$staging"
  done
  go mod edit -require "k8s.io/kubernetes@v$kube"
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy >&2 2>/dev/null || true
  minor="${kube#1.}"; minor="${minor%%.*}"
  v=k8s.io/component-base/version
  ldflags="-X $v.gitVersion=v$kube -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=v$kube"
  go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
  mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"
fi
echo "$out"
