#!/usr/bin/env bash
# Differential test: `kubefort rbac can` against the API server's own RBAC
# authorizer (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac, built from
# the Go module proxy into a cache outside the repository). Random Roles,
# ClusterRoles and bindings (wildcards, subresources, resourceNames,
# non-resource URLs, ServiceAccount subjects with and without namespace,
# missing roles, ClusterRoles aggregated by the API server's aggregation
# controller), random users and requests; every decision must match.
#
# Usage: scripts/rbac-diff.sh [COUNT] [SEED]   (defaults: 2000, 1)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
count="${1:-2000}"
seed="${2:-1}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kubefort/rbac-diff"
mkdir -p "$cache"
bin="$cache/rbac-diff-$(cat "$here/rbac-diff/go.sum" "$here/rbac-diff/main.go" | sha256sum | cut -c1-16)"
if [ ! -x "$bin" ]; then
  (cd "$here/rbac-diff" && go build -o "$bin.tmp" . && mv "$bin.tmp" "$bin")
fi
(cd "$root" && cargo build --release --locked -q -p kubefort)
python3 "$here/rbac-diff/compare.py" "$root/target/release/kubefort" "$bin" "$count" "$seed"
