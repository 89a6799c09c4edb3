#!/usr/bin/env bash
# The main job of README.md on the sample suite: set up, build in release mode, and run
# JouleBench over datasets/sample.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release
bin=.build/release/joulebench
"$bin" images datasets/sample
