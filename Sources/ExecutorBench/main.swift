// executor-bench: measurements behind docs/EXECUTOR.md, run by Scripts/bench-executor.sh.
import Executor
import Foundation

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "gemm":
    // Conv-like SGEMM shapes (M filters, N = P·Q pixels, K = C·R·S) from AlexNet, VGG-16, ResNet-50.
    let shapes: [(String, Int, Int, Int)] = [
        ("vgg conv1_2 (64, 50176, 576)", 64, 50176, 576),
        ("vgg conv3_2 (256, 3136, 2304)", 256, 3136, 2304),
        ("vgg conv5_1 (512, 196, 4608)", 512, 196, 4608),
        ("alexnet conv2/g (128, 729, 1200)", 128, 729, 1200),
        ("resnet 1x1 (256, 3136, 64)", 256, 3136, 64),
        ("resnet 1x1 (2048, 49, 512)", 2048, 49, 512),
        ("square 1024", 1024, 1024, 1024),
    ]
    let repeats = Int(arguments.dropFirst().first ?? "10") ?? 10
    print("openblas core: \(KernelBenchmark.openBLASCoreName ?? "not loaded")")
    print("| shape | OpenBLAS GFLOP/s | SIMD16 GFLOP/s |")
    print("|---|---:|---:|")
    for (name, m, n, k) in shapes {
        let flops = 2.0 * Double(m * n * k)
        let blas = flops / KernelBenchmark.sgemmSeconds(backend: .openBLAS, m: m, n: n, k: k, repeats: repeats) / 1e9
        let simd = flops / KernelBenchmark.sgemmSeconds(backend: .simd, m: m, n: n, k: k, repeats: repeats) / 1e9
        print("| \(name) | \(String(format: "%.0f", blas)) | \(String(format: "%.0f", simd)) |")
    }
case "peak":
    for threads in [1, 2] {
        print("fma peak, \(threads) thread(s): \(String(format: "%.0f", KernelBenchmark.peakGFLOPs(threads: threads))) GFLOP/s")
    }
default:
    FileHandle.standardError.write("usage: executor-bench gemm [REPEATS] | peak | …\n".data(using: .utf8)!)
    exit(2)
}
