#!/usr/bin/env bash
# Whole-process benchmark: kubefort against Checkov on the shared manifest
# corpus, side by side in one run, with wall time and peak memory.
#
# Usage: bench/run.sh [KUBEFORT_RUNS] [CHECKOV_RUNS]
#   KUBEFORT_RUNS  timed kubefort runs per data set (default 5; the median is reported)
#   CHECKOV_RUNS   timed Checkov runs on the subset (default 1; 0 skips Checkov)
# Environment:
#   CORPUS        corpus directory (default ../shared/corpus beside the repository)
#   BENCH_CACHE   where Checkov's virtualenv and generated corpora live
#                 (default ~/.cache/kubefort-bench; never inside the repository)
#   LARGE_COPIES  copies for the scale data set (default 10; 0 skips it)
#   CHECKOV_FULL  1: also time Checkov on the whole corpus (about 10 minutes and 9 GiB;
#                 CHECKOV_FULL_ARGS adds arguments, e.g. --skip-check ID for its slowest check)
#
# Data sets:
#   subset  the 4,405 files outside the kyverno test folders (_kyverno-test*, _chainsaw-test*)
#   full    the whole corpus (6,052 files)
#   large   LARGE_COPIES renamed copies of the corpus (make-large-corpus.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${CORPUS:-$root/../shared/corpus}
cache=${BENCH_CACHE:-$HOME/.cache/kubefort-bench}
kruns=${1:-5}
cruns=${2:-1}
copies=${LARGE_COPIES:-10}
mkdir -p "$cache"

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

echo "== building kubefort (release)" >&2
(cd "$root" && cargo build --release --quiet)
kubefort="$root/target/release/kubefort"

if [ "$cruns" -gt 0 ] && [ ! -x "$cache/checkov-venv/bin/checkov" ]; then
  echo "== installing Checkov 3.3.30 into $cache/checkov-venv" >&2
  python3 -m venv "$cache/checkov-venv"
  "$cache/checkov-venv/bin/pip" install -q 'checkov==3.3.30'
fi

subset="$cache/corpus-subset"
if [ ! -d "$subset" ]; then
  echo "== making the subset corpus" >&2
  (cd "$corpus" && find . -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
     -not -path '*/_kyverno-test*' -not -path '*/_chainsaw-test*' -print0 |
     while IFS= read -r -d '' f; do mkdir -p "$subset/$(dirname "$f")"; cp "$f" "$subset/$f"; done)
fi
large="$cache/corpus-x$copies"
if [ "$copies" -gt 0 ] && [ ! -d "$large" ]; then
  echo "== making $copies copies of the corpus" >&2
  bash "$corpus/../bench/make-large-corpus.sh" -s "$corpus" "$large" "$copies" >&2
fi

# time_run LABEL OUTFILE CMD... -> prints "seconds max_rss_kb exit"
time_run() {
  local out=$1; shift
  /usr/bin/time -f '%e %M %x' -o "$out.time" "$@" < /dev/null > "$out.stdout" 2> "$out.stderr" || true
  tail -1 "$out.time"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A ksec krss cksec ckrss
sets=(subset full)
[ "$copies" -gt 0 ] && sets+=(large)
for set in "${sets[@]}"; do
  case $set in subset) dir=$subset ;; full) dir=$corpus ;; large) dir=$large ;; esac
  times=(); rss=()
  for i in $(seq 1 "$kruns"); do
    read -r s m _ < <(time_run "$work/k-$set-$i" "$kubefort" scan --no-progress --no-config -f json "$dir")
    times+=("$s"); rss+=("$m")
    echo "kubefort $set run $i: ${s}s ${m} KiB" >&2
  done
  ksec[$set]=$(printf '%s\n' "${times[@]}" | median)
  krss[$set]=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  findings=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); s=d['summary']; print(s['files'], s['objects'], s['findings'])" "$work/k-$set-1.stdout")
  echo "kubefort $set: files objects findings = $findings" >&2
done

checkov_run() {
  local set=$1 dir=$2; shift 2
  local times=() rss=()
  for i in $(seq 1 "$cruns"); do
    # Checkov skips every directory under a hidden one (the cache lives in
    # ~/.cache), so it is run from inside the data set with `-d .`.
    read -r s m _ < <(cd "$dir" && time_run "$work/c-$set-$i" "$cache/checkov-venv/bin/checkov" -d . \
      --framework kubernetes -o json --quiet "$@")
    times+=("$s"); rss+=("$m")
    echo "checkov $set run $i: ${s}s ${m} KiB" >&2
  done
  cksec[$set]=$(printf '%s\n' "${times[@]}" | median)
  ckrss[$set]=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
}
if [ "$cruns" -gt 0 ]; then
  checkov_run subset "$subset"
  if [ "${CHECKOV_FULL:-0}" = 1 ]; then
    # shellcheck disable=SC2086
    checkov_run full "$corpus" ${CHECKOV_FULL_ARGS:-}
  fi
fi

echo
echo "| data set | kubefort (median of $kruns) | kubefort peak RSS | Checkov | Checkov peak RSS (largest process) | speed ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for set in "${sets[@]}"; do
  c=${cksec[$set]:-}
  if [ -n "$c" ]; then
    ratio=$(python3 -c "print(f'{$c/max(${ksec[$set]},0.01):.0f}x')")
    echo "| $set | ${ksec[$set]} s | $((krss[$set]/1024)) MiB | $c s | $((ckrss[$set]/1024)) MiB | $ratio |"
  else
    echo "| $set | ${ksec[$set]} s | $((krss[$set]/1024)) MiB | not run | | |"
  fi
done
