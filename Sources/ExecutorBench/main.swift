// executor-bench: measurements behind docs/EXECUTOR.md, run by Scripts/bench-executor.sh.
//   executor-bench gemm [REPEATS]           SGEMM GFLOP/s of both backends on conv-like shapes
//   executor-bench depthwise [REPEATS]     general depthwise kernel vs the 3×3 kernel on MobileNetV2 shapes
//   executor-bench onednn [REPEATS]        SIMD16 vs oneDNN (nChw16c) convolution layers from the five models
//   executor-bench fc [REPEATS]            SIMD16 GEMM vs the session's kernel vs oneDNN's inner product on the models' FC layers (batch 1 cold and warm, batch 8)
//   executor-bench overhead                µs per call of a trivial oneDNN primitive (fixed cost of a step)
//   executor-bench backend                 the default backend (GEMMBackend.preferred) and how oneDNN loaded
//   executor-bench peak                     FP32 FMA peak on 1 and 2 threads
//   executor-bench latency MODEL RUNS       one line per run: milliseconds of a batch-1 forward pass
//   executor-bench serve MODEL              one forward pass per line read on stdin, its milliseconds
//                                           written back (Scripts/bench_executor_peer.py drive)
//   executor-bench layers MODEL RUNS        GFLOP/s per layer class (median time per operator;
//                                           JOULEBENCH_LAYERS_ALL=1 also prints "op NAME KIND ms" per operator);
//                                           medians over uncontended passes only (bracketing FMA
//                                           peaks within 10 % of the best seen); "large NAME MACS
//                                           MS GFLOPS ALONE_GFLOPS" for convolutions ≥ 100 MMACs
//   executor-bench outputs MODEL [TENSOR]         the first output on the synthetic input, one value per line
//   executor-bench memory MODEL             peak RSS of one forward pass vs weights + two largest activations
import Executor
import Foundation
import Workloads

