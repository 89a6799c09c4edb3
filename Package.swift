// swift-tools-version:6.0
//
// JouleBench — the energy of edge-robotics perception, in joules per pixel.
// Module layout follows DESIGN.md: data flows top to bottom and a module imports
// only modules above it (CCodecs → Imaging → Workloads → Executor → Pipelines;
// EnergyModel imports Workloads only).
import PackageDescription

/// Performance code is built for the host CPU: Swift emits AVX-512/FMA only when
/// the target CPU is named (see docs/PERFORMANCE.md). The binaries are meant to run
/// on the machine that built them, as a benchmark harness should.
let hostCPUSwift: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]
let hostCPUC: [CSetting] = [.unsafeFlags(["-O3", "-march=native", "-fno-strict-aliasing"])]

let package = Package(
    name: "JouleBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "joulebench", targets: ["joulebench"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Workloads", targets: ["Workloads"]),
        .library(name: "Executor", targets: ["Executor"]),
        .library(name: "EnergyModel", targets: ["EnergyModel"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
    ],
    // Exact versions: Package.resolved is not committed (this machine's mirror has other
    // commits than GitHub), and the CLI snapshots hold these libraries' own wording (the
    // argument parser's usage and errors, Yams's and SwiftProtobuf's error text); the
    // generated ONNX code (Sources/Workloads/ONNX/onnx.pb.swift) was made for this
    // swift-protobuf. A clean clone resolves to the versions the snapshots were recorded with.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        // MARK: - C shims (internal details)
        .target(
            name: "CCodecs",
            cSettings: hostCPUC,
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png"), .linkedLibrary("z")]
        ),

        // oneDNN (Debian's libdnnl-dev, OpenMP build) for the executor's `oneDNN` backend;
        // dlopen'ed at first use (after its OpenMP wait policy is set), so not linked.
        .target(name: "CDNNL", cSettings: hostCPUC),

        // MARK: - What: images and workloads
        .target(name: "Imaging", dependencies: ["CCodecs"], swiftSettings: hostCPUSwift),
        .target(
            name: "Workloads",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // MARK: - How: on the CPU, on an accelerator
        .target(name: "Executor", dependencies: ["Workloads", "Imaging", "CDNNL"], swiftSettings: hostCPUSwift),
        .target(name: "EnergyModel", dependencies: ["Workloads", "Yams"], resources: [.copy("Presets")]),

        // MARK: - Pipelines
        .target(
            name: "Pipelines", dependencies: ["Imaging", "Workloads", "Executor"],
            resources: [.copy("Resources")], swiftSettings: hostCPUSwift),

        // MARK: - Command-line tool (thin)
        .executableTarget(
            name: "joulebench",
            dependencies: [
                "Imaging", "Workloads", "Executor", "EnergyModel", "Pipelines",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Measurements behind docs/EXECUTOR.md (Scripts/bench-executor.sh), not a product.
        .executableTarget(name: "executor-bench", dependencies: ["Executor", "Workloads"], path: "Sources/ExecutorBench", swiftSettings: hostCPUSwift),

        // MARK: - Tests
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExecutorTests", dependencies: ["Executor", "Workloads", "Imaging"], exclude: ["Fixtures"], swiftSettings: hostCPUSwift),
        .testTarget(name: "EnergyModelTests", dependencies: ["EnergyModel", "Workloads"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "Imaging", "EnergyModel"], resources: [.copy("Fixtures")]),
        // Runs the built `joulebench` as a subprocess and compares whole outputs with
        // Tests/CLITests/Snapshots; the dependency only makes SwiftPM build the tool first.
        .testTarget(name: "CLITests", dependencies: ["joulebench"], exclude: ["Fixtures", "Snapshots"]),
    ],
    swiftLanguageModes: [.v6]
)
