#!/usr/bin/env bash
# Pod Security overhead, whole process, on the corpus: no PSS rule at all,
# the default rules (PSS rules on: silent outside labelled namespaces), and
# every workload evaluated at restricted (`--extend-select pss-restricted`).
# The three runs are interleaved, round after round, and the median of each
# is reported, so drift in the machine's load hits all three alike.
#
# Usage: bench/pss.sh [ROUNDS]   (default 15)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${CORPUS:-$root/../shared/corpus}
rounds=${1:-15}
(cd "$root" && cargo build --release --quiet -p kubefort)
k="$root/target/release/kubefort"
names=("no PSS rules" "default rules" "default + pss-restricted everywhere")
args=("--ignore pss-restricted" "" "--extend-select pss-restricted")
declare -a times
for ((r = 0; r < rounds; r++)); do
  for i in 0 1 2; do
    s=$(date +%s%N)
    # shellcheck disable=SC2086
    "$k" scan --no-config --no-progress -f json -o /dev/null ${args[$i]} "$corpus" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    times[$i]="${times[$i]:-} $(((e - s) / 1000000))"
  done
done
base=""
printf '| configuration | median wall (ms) | vs no PSS rules |\n|---|---:|---:|\n'
for i in 0 1 2; do
  med=$(echo "${times[$i]}" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  [ -z "$base" ] && base=$med
  printf '| %s | %s | %+.1f%% |\n' "${names[$i]}" "$med" "$(echo "($med - $base) * 100 / $base" | bc -l)"
done
