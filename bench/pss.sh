#!/usr/bin/env bash
# Pod Security overhead: the corpus scanned without any PSS rule, with the
# default rules (PSS rules on, namespace pre-pass, silent outside labelled
# namespaces), and with every workload evaluated at restricted. Side by side
# with hyperfine; the ratios are the PSS cost.
#
# Usage: bench/pss.sh [RUNS]   (default 10)
# (-i: the corpus holds invalid files on purpose, so every run exits 2.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${CORPUS:-$root/../shared/corpus}
runs=${1:-10}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
(cd "$root" && cargo build --release --quiet -p kubefort)
k="$root/target/release/kubefort scan --no-config --no-progress -f json -o /dev/null"
hyperfine -i --warmup 2 --runs "$runs" -N --export-markdown "${BENCH_OUT:-/dev/stdout}" \
  -n "no PSS rules" "$k --ignore pss-restricted $corpus" \
  -n "default rules" "$k $corpus" \
  -n "default + pss-restricted everywhere" "$k --extend-select pss-restricted $corpus"
