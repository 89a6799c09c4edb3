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
"$bin" detect datasets/sample > "$out/detect.txt"
# One line per image (boxes and scores are in detect.txt and detect.json).
awk '/, (RGB|gray)$/ { image = $1 } /detection\(s\) from/ { printf "%-26s %s\n", image, $0 } !/^ / && !/, (RGB|gray)$/ && !/detection\(s\) from/ && !/^no detections/ && NF { print }' "$out/detect.txt"

step "HOG on one 768x576 street frame: boxes drawn, Trace written"
"$bin" detect datasets/sample/vtest_frame000.jpg \
  --draw "$out/vtest_frame000_hog.png" --trace "$out/hog_vtest_frame000.trace.json"

step "CNN: MobileNetV2 run for real on the CPU (synthetic weights), Trace written"
"$bin" infer mobilenet_v2 datasets/sample/vtest_frame000.jpg --trace "$out/mobilenet_v2_vtest_frame000.trace.json"

step "CNN: the same MobileNetV2 as an int8 precision study (weights and activations rounded to the int8 grid), Trace written"
"$bin" infer mobilenet_v2 datasets/sample/vtest_frame000.jpg --precision int8 --trace "$out/mobilenet_v2_int8_vtest_frame000.trace.json"

summary="$out/summary.txt"
: > "$summary"
for arch in eyeriss-pj edge-int8 cpu; do
  traces="hog_vtest_frame000 mobilenet_v2_vtest_frame000"
  # The int8 study belongs on the int8 accelerator (price would price it at int8 anywhere).
  [ "$arch" = edge-int8 ] && traces="$traces mobilenet_v2_int8_vtest_frame000"
  for trace in $traces; do
    step "Price $trace on $arch (row-stationary)"
    "$bin" price "$out/$trace.trace.json" --arch "$arch" --dataflow rs > "$out/price_${trace}_${arch}.txt"
    "$bin" price "$out/$trace.trace.json" --arch "$arch" --dataflow rs --json > "$out/price_${trace}_${arch}.json"
    grep -E "^total energy" "$out/price_${trace}_${arch}.txt"
    python3 - "$out/price_${trace}_${arch}.json" "$trace" "$arch" >> "$summary" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
# pJ specs: mJ per frame and nJ per pixel; normalised specs: millions of units and units.
scale, unit, frame_scale, frame_unit = (1e-3, "nJ", 1e-9, "mJ") if p["energyUnit"] == "pJ" else (1, "units", 1e-6, "M units")
print(f"{sys.argv[2]:<34} {sys.argv[3]:<11} {p['totalEnergy'] * frame_scale:10.3f} {frame_unit}/frame "
      f"{p['energyPerInputPixel'] * scale:10.2f} {unit}/frame pixel {p['energyPerNetworkInputPixel'] * scale:10.2f} {unit}/network-input pixel "
      f"({p['networkInputPixels']} px)")
PY
  done
done

step "Energy per pixel: per pixel of the same 768x576 frame, and per pixel of what each network reads"
echo "(HOG reads the frame itself; MobileNetV2 reads it resized to 224x224, so its two columns differ;"
echo " mobilenet_v2_int8 is the int8 precision study: the zero fractions measured on int8 values)"
cat "$summary"
echo
echo "All outputs in $out/"
