#!/usr/bin/env bash
# The main job of README.md on the sample suite: set up, build in release mode, and run
# JouleBench over datasets/sample — decode and pyramid survey, HOG pedestrian detection,
# a CNN run for real, and both priced on the Eyeriss model and the CPU model, ending with
# energy per pixel side by side. Outputs (tables, JSON, traces, a drawn detection) go to
# OUT (default out/sample), written fresh each run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/sample}
Scripts/setup.sh
swift build -c release
bin=.build/release/joulebench
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "Images: decode, octave and 1.05-step pyramids (datasets/sample)"
"$bin" images datasets/sample | tee "$out/images.txt"

step "HOG pedestrian detection on every sample image"
"$bin" detect datasets/sample --json > "$out/detect.json"
"$bin" detect datasets/sample | tee "$out/detect.txt" | tail -n 25

step "HOG on one 768x576 street frame: boxes drawn, Trace written"
"$bin" detect datasets/sample/vtest_frame000.jpg \
  --draw "$out/vtest_frame000_hog.png" --trace "$out/hog_vtest_frame000.trace.json"

step "CNN: MobileNetV2 run for real on the CPU (synthetic weights), Trace written"
"$bin" infer mobilenet_v2 datasets/sample/vtest_frame000.jpg --trace "$out/mobilenet_v2_vtest_frame000.trace.json"

summary="$out/summary.txt"
: > "$summary"
for arch in eyeriss-pj edge-int8 cpu; do
  for trace in hog_vtest_frame000 mobilenet_v2_vtest_frame000; do
    step "Price $trace on $arch (row-stationary)"
    "$bin" price "$out/$trace.trace.json" --arch "$arch" --dataflow rs > "$out/price_${trace}_${arch}.txt"
    tail -n 3 "$out/price_${trace}_${arch}.txt"
    line=$(grep -E "per input pixel" "$out/price_${trace}_${arch}.txt" | tail -n 1)
    printf '%-32s %-12s %s\n' "$trace" "$arch" "$line" >> "$summary"
  done
done

step "Energy per input pixel (the same 768x576 frame)"
cat "$summary"
echo
echo "All outputs in $out/"
