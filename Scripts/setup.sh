#!/usr/bin/env bash
# Installs what JouleBench needs to build and test on a fresh Debian machine with Swift:
# the C libraries it links (libjpeg-turbo, libpng, zlib, OpenBLAS) and the tools the
# tests' fixture checks use. Idempotent: installs only what is missing.
set -euo pipefail

packages=(libjpeg62-turbo-dev libpng-dev zlib1g-dev libopenblas-dev libdnnl-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: Swift 6 is required (swift not on PATH)" >&2; exit 1; }