func fail(_ message: String) -> Never {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
    exit(2)
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

/// VmHWM (peak resident set) of this process, in bytes.
func peakResidentBytes() -> Int {
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/status"), let data = try? handle.readToEnd() else { return 0 }
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
    return 0
}

/// Untimed passes before the timed ones (`latency`, `serve`), as many as the peer script's
/// WARM_UP_RUNS: onnxruntime's first run after a single warm-up was still ~25 % slow.
let warmUpRuns = 3

let arguments = Array(CommandLine.arguments.dropFirst())
func argument(_ i: Int, _ name: String) -> String {
    if i < arguments.count { return arguments[i] }
    fail("missing \(name)")
}

do {
    switch arguments.first {
    case "gemm":
        // Conv-like SGEMM shapes (M filters, N = P·Q pixels, K = C·R·S) from AlexNet, VGG-16, ResNet-50.
        let shapes: [(String, Int, Int, Int)] = [
            ("VGG-16 conv1_2", 64, 50176, 576),
            ("VGG-16 conv3_2", 256, 3136, 2304),
            ("VGG-16 conv5_1", 512, 196, 4608),
            ("AlexNet conv2 (one group)", 128, 729, 1200),
            ("ResNet-50 1×1 expand", 256, 3136, 64),
            ("ResNet-50 1×1 last stage", 2048, 49, 512),
            ("square 1024", 1024, 1024, 1024),
        ]
        let repeats = Int(arguments.count > 1 ? arguments[1] : "10") ?? 10
        print("OpenBLAS core: \(KernelBenchmark.openBLASCoreName ?? "not loaded") (OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"))")
        print("| shape | M | N | K | OpenBLAS GFLOP/s | SIMD16 GFLOP/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for (name, m, n, k) in shapes {
            let flops = 2.0 * Double(m * n * k)
            let blas = flops / KernelBenchmark.sgemmSeconds(backend: .openBLAS, m: m, n: n, k: k, repeats: repeats) / 1e9
            let simd = flops / KernelBenchmark.sgemmSeconds(backend: .simd, m: m, n: n, k: k, repeats: repeats) / 1e9
            print("| \(name) | \(m) | \(n) | \(k) | \(String(format: "%.0f", blas)) | \(String(format: "%.0f", simd)) |")
        }
    case "conv3x3":
        // Winograd vs im2col on VGG/ResNet 3×3 shapes, same process.
        print("| C | M | H=W | im2col ms | Winograd ms |")
        for (c, m, size) in [(64, 64, 224), (128, 128, 112), (256, 256, 56), (512, 512, 28), (512, 512, 14), (64, 64, 56), (128, 128, 28), (256, 256, 14)] {
            let (i, w) = try KernelBenchmark.conv3x3Seconds(c: c, m: m, size: size, repeats: 9)
            let a = i * 1e3, b = w * 1e3
            print("| \(c) | \(m) | \(size) | \(String(format: "%.2f", a)) | \(String(format: "%.2f", b)) |")
        }
    case "depthwise":
        // The general depthwise kernel vs DepthwiseConv3x3 on MobileNetV2's 3×3 shapes, interleaved.
        let repeats = arguments.count > 1 ? Int(arguments[1]) ?? 21 : 21
        print("| C | H=W | stride | general ms | 3×3 kernel ms | general GFLOP/s | 3×3 GFLOP/s |")
        for (c, size, stride) in [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (192, 28, 2), (384, 14, 1), (576, 14, 1), (576, 14, 2), (960, 7, 1)] {
            let (a, b) = try KernelBenchmark.depthwise3x3Seconds(c: c, size: size, stride: stride, repeats: repeats)
            let out = (size + 2 - 3) / stride + 1
            let flops = 2.0 * Double(c * out * out * 9)
            print("| \(c) | \(size) | \(stride) | \(String(format: "%.3f", a * 1e3)) | \(String(format: "%.3f", b * 1e3)) | \(String(format: "%.1f", flops / a / 1e9)) | \(String(format: "%.1f", flops / b / 1e9)) |")
        }
    case "onednn":
        // Convolution layers of the benchmark models: our SIMD16 path vs oneDNN, alternated.
        let repeats = arguments.count > 1 ? Int(arguments[1]) ?? 15 : 15
        let cases: [KernelBenchmark.ConvCase] = [
            .init("VGG-16 conv1_2", c: 64, m: 64, size: 224, kernel: 3),
            .init("VGG-16 conv3_2", c: 256, m: 256, size: 56, kernel: 3),
            .init("VGG-16 conv5_1", c: 512, m: 512, size: 14, kernel: 3),
            .init("ResNet-50 1×1 64→256 56²", c: 64, m: 256, size: 56, kernel: 1),
            .init("ResNet-50 res5 3×3 7²", c: 512, m: 512, size: 7, kernel: 3),
            .init("ResNet-50 1×1 2048→512 7²", c: 2048, m: 512, size: 7, kernel: 1),
            .init("MobileNetV2 dw 3×3 s1 144@56²", c: 144, m: 144, size: 56, kernel: 3, groups: 144, relu6: true),
            .init("MobileNetV2 dw 3×3 s2 144@56²", c: 144, m: 144, size: 56, kernel: 3, stride: 2, groups: 144, relu6: true),
            .init("MobileNetV2 dw 3×3 s1 960@7²", c: 960, m: 960, size: 7, kernel: 3, groups: 960, relu6: true),
            .init("MobileNetV2 pw 24→144 56²", c: 24, m: 144, size: 56, kernel: 1, relu6: true),
            .init("MobileNetV2 pw 960→160 7²", c: 960, m: 160, size: 7, kernel: 1),
        ]
        print("oneDNN \(KernelBenchmark.oneDNNVersion), \(KernelBenchmark.threadCount) threads, median of \(repeats), alternating")
        print("| layer | MMACs | SIMD16 ms | oneDNN ms | SIMD16 GFLOP/s | oneDNN GFLOP/s | oneDNN / SIMD16 time | oneDNN kernel |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for c in cases {
            let (s, d, impl) = try KernelBenchmark.oneDNNConvSeconds(c, repeats: repeats)
            let flops = 2.0 * Double(c.macs)
            print("| \(c.name) | \(String(format: "%.1f", Double(c.macs) / 1e6)) | \(String(format: "%.3f", s * 1e3)) | \(String(format: "%.3f", d * 1e3)) | \(String(format: "%.0f", flops / s / 1e9)) | \(String(format: "%.0f", flops / d / 1e9)) | \(String(format: "%.2f", d / s)) | \(impl) |")
        }
    case "fc":
        // Fully-connected layers of the benchmark models (inputs → outputs).
        let repeats = arguments.count > 1 ? Int(arguments[1]) ?? 15 : 15
        let layers: [(String, Int, Int)] = [
            ("VGG-16 fc6", 25088, 4096), ("VGG-16 fc7", 4096, 4096), ("VGG-16 fc8", 4096, 1000),
            ("AlexNet fc6", 9216, 4096), ("ResNet-50 fc", 2048, 1000), ("MobileNetV2 fc", 1280, 1000),
            ("GoogLeNet fc", 1024, 1000),
        ]
        print("oneDNN \(KernelBenchmark.oneDNNVersion), \(KernelBenchmark.threadCount) threads, median of \(repeats), alternating")
        print("| layer | batch | caches | SIMD16 ms | session ms | oneDNN ms | SIMD16 GB/s (weights) | session GB/s | oneDNN GB/s | session / oneDNN time | session kernel |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for (batch, cold) in [(1, true), (1, false), (8, false)] {
            for (name, k, m) in layers {
                let (s, d, o, impl) = try KernelBenchmark.fullyConnectedSeconds(batch: batch, inputs: k, outputs: m, repeats: repeats, coldCaches: cold)
                let bytes = 4.0 * Double(k * m)
                func ms(_ t: Double) -> String { String(format: "%.3f", t * 1e3) }
                func gbs(_ t: Double) -> String { String(format: "%.1f", bytes / t / 1e9) }
                print("| \(name) | \(batch) | \(cold ? "cold" : "warm") | \(ms(s)) | \(ms(d)) | \(ms(o)) | \(gbs(s)) | \(gbs(d)) | \(gbs(o)) | \(String(format: "%.2f", d / o)) | \(impl) |")
            }
        }
    case "overhead":
        // Fixed cost of one oneDNN call through the shim, 1 and 2 threads.
        for threads in [Int32(1), 2] {
            print("overhead \(threads) \(String(format: "%.2f", try KernelBenchmark.oneDNNCallOverheadMicroseconds(threads: threads, calls: 20000))) µs")
        }
    case "backend":
        print("default \(GEMMBackend.preferred)")
        print("oneDNN \(KernelBenchmark.oneDNNVersion) (\(KernelBenchmark.oneDNNThreading))")
    case "peak":
        for threads in [1, 2] {
            print("peak \(threads) \(String(format: "%.1f", KernelBenchmark.peakGFLOPs(threads: threads)))")
        }
    case "latency":
        let session = try LoadedModel.load(argument(1, "MODEL")).session()
        let runs = Int(argument(2, "RUNS")) ?? 10
        let input = try session.syntheticInput()
        FileHandle.standardError.write(Data("latency: backend \(session.backend), OpenBLAS core \(session.backend == .simd || session.backend == .oneDNN ? "unused" : KernelBenchmark.openBLASCoreName ?? "not loaded")\n".utf8))
        for _ in 0..<warmUpRuns { _ = try session.run(input) }
        for _ in 0..<runs { print(String(format: "%.3f", try milliseconds { _ = try session.run(input) })) }
    case "serve":
        // One forward pass per line read on stdin, its milliseconds written back: the pass is
        // started by another process, as a frame handed over by a camera process would be
        // (Scripts/bench_executor_peer.py drive).
        let session = try LoadedModel.load(argument(1, "MODEL")).session()
        let input = try session.syntheticInput()
        for _ in 0..<warmUpRuns { _ = try session.run(input) }
        FileHandle.standardOutput.write(Data("ready\n".utf8))   // unbuffered: the driver waits for each line
        while readLine() != nil {
            let ms = try milliseconds { _ = try session.run(input) }
            FileHandle.standardOutput.write(Data(String(format: "%.3f\n", ms).utf8))
        }
    case "layers":
        let session = try LoadedModel.load(argument(1, "MODEL")).session()
        let runs = Int(argument(2, "RUNS")) ?? 5
        let input = try session.syntheticInput()
        _ = try session.run(input)
        // Each pass is bracketed by a short 2-thread FMA peak. On this shared host the
        // cores' speed changes within seconds (a co-tenant on the sibling hyperthreads halves
        // the FMA peak), so only passes whose bracketing peaks are both within 10 % of the best
        // peak seen count as uncontended; the medians are over those (up to 4 × RUNS passes
        // are made to find RUNS of them; with none, all passes are used, and "passes" says so).
        var passes: [(times: [Double], peak: Double)] = []
        var ops: [(name: String, kind: OperatorKind, macs: Int, seconds: Double)] = []
        var before = KernelBenchmark.peakGFLOPs(threads: 2, repeats: 3)
        var best = before
        func uncontended() -> [[Double]] { passes.filter { $0.peak >= 0.9 * best }.map(\.times) }
        while uncontended().count < runs && passes.count < 4 * runs {
            ops = try session.stepTimes(input)
            let after = KernelBenchmark.peakGFLOPs(threads: 2, repeats: 3)
            best = max(best, after)
            passes.append((ops.map(\.seconds), min(before, after)))
            before = after
        }
        let clean = uncontended()
        let times = clean.isEmpty ? passes.map(\.times) : clean
        print("passes \(passes.count) uncontended \(clean.count) best_peak \(String(format: "%.1f", best))")
        let medians = ops.indices.map { i in times.map { $0[i] }.sorted()[times.count / 2] }
        var byClass: [String: (macs: Int, seconds: Double, count: Int)] = [:]
        for (i, op) in ops.enumerated() {
            let cls = op.kind.category == .convolution || op.kind.category == .fullyConnected ? op.kind.name : op.kind.category.rawValue
            byClass[cls, default: (0, 0, 0)].macs += op.macs
            byClass[cls, default: (0, 0, 0)].seconds += medians[i]
            byClass[cls, default: (0, 0, 0)].count += 1
        }
        for (cls, v) in byClass.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            let rate = v.macs > 0 ? String(format: "%.1f", 2 * Double(v.macs) / v.seconds / 1e9) : "-"
            print("class \(cls) \(v.count) \(String(format: "%.3f", v.seconds * 1e3)) \(rate)")
        }
        // Every operator, for a per-node comparison with onnxruntime's profile.
        if ProcessInfo.processInfo.environment["JOULEBENCH_LAYERS_ALL"] == "1" {
            for (i, op) in ops.enumerated() { print("op \(op.name) \(op.kind.name) \(String(format: "%.3f", medians[i] * 1e3))") }
        }
        // Large convolutions: ≥ 100 MMACs each; "alone" is the same step run by itself,
        // back to back (KernelBenchmark.isolatedConvolutionSeconds), with weights in cache.
        let alone = Dictionary(try KernelBenchmark.isolatedConvolutionSeconds(session, input: input, minimumMACs: 100_000_000, repeats: 9)
            .map { ($0.name, $0.seconds) }, uniquingKeysWith: { a, _ in a })
        for (i, op) in ops.enumerated() where op.macs >= 100_000_000 && op.kind.category == .convolution {
            let isolated = alone[op.name].map { String(format: "%.1f", 2 * Double(op.macs) / $0 / 1e9) } ?? "-"
            print("large \(op.name) \(op.macs) \(String(format: "%.3f", medians[i] * 1e3)) \(String(format: "%.1f", 2 * Double(op.macs) / medians[i] / 1e9)) \(isolated)")
        }
    case "outputs":
        // The first output of a forward pass on the synthetic input, one value per line
        // (for comparing with onnxruntime: Scripts/bench_executor_peer.py compare).
        var model = try LoadedModel.load(argument(1, "MODEL"))
        if arguments.count > 2 { model.graph.outputs = [arguments[2]] }   // an intermediate tensor instead
        let session = try model.session()
        let outputs = try session.run(try session.syntheticInput())
        for v in outputs[session.outputNames[0]]!.values { print(v) }
    case "memory":
        let model = try LoadedModel.load(argument(1, "MODEL"))
        let shapes = try model.graph.inferShapes()
        let weightBytes = model.graph.weights.values.reduce(0) { $0 + $1.elementCount } * 4
        let activationWords = model.graph.nodes.flatMap(\.outputs).compactMap { shapes[$0]?.reduce(1, *) }.sorted(by: >)
        let twoLargest = activationWords.prefix(2).reduce(0, +) * 4
        let before = peakResidentBytes()
        let session = try model.session()
        _ = try session.run(try session.syntheticInput())
        print("memory weights_bytes \(weightBytes) two_largest_activation_bytes \(twoLargest) peak_rss_bytes \(peakResidentBytes()) rss_before_bytes \(before)")
    default:
        fail("usage: executor-bench gemm [REPEATS] | peak | latency MODEL RUNS | layers MODEL RUNS | memory MODEL")
    }
} catch {
    fail("executor-bench: \(error)")
}
