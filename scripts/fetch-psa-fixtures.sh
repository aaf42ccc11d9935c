#!/usr/bin/env bash
# Fetch the Pod Security Admission module (k8s.io/pod-security-admission) from
# the Go module proxy into the Go module cache, and print the directory of its
# conformance fixtures (test/testdata/{baseline,restricted}/v1.N/{pass,fail}).
# Idempotent: a second run only prints the path.
set -euo pipefail
version="${PSA_VERSION:-v0.37.2}"
command -v go >/dev/null || { echo "fetch-psa-fixtures: Go is required (https://go.dev/dl/)" >&2; exit 1; }
modcache="$(go env GOMODCACHE)"
dir="$modcache/k8s.io/pod-security-admission@$version/test/testdata"
if [ ! -d "$dir" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && go mod init kubefort.local/psa >/dev/null 2>&1 &&
    go mod download "k8s.io/pod-security-admission@$version") >&2
fi
[ -d "$dir" ] || { echo "fetch-psa-fixtures: $dir missing after download" >&2; exit 1; }
echo "$dir"
