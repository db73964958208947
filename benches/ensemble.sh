#!/usr/bin/env bash
# An ensemble of N members run as one job (`basintwin run --members N`) against the same N
# members run one by one as single runs (`--member k`, as a user scripting N runs would), on
# the valley example (400 x 150 cells) and on the same valley at 6.7 m (1200 x 450 cells).
# Prints wall seconds and the ratio ensemble / sum of singles. Run on an idle machine:
#   cargo build --release -p basintwin && benches/ensemble.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BASINTWIN:-${CARGO_TARGET_DIR:-$root/target}/release/basintwin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wall() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }

sed -e "s#../datasets#$root/datasets#" -e 's/duration_s = 7200/duration_s = 3600/' \
  "$root/examples/valley_ensemble.toml" > "$work/small.toml"
"$bin" make-dem valley "$work/big.tif" --nx 1200 --ny 450 --cell 6.6667 >/dev/null
"$bin" make-dem valley-manning "$work/big_n.tif" --nx 1200 --ny 450 --cell 6.6667 >/dev/null
sed -e "s#../datasets/valley.tif#$work/big.tif#" -e "s#../datasets/valley_manning.tif#$work/big_n.tif#" \
  -e 's/duration_s = 7200/duration_s = 900/' -e 's/output_interval_s = 600/output_interval_s = 300/' \
  "$root/examples/valley_ensemble.toml" > "$work/big.toml"

for case in "small 8" "big 4"; do
  set -- $case
  name=$1 n=$2
  ens=$(wall "$bin" run "$work/$name.toml" --members "$n" --output "$work/$name-ens" --overwrite --quiet)
  singles=0
  for k in $(seq 0 $((n - 1))); do
    s=$(wall "$bin" run "$work/$name.toml" --member "$k" --output "$work/$name-m$k" --overwrite --quiet)
    singles=$(echo "$singles + $s" | bc)
  done
  printf '%-6s %2d members: ensemble %6.1f s, %d single runs %6.1f s, ratio %.2f\n' \
    "$name" "$n" "$ens" "$n" "$singles" "$(echo "$ens / $singles" | bc -l)"
done
