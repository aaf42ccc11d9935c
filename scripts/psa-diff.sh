#!/usr/bin/env bash
# Differential test: kubefort's Pod Security evaluation against the upstream
# policy package (k8s.io/pod-security-admission, built from the Go module
# proxy into a cache outside the repository). Random pods at both levels and
# every policy version; every failure message must match.
#
# Usage: scripts/psa-diff.sh [COUNT] [SEED]   (defaults: 3000, 1)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
count="${1:-3000}"
seed="${2:-1}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kubefort/psa-diff"
mkdir -p "$cache"
bin="$cache/psa-diff-$(cat "$here/psa-diff/go.sum" "$here/psa-diff/main.go" | sha256sum | cut -c1-16)"
if [ ! -x "$bin" ]; then
  (cd "$here/psa-diff" && go build -o "$bin.tmp" . && mv "$bin.tmp" "$bin")
fi
(cd "$root" && cargo build --release --locked -q -p kubefort)
python3 "$here/psa-diff/compare.py" "$root/target/release/kubefort" "$bin" "$count" "$seed"
