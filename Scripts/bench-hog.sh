#!/usr/bin/env bash
# HOG pedestrian detection: agreement with OpenCV's HOGDescriptor.detectMultiScale on the
# sample images with people, and speed at 640x480 and 1920x1080 (2 threads each), in one
# run. Builds release, creates Scripts/.venv with opencv-python-headless<5 and numpy, and
# runs Scripts/bench_hog.py. Usage: Scripts/bench-hog.sh [--runs N] (default 7, minimum 5).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
venv=Scripts/.venv
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
if ! "$venv/bin/python" -c "import cv2, numpy" 2>/dev/null; then
  "$venv/bin/pip" install -q "opencv-python-headless<5" numpy
fi
swift build -c release --product joulebench
exec "$venv/bin/python" Scripts/bench_hog.py --joulebench .build/release/joulebench "$@"
