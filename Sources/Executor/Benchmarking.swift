import Foundation
import Workloads

/// Measurement helpers for Scripts/bench-executor.sh (docs/EXECUTOR.md): they time the
/// executor's own kernels so the backend choice rests on numbers from this machine.
public enum KernelBenchmark {
    /// The kernel family Debian's OpenBLAS picked on this machine, or `nil` when it did not load.
    public static var openBLASCoreName: String? { OpenBLAS.shared?.coreName }

    /// Median seconds of `repeats` row-major products C[m×n] = A[m×k]·B[k×n] on `backend`,
    /// after one warm-up. Operands are filled with a fixed pattern.
    public static func sgemmSeconds(backend: GEMMBackend, m: Int, n: Int, k: Int, repeats: Int) -> Double {
        let a = (0..<(m * k)).map { Float(($0 * 7) % 13) * 0.01 - 0.06 }
        let b = (0..<(k * n)).map { Float(($0 * 5) % 11) * 0.01 - 0.05 }
        var c = [Float](repeating: 0, count: m * n)
        var times: [Double] = []
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    for r in 0...repeats {
                        let start = DispatchTime.now().uptimeNanoseconds
                        GEMM.multiply(backend: backend, m: m, n: n, k: k,
                                      a: MatrixView(ap.baseAddress!, ld: k), b: MatrixView(bp.baseAddress!, ld: n),
                                      beta: 0, c: cp.baseAddress!, ldc: n)
                        let end = DispatchTime.now().uptimeNanoseconds
                        if r > 0 { times.append(Double(end - start) * 1e-9) }
                    }
                }
            }
        }
        return times.sorted()[times.count / 2]
    }

    /// Median seconds of a 3×3, pad-1 convolution over [1, c, size, size] to m filters by
    /// im2col + GEMM and by Winograd F(2×2,3×3) on the SIMD backend, alternating, with the
    /// packed and the transformed filters prepared ahead as the session does.
    public static func conv3x3Seconds(c: Int, m: Int, size: Int, repeats: Int) throws -> (im2col: Double, winograd: Double) {
        let a = ConvAttributes(kernel: 3, pad: 1)
        let g = try ConvGeometry(input: [1, c, size, size], filter: [m, c, 3, 3], attributes: a, node: "bench")
        let x = (0..<(c * size * size)).map { Float($0 % 17) * 0.1 - 0.8 }
        let filter = try Tensor(shape: [m, c, 3, 3], values: (0..<(m * c * 9)).map { Float($0 % 13) * 0.01 - 0.06 })
        // Both filter forms prepared ahead, as the session does at load.
        let packed = ConvolutionKernel.packedFilter(filter, groups: 1), transformed = WinogradKernel.transformedFilters(filter)
        var y = [Float](repeating: 0, count: m * size * size)
        var im2col: [Double] = [], winograd: [Double] = []
        x.withUnsafeBufferPointer { xp in filter.values.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
            packed.values.withUnsafeBufferPointer { pp in transformed.values.withUnsafeBufferPointer { tp in
                for r in 0...repeats {   // alternating, so load changes hit both alike
                    var start = DispatchTime.now().uptimeNanoseconds
                    ConvolutionKernel.im2colForward(g, input: xp.baseAddress!, filter: wp.baseAddress!, packedFilter: pp.baseAddress!, bias: nil, activation: .relu,
                                                    backend: .simd, output: yp.baseAddress!, columnBudget: ConvolutionKernel.columnBudget)
                    if r > 0 { im2col.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
                    start = DispatchTime.now().uptimeNanoseconds
                    WinogradKernel.forward(g, input: xp.baseAddress!, filter: wp.baseAddress!, transformedFilter: tp.baseAddress!, bias: nil, activation: .relu, output: yp.baseAddress!)
                    if r > 0 { winograd.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
                }
            } }
        } } }
        return (im2col.sorted()[im2col.count / 2], winograd.sorted()[winograd.count / 2])
    }

    /// Median seconds of each depthwise 3×3 kernel (ReLU6 fused) on a [1, C, size, size]
    /// input with pad 1: the general direct kernel and `DepthwiseConv3x3`, run alternately
    /// (A, B, A, B, …) so that load changes hit both alike. Returns (general, specialised).
    public static func depthwise3x3Seconds(c: Int, size: Int, stride: Int, repeats: Int) throws -> (general: Double, specialised: Double) {
        let a = ConvAttributes(kernel: 3, stride: stride, pad: 1, groups: c)
        let g = try ConvGeometry(input: [1, c, size, size], filter: [c, 1, 3, 3], attributes: a, node: "bench")
        let x = (0..<(c * size * size)).map { Float($0 % 17) * 0.1 - 0.8 }
        let w = (0..<(c * 9)).map { Float($0 % 13) * 0.01 - 0.06 }
        var y = [Float](repeating: 0, count: c * g.outPixels)
        var general: [Double] = [], specialised: [Double] = []
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
            for r in 0...repeats {
                var start = DispatchTime.now().uptimeNanoseconds
                ConvolutionKernel.depthwise(g, input: xp.baseAddress!, filter: wp.baseAddress!, bias: nil, activation: .clip(min: 0, max: 6), output: yp.baseAddress!)
                if r > 0 { general.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
                start = DispatchTime.now().uptimeNanoseconds
                DepthwiseConv3x3.forward(g, input: xp.baseAddress!, filter: wp.baseAddress!, bias: nil, activation: .clip(min: 0, max: 6), output: yp.baseAddress!)
                if r > 0 { specialised.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
            }
        } } }
        return (general.sorted()[general.count / 2], specialised.sorted()[specialised.count / 2])
    }

    /// Best GFLOP/s of `repeats` runs of a pure FMA loop on `threads` threads: the machine's
    /// measured FP32 peak (the best, not the median: on a shared machine the peak is what
    /// the cores do when they are not taken by someone else).
    public static func peakGFLOPs(threads: Int, repeats: Int = 9) -> Double {
        let iterations = 20_000_000
        var rates: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let sink = FMALoop.run(iterations: iterations, threads: threads)
            let end = DispatchTime.now().uptimeNanoseconds
            precondition(sink.isFinite)
            // 12 accumulators × 16 lanes × 2 FLOP per iteration per thread.
            rates.append(Double(iterations * 12 * 16 * 2 * threads) / Double(end - start))
        }
        return rates.max() ?? 0
    }
}

