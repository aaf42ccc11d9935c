#!/usr/bin/env bash
# Run a fuzz target for a bounded time: `run.sh [SECONDS] [TARGET]`
# (default 60 s, target `loader`; `admission_review` fuzzes the webhook's
# AdmissionReview decoding and decisions).
# Uses a nightly toolchain when one is installed, otherwise the stable one
# with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly-only -Z flags).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
target=${2:-loader}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
toolchain=()
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
seeds=seeds
[ "$target" = loader ] || seeds="seeds-$target"
mkdir -p "corpus/$target"
cp -n "$seeds"/* "corpus/$target/" 2>/dev/null || true
cargo "${toolchain[@]}" fuzz run "$target" "corpus/$target" -- \
  -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536
