#!/usr/bin/env bash
# Imaging benchmark: JouleBench's decoders and pyramids against their peers, side by side in
# one run — 1080p JPEG decode vs libjpeg-turbo's tjbench and djpeg, 1080p PNG decode vs
# Pillow, 5-level octave pyramid vs cv2.pyrDown, 1.05-step pyramid vs a cv2.resize loop.
# Medians of >= 10 runs per round, rounds interleaved; prints medians and ratios.
# Usage: Scripts/bench-imaging.sh [--rounds R] [--repeats N] [--markdown]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tjbench >/dev/null || ! command -v djpeg >/dev/null || ! command -v cjpeg >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libjpeg-turbo-progs >/dev/null
fi

venv=Scripts/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import cv2, numpy, PIL" 2>/dev/null; then
  "$venv/bin/pip" install -q "opencv-python-headless<5" numpy Pillow
fi

swift build -c release --product joulebench >&2
exec "$venv/bin/python" Scripts/bench-imaging.py --joulebench .build/release/joulebench "$@"
