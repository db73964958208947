#!/usr/bin/env bash
# The GPU figures the README's speed section asks for, on a machine with a real GPU (Vulkan
# through the vendor's driver). Writes everything under $OUT (default: gpu-figures/):
#   bench_gpu.json     basintwin bench, every scheme, f32, 1024^2 / 4096^2 / 8192^2, 200 steps
#   bench_cpu.json     the same machine's CPU backend at 1024^2 and 4096^2, for the ratio
#   criterion_gpu.txt  the criterion GPU bench at the same sizes
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
echo "figures in $out/"