enum FMALoop {
    /// Independent FMA chains (enough to cover latency × two pipes); returns a checksum.
    static func run(iterations: Int, threads: Int) -> Float {
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sums.deallocate() }
        parallelFor(threads) { t in
            let x = SIMD16<Float>(repeating: 0.999_999), y = SIMD16<Float>(repeating: 1e-7)
            var a0 = SIMD16<Float>(repeating: Float(t)), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
            var a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
            for _ in 0..<iterations {
                a0 = a0.addingProduct(x, y); a1 = a1.addingProduct(x, y); a2 = a2.addingProduct(x, y)
                a3 = a3.addingProduct(x, y); a4 = a4.addingProduct(x, y); a5 = a5.addingProduct(x, y)
                a6 = a6.addingProduct(x, y); a7 = a7.addingProduct(x, y); a8 = a8.addingProduct(x, y)
                a9 = a9.addingProduct(x, y); a10 = a10.addingProduct(x, y); a11 = a11.addingProduct(x, y)
            }
            sums[t] = (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
        }
        return (0..<threads).reduce(0) { $0 + sums[$1] }
    }
}

extension KernelBenchmark {
    /// One convolution layer of a model, for `oneDNNConvSeconds`.
    public struct ConvCase: Sendable {
        public var name: String, inChannels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, groups: Int
        public var relu6: Bool
        public init(_ name: String, c: Int, m: Int, size: Int, kernel: Int, stride: Int = 1, groups: Int = 1, relu6: Bool = false) {
            self.name = name; inChannels = c; outChannels = m; self.size = size; self.kernel = kernel; self.stride = stride
            self.groups = groups; self.relu6 = relu6
        }
        /// Direct-convolution multiply-accumulates.
        public var macs: Int {
            let out = (size + 2 * (kernel / 2) - kernel) / stride + 1
            return outChannels * out * out * (inChannels / groups) * kernel * kernel
        }
    }

