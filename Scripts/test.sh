#!/usr/bin/env bash
# The test command of README.md: set up, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build --build-tests
swift test --skip-build
