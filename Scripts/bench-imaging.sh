#!/usr/bin/env bash
# Imaging benchmark: JouleBench's decoders and pyramids against their peers, side by side in
# one run — 1080p JPEG decode vs libjpeg-turbo's tjbench and djpeg, 1080p PNG decode vs
# Pillow, 5-level octave pyramid vs cv2.pyrDown, 1.05-step pyramid vs a cv2.resize loop.
# Medians of >= 10 runs per round, rounds interleaved; prints medians and ratios.
# Usage: Scripts/bench-imaging.sh [--rounds R] [--repeats N] [--markdown] [--jpeg-only]
#        Scripts/bench-imaging.sh --callgrind   (instructions per JPEG decode, JouleBench vs tjbench,
#        under valgrind: deterministic where wall time on a loaded machine is not)
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

if [ "${1:-}" = "--callgrind" ]; then
  if ! command -v valgrind >/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
  fi
  # valgrind cannot decode AVX-512: a separate release build for Haswell (AVX2) in its own
  # scratch folder; the later -target-cpu/-march override the package's "native".
  swift build -c release --product joulebench --scratch-path .build-callgrind \
    -Xswiftc -target-cpu -Xswiftc haswell -Xcc -march=haswell -Xcc -mno-avx512f >&2
  objcopy --strip-debug .build-callgrind/release/joulebench .build-callgrind/joulebench-nodebug  # valgrind chokes on its DWARF
  exec "$venv/bin/python" Scripts/bench-imaging.py --joulebench .build/release/joulebench \
    --callgrind .build-callgrind/joulebench-nodebug
fi

swift build -c release --product joulebench >&2
exec "$venv/bin/python" Scripts/bench-imaging.py --joulebench .build/release/joulebench "$@"
