#!/usr/bin/env bash
# Regenerates Sources/Workloads/ONNX/onnx.pb.swift from Scripts/onnx/onnx.proto.
#
# Run once when the proto changes; the generated file is committed, so building JouleBench
# needs neither protoc nor the plugin. Provenance of the committed file:
#   - onnx.proto (syntax proto2) from the `onnx` 1.23.2 wheel on PyPI (Apache-2.0, see
#     Scripts/onnx/LICENSE), taken from `pip install onnx==1.23.2` in a throw-away venv
#     (site-packages/onnx/onnx.proto; `pip download onnx==1.23.2 --no-deps` and unzipping
#     the wheel gives the same file);
#   - protoc from Debian's protobuf-compiler;
#   - protoc-gen-swift 1.39.0, built from swift-protobuf (the version Package.swift uses).
# Generated types are internal (Visibility=Internal): the ONNX schema is not JouleBench's
# public API, ONNXImporter is.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTO_DIR=Scripts/onnx
OUT_DIR=Sources/Workloads/ONNX
SWIFT_PROTOBUF_VERSION=1.39.0
PLUGIN=${PROTOC_GEN_SWIFT:-}

command -v protoc >/dev/null || { sudo apt-get install -y protobuf-compiler || apt-get install -y protobuf-compiler; }

if [[ -z "$PLUGIN" ]]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    # The local mirror when there is one (this machine), else GitHub.
    SOURCE=/opt/swift-packages/apple/swift-protobuf.git
    [[ -d $SOURCE ]] || SOURCE=https://github.com/apple/swift-protobuf.git
    git clone -q -b "$SWIFT_PROTOBUF_VERSION" "$SOURCE" "$WORK/swift-protobuf"
    (cd "$WORK/swift-protobuf" && swift build -c release --product protoc-gen-swift)  # ~1–10 min
    PLUGIN="$WORK/swift-protobuf/.build/release/protoc-gen-swift"
fi

protoc --plugin=protoc-gen-swift="$PLUGIN" \
    --proto_path="$PROTO_DIR" \
    --swift_opt=Visibility=Internal \
    --swift_out="$OUT_DIR" \
    "$PROTO_DIR/onnx.proto"
echo "wrote $OUT_DIR/onnx.pb.swift"