    /// Median seconds of one convolution (bias + fused ReLU or ReLU6, batch 1, pad k/2) on
    /// the SIMD backend exactly as a session prepares it (Winograd or packed filter ahead,
    /// the depthwise kernels) and on oneDNN with nChw16c input and output (the layout a
    /// chain of oneDNN operators keeps), its filter reordered once and the algorithm the layout
    /// pass picks (Winograd for plain 3×3 stride 1, `oneDNNWinogradApplies`); run alternately so
    /// load changes hit both alike. Also returns oneDNN's implementation name.
    public static func oneDNNConvSeconds(_ c: ConvCase, repeats: Int) throws -> (simd: Double, oneDNN: Double, implementation: String) {
        let a = ConvAttributes(kernel: c.kernel, stride: c.stride, pad: c.kernel / 2, groups: c.groups)
        let filterShape = [c.outChannels, c.inChannels / c.groups, c.kernel, c.kernel]
        let g = try ConvGeometry(input: [1, c.inChannels, c.size, c.size], filter: filterShape, attributes: a, node: c.name)
        let x = try Tensor(shape: [1, c.inChannels, c.size, c.size], values: (0..<(c.inChannels * c.size * c.size)).map { Float($0 % 17) * 0.1 - 0.8 })
        let filter = try Tensor(shape: filterShape, values: (0..<filterShape.reduce(1, *)).map { Float($0 % 13) * 0.01 - 0.06 })
        let bias = try Tensor(shape: [c.outChannels], values: (0..<c.outChannels).map { Float($0 % 5) * 0.01 })
        let activation: FusedActivation = c.relu6 ? .clip(min: 0, max: 6) : .relu
        var winograd: Tensor? = nil, packed: Tensor? = nil
        if WinogradKernel.applies(to: g) { winograd = WinogradKernel.transformedFilters(filter) }
        else if !(g.isDepthwise && g.outChannelsPerGroup == 1) { packed = ConvolutionKernel.packedFilter(filter, groups: g.groups) }
        // The algorithm a session's layout pass picks (Winograd for plain 3×3 stride 1).
        let algorithm: OneDNNPrimitive.ConvAlgorithm = InferenceSession.oneDNNWinogradApplies(to: g) ? .winograd : .direct
        let primitive = try OneDNNPrimitive.convolution(g, filter: filter.values, bias: bias.values, source: .blocked, destination: .blocked,
                                                        activation: activation, algorithm: algorithm, node: c.name)
        let toBlocked = try OneDNNPrimitive.reorder(shape: x.shape, from: .plain, to: .blocked, node: c.name)
        // Aligned buffers, as a session's activations are.
        let xb = try toBlocked.runAligned([.array(x.values)], node: c.name)
        let yb = try AlignedFloats(uninitializedCount: primitive.outputFloats)
        var simd: [Double] = [], dnnl: [Double] = []
        for r in 0...repeats {
            var start = DispatchTime.now().uptimeNanoseconds
            _ = try Operators.conv(x, filter: filter, winogradFilter: winograd, packedFilter: packed, bias: bias, attributes: a,
                                   activation: activation, backend: .simd, node: c.name)
            if r > 0 { simd.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
            start = DispatchTime.now().uptimeNanoseconds
            try primitive.run([UnsafePointer(xb.base)], into: yb.base, node: c.name)
            if r > 0 { dnnl.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
        }
        return (simd.sorted()[simd.count / 2], dnnl.sorted()[dnnl.count / 2], primitive.implementation)
    }
}

extension KernelBenchmark {
    /// The loaded oneDNN library's version.
    public static var oneDNNVersion: String { OneDNNPrimitive.version }
    /// How libdnnl was loaded and the OpenMP spin policy of its threads.
    public static var oneDNNThreading: String { OneDNNPrimitive.threadingNote }
    /// Threads every backend uses (GCD split and oneDNN's OpenMP pool).
    public static var threadCount: Int { GEMM.threadCount }
}

extension KernelBenchmark {
    /// Median seconds of one fully-connected layer y[batch, outputs] = ReLU(x·Wᵀ + b) (ONNX
    /// Gemm, transB = 1) on the SIMD16 GEMM (`Operators.gemm`, what the SIMD backend and,
    /// with `JOULEBENCH_ONEDNN_FC=0`, the oneDNN backend run), on the kernel a oneDNN session
    /// runs (batch 1: the shim's GEMV over the plain weights; otherwise oneDNN's inner product
    /// with the weights reordered once) and on oneDNN's own inner product as a session would
    /// make it without the GEMV, alternated `repeats` times after one warm-up each. Also
    /// returns the session kernel's implementation name. The weights are a distinct buffer per
    /// layer, as in a network; `coldCaches` touches 64 MB before every timed call, as the
    /// rest of a network does to the caches between two visits of its classifier.
    public static func fullyConnectedSeconds(batch: Int, inputs: Int, outputs: Int, repeats: Int, coldCaches: Bool = false) throws
        -> (simd: Double, session: Double, oneDNN: Double, implementation: String) {
        let x = try Tensor(shape: [batch, inputs], values: (0..<(batch * inputs)).map { Float($0 % 17) * 0.1 - 0.8 })
        let w = try Tensor(shape: [outputs, inputs], values: (0..<(outputs * inputs)).map { Float($0 % 13) * 0.01 - 0.06 })
        let b = try Tensor(shape: [outputs], values: (0..<outputs).map { Float($0 % 5) * 0.01 })
        // What a session does (batch 1 reads the plain weights in place); JOULEBENCH_ONEDNN_FC_BORROW=0/1 forces either.
        let borrow = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_FC_BORROW"].map { $0 == "1" } ?? (batch == 1)
        func make(shimGEMV: Bool) throws -> OneDNNPrimitive {
            try OneDNNPrimitive.innerProduct(batch: batch, inputs: inputs, outputs: outputs, weights: w.values, weightsAreOutputsByInputs: true,
                                             bias: b.values, activation: .relu, borrowWeights: borrow, shimGEMV: shimGEMV, node: "fc")
        }
        let session = try make(shimGEMV: true), oneDNN = try make(shimGEMV: false)
        // Read (not written, so no write-backs land in the timed call) on every team thread,
        // so the worker's private L2 loses its half of the weights too.
        let evict = [UInt8](repeating: 1, count: coldCaches ? 64 << 20 : 0)
        var sink = 0
        func timed(_ body: () throws -> Void) rethrows -> Double {
            if coldCaches {
                let threads = GEMM.threadCount
                var sums = [Int](repeating: 0, count: threads)
                evict.withUnsafeBytes { bytes in
                    sums.withUnsafeMutableBufferPointer { slots in
                        parallelFor(threads) { t in
                            var sum = 0
                            for i in stride(from: 0, to: bytes.count, by: 64) { sum &+= Int(bytes[i]) }
                            slots[t] = sum
                        }
                    }
                }
                sink &+= sums.reduce(0, &+)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
        var times: [[Double]] = [[], [], []]
        for r in 0...repeats {
            let t = [
                try timed { _ = try Operators.gemm(x, w, b, transA: false, transB: true, alpha: 1, beta: 1, activation: .relu, backend: .simd, node: "fc") },
                try timed { _ = try session.run([x.values], node: "fc") },
                try timed { _ = try oneDNN.run([x.values], node: "fc") },
            ]
            if r > 0 { for i in 0..<3 { times[i].append(t[i]) } }
        }
        precondition(!coldCaches || sink > 0)   // (keeps the sweeps)
        let medians = times.map { $0.sorted()[$0.count / 2] }
        return (medians[0], medians[1], medians[2], session.implementation)
    }
}

extension KernelBenchmark {
    /// Median microseconds of one call of a trivial oneDNN primitive (ReLU on 16 floats,
    /// `threads` OpenMP threads) through the shim, i.e. the fixed cost every oneDNN step of a
    /// session pays (memory objects, scratchpad, stream, OpenMP fork/join), over `calls` calls.
    public static func oneDNNCallOverheadMicroseconds(threads: Int32, calls: Int) throws -> Double {
        let p = try OneDNNPrimitive.eltwise(.relu, shape: [1, 16, 1, 1], layout: .blocked, node: "overhead")
        p.threads = threads
        let x = [Float](repeating: -1, count: 16)
        var y = [Float](repeating: 0, count: 16)
        var times: [Double] = []
        for _ in 0..<calls {
            let start = DispatchTime.now().uptimeNanoseconds
            try x.withUnsafeBufferPointer { xp in
                try y.withUnsafeMutableBufferPointer { try p.run([xp.baseAddress!], into: $0.baseAddress!, node: "overhead") }
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-3)
        }
        return times.sorted()[times.count / 2]
    }
}

extension KernelBenchmark {
    /// The convolutions of a session's traced plan with at least `minimumMACs` MACs that
    /// oneDNN runs, each timed alone: its input from one pass, then `repeats` runs back to
    /// back (the first not counted), so its filter and input are as warm as the caches allow.
    /// Median seconds per step, in plan order, next to which a layer's time in the network
    /// shows what streaming its weights from memory costs.
    public static func isolatedConvolutionSeconds(_ session: InferenceSession, input: Tensor, minimumMACs: Int, repeats: Int) throws
        -> [(name: String, macs: Int, seconds: Double)] {
        var results: [(name: String, macs: Int, seconds: Double)] = []
        // Timed inside the pass (which pins its team), before the step's own run.
        _ = try session.execute([input], tracing: true) { step, sources in
            guard step.shape.kind.category == .convolution, step.shape.macs >= minimumMACs, let primitive = step.oneDNN else { return }
            var times: [Double] = []
            for r in 0...max(repeats, 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try primitive.runAligned(sources, node: step.name)
                if r > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
            }
            results.append((step.name, step.shape.macs, times.sorted()[times.count / 2]))
        }
        return results
    }
}
