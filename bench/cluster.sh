#!/usr/bin/env bash
# `kubefort cluster` against a real API server (the test environment's
# kube-apiserver and etcd) holding 1,000 to 10,000 objects: median wall time
# and peak memory (RSS) of five runs at each size.
#
#   bash bench/cluster.sh [SIZES...]      (default: 1000 2500 5000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 2500 5000 10000)
runs=${RUNS:-5}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

bash scripts/testenv.sh >/dev/null
cargo build --release -q -p kubefort
cargo build --release -q -p kubefort-testenv --example serve --example populate

work=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$work"' EXIT
mkfifo "$work/stdin"
target/release/examples/serve --allow-privileged <"$work/stdin" >"$work/serve.out" 2>"$work/serve.err" &
exec 3>"$work/stdin"   # the environment lives while this stays open
for _ in $(seq 1 120); do [ -s "$work/serve.out" ] && break; sleep 1; done
kubeconfig=$(head -1 "$work/serve.out")
[ -n "$kubeconfig" ] || { cat "$work/serve.err" >&2; exit 2; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| objects created | objects read | median wall time (s) | median CPU time of kubefort (s) | median peak RSS (MiB) | objects/s |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  target/release/examples/populate "$kubeconfig" "$n" >/dev/null
  : >"$work/times"
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %M %U %S" -o "$work/t" target/release/kubefort cluster \
      --kubeconfig "$kubeconfig" --no-config --include-bootstrap -f json -o "$work/report.json" || true
    tail -1 "$work/t" >>"$work/times"
  done
  read_objects=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['objects'])" "$work/report.json")
  wall=$(cut -d' ' -f1 "$work/times" | median)
  rss=$(cut -d' ' -f2 "$work/times" | median)
  cpu=$(awk '{print $3 + $4}' "$work/times" | median)
  awk -v n="$n" -v o="$read_objects" -v w="$wall" -v r="$rss" -v c="$cpu" \
    'BEGIN { printf "| %d | %d | %.2f | %.2f | %.0f | %.0f |\n", n, o, w, c, r/1024, o/w }'
done
