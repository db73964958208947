#!/usr/bin/env bash
# The GPU figures the README's speed section asks for, on a machine with a real GPU (Vulkan
# through the vendor's driver). Writes everything under $OUT (default: gpu-figures/):
#   bench_gpu.json     basintwin bench, every scheme, f32, 1024^2 / 4096^2 / 8192^2, 200 steps
#   bench_cpu.json     the same machine's CPU backend at 1024^2 and 4096^2, for the ratio
#   criterion_gpu.txt  the criterion GPU bench at the same sizes
#   ensemble_gpu.txt   96 members of a 4-million-cell valley (2000 x 2000 cells of 4 m), one
#                      simulated hour of the valley storm: wall time, members x cells per second
#                      (the figure to set against Wei et al. 2023: 2.0 min for 96 such runs on
#                      eight P100s)
# (The JSON names the adapter. The viewer's frame time is a separate command: README, viewer.)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-figures}"
mkdir -p "$out"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p basintwin
bin="$target/release/basintwin"
"$bin" bench --backend gpu --scheme all --precision f32 \
    --size 1024 --size 4096 --size 8192 --steps 200 --json > "$out/bench_gpu.json"
"$bin" bench --backend cpu --scheme all --precision f32 \
    --size 1024 --size 4096 --steps 20 --json > "$out/bench_cpu.json"
BASINTWIN_BENCH_SIZES=1024,4096,8192 cargo bench -p basintwin-benches --bench gpu \
    > "$out/criterion_gpu.txt" 2>&1
work=$(mktemp -d)
"$bin" make-dem valley "$work/dem.tif" --nx 2000 --ny 2000 --cell 4 >/dev/null
"$bin" make-dem valley-manning "$work/n.tif" --nx 2000 --ny 2000 --cell 4 >/dev/null
sed -e "s#../datasets/valley.tif#$work/dem.tif#" -e "s#../datasets/valley_manning.tif#$work/n.tif#" \
    -e 's/duration_s = 7200/duration_s = 3600/' -e 's/output_interval_s = 600/output_interval_s = 1800/' \
    examples/valley_ensemble.toml > "$work/ens.toml"
{ time "$bin" run "$work/ens.toml" --backend gpu --members 96 --output "$work/out" --overwrite; } \
    > "$out/ensemble_gpu.txt" 2>&1
grep -E '"(steps|wall_s|cells|cell_updates_per_s|device_bytes_per_member)"' "$work/out/summary.json" \
    >> "$out/ensemble_gpu.txt" || true
rm -rf "$work"
echo "figures in $out/"
