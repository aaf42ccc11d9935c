#!/usr/bin/env bash
# Side by side on the same files in one run: kubefort and every installed
# peer (bench/peers.sh) on the corpus subset that bench/run.sh makes (4,405
# files outside the kyverno test folders), each in its closest mode to
# "all built-in checks, JSON out". Wall time and peak RSS from GNU time.
#
#   bash bench/peers-run.sh [PEER_RUNS]     (default 1; kubefort runs 5 times)
#
# kube-score and the Kyverno CLI stop at the first file they cannot read, so
# they get one invocation per project folder of the corpus; the table says
# how many folders each could finish.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${BENCH_CACHE:-$HOME/.cache/kubefort-bench}
subset=$cache/corpus-subset
pruns=${1:-1}
[ -d "$subset" ] || { echo "run bench/run.sh once first: it makes $subset" >&2; exit 2; }
bash "$here/peers.sh" >/dev/null
eval "$(bash "$here/peers.sh" --env)"
(cd "$root" && cargo build --release --quiet -p kubefort)
kubefort=$root/target/release/kubefort
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# measure OUT CMD... -> "seconds max_rss_kib"
measure() {
  local out=$1; shift
  /usr/bin/time -f '%e %M' -o "$out.time" "$@" >"$out.stdout" 2>"$out.stderr" </dev/null || true
  tail -1 "$out.time"
}
row() { # name seconds rss note
  local ratio
  ratio=$(python3 -c "print(f'{$2/max($kf_sec,0.001):.0f}×')")
  printf '| %s | %.2f s | %s MiB | %s | %s |\n' "$1" "$2" "$(( $3 / 1024 ))" "$ratio" "$4"
}

times=(); rss=()
for i in $(seq 1 5); do
  read -r s m < <(measure "$work/kf" "$kubefort" scan --no-config --no-progress -f json "$subset")
  times+=("$s"); rss+=("$m")
done
kf_sec=$(printf '%s\n' "${times[@]}" | median)
kf_rss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
kf_findings=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['findings'])" "$work/kf.stdout")

echo "| tool | median wall time | peak RSS | time vs kubefort | notes |"
echo "| --- | ---: | ---: | ---: | --- |"
printf '| kubefort %s | %s s | %s MiB | 1× | %s findings, every default rule |\n' \
  "$("$kubefort" --version | cut -d' ' -f2)" "$kf_sec" "$((kf_rss / 1024))" "$kf_findings"

peer() { # name cmd...
  local name=$1; shift
  local t=() r=()
  for i in $(seq 1 "$pruns"); do
    read -r s m < <(measure "$work/$name" "$@")
    t+=("$s"); r+=("$m")
  done
  printf '%s %s\n' "$(printf '%s\n' "${t[@]}" | median)" "$(printf '%s\n' "${r[@]}" | sort -n | tail -1)"
}

if [ -n "${PEER_TRIVY:-}" ]; then
  read -r s m < <(peer trivy "$PEER_TRIVY" config --format json --quiet --skip-check-update --timeout 60m "$subset")
  n=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(r.get('Misconfigurations') or []) for r in d.get('Results') or []))" "$work/trivy.stdout" 2>/dev/null || echo "?")
  row "Trivy $("$PEER_TRIVY" --version | head -1 | cut -d' ' -f2) \`config\`" "$s" "$m" "$n misconfigurations (embedded checks; the default --timeout 5m is not enough)"
fi

# Per project folder: the tools that stop at the first unreadable file.
per_project() { # name cmd-prefix... ; files appended per folder
  local name=$1; shift
  local total=0 peak=0 ok=0 all=0
  for d in "$subset"/*/; do
    all=$((all + 1))
    find "$d" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 >"$work/list"
    [ -s "$work/list" ] || { ok=$((ok + 1)); continue; }
    read -r s m < <(measure "$work/$name-p" sh -c 'xargs -0 "$@" < "$0"' "$work/list" "$@")
    total=$(python3 -c "print($total + $s)")
    [ "$m" -gt "$peak" ] && peak=$m
    # Both exit non-zero when they find problems: a folder failed when the
    # tool says it could not read a file.
    grep -Eq '^(Error: failed to load|Failed to (score|parse))' "$work/$name-p.stderr" || ok=$((ok + 1))
  done
  printf '%s %s %s %s\n' "$total" "$peak" "$ok" "$all"
}
if [ -n "${PEER_KUBE_SCORE:-}" ]; then
  read -r s m ok all < <(per_project kube-score "$PEER_KUBE_SCORE" score -o json)
  row "kube-score v1.20.0" "$s" "$m" "one run per project folder (sum); $ok of $all folders scored, the rest stopped at a file it could not parse"
fi
if [ -n "${PEER_KYVERNO:-}" ]; then
  mkdir -p "$work/kpol"
  find "$root/../shared/corpus/kyverno__policies/pod-security/baseline" "$root/../shared/corpus/kyverno__policies/pod-security/restricted" \
    -maxdepth 2 -name '*.yaml' -exec grep -l '^kind: ClusterPolicy' {} + | xargs -I{} cp {} "$work/kpol/"
  cat >"$work/kyverno.sh" <<EOF
#!/bin/sh
# Each file becomes --resource=FILE (names may hold spaces).
for f do set -- "\$@" "--resource=\$f"; shift; done
exec "$PEER_KYVERNO" apply "$work/kpol" "\$@"
EOF
  chmod +x "$work/kyverno.sh"
  read -r s m ok all < <(per_project kyverno "$work/kyverno.sh")
  row "Kyverno CLI v1.19.1 \`apply\`, the 18 Pod Security policies of kyverno/policies" "$s" "$m" "one run per project folder (sum); $ok of $all folders finished"
fi
echo
echo "kubeconform: not comparable offline (it downloads JSON schemas from GitHub, which this machine cannot reach)."
echo "Polaris, kubesec, kube-linter, Kubescape: not installable here (bench/peers.sh gives the proxy's answer)."
