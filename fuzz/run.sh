#!/usr/bin/env bash
# Run the loader fuzz target for a bounded time (default 60 s).
# Uses a nightly toolchain when one is installed, otherwise the stable one
# with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly-only -Z flags).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
toolchain=()
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
mkdir -p corpus/loader
cp -n seeds/* corpus/loader/ 2>/dev/null || true
cargo "${toolchain[@]}" fuzz run loader corpus/loader -- \
  -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536
