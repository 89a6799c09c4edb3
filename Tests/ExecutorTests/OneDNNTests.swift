import Foundation
import Testing
import Workloads
@testable import Executor

/// NCHW → nChw16c by definition (padding channels zero).
func blocked(_ x: Tensor) -> [Float] {
    let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    let blocks = (c + 15) / 16
    var out = [Float](repeating: 0, count: n * blocks * 16 * hw)
    for b in 0..<n { for ch in 0..<c { for p in 0..<hw {
        out[((b * blocks + ch / 16) * hw + p) * 16 + ch % 16] = x.values[(b * c + ch) * hw + p]
    } } }
    return out
}

/// nChw16c → NCHW by definition.
func plain(_ v: [Float], shape: [Int]) -> [Float] {
    let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
    let blocks = (c + 15) / 16
    var out = [Float](repeating: .nan, count: n * c * hw)
    for b in 0..<n { for ch in 0..<c { for p in 0..<hw {
        out[(b * c + ch) * hw + p] = v[((b * blocks + ch / 16) * hw + p) * 16 + ch % 16]
    } } }
    return out
}

/// Every convolution case of the kernel sweep on oneDNN, in both layouts (NCHW in and out;
/// nChw16c in and out, the session's chain layout) and with a fused clip, against the naive
/// convolution. Odd channel counts (3, 5, 6, 9, 12, 40) exercise the zero-padded blocks.
@Test(arguments: convCases)
func oneDNNConvolutionMatchesNaive(_ c: ConvCase) throws {
    let (x, w, bias, want) = c.operands(seed: 7)
    let g = try ConvGeometry(input: x.shape, filter: w.shape, attributes: c.attributes, node: "c")
    let nchw = try OneDNNPrimitive.convolution(g, filter: w.values, bias: bias.values, source: .plain, destination: .plain, activation: .none, node: "c")
    #expect(Naive.maxError(try nchw.run([x.values], node: "c"), want.values) < 1e-4)
    let chain = try OneDNNPrimitive.convolution(g, filter: w.values, bias: bias.values, source: .blocked, destination: .blocked,
                                                activation: .clip(min: 0, max: 0.5), node: "c")
    let out = try chain.run([blocked(x)], node: "c")
    #expect(out.count == BlockedTensor.floats(for: want.shape))
    #expect(Naive.maxError(plain(out, shape: want.shape), want.values.map { min(max($0, 0), 0.5) }) < 1e-4)
    // The padding channels of the blocked output stay zero (the logical zero count relies on it).
    let padded = out.count - want.values.count
    #expect(out.filter { $0 == 0 }.count >= padded)
}

@Test(arguments: [
    PoolAttributes(kernel: 3, stride: 2),
    PoolAttributes(kernel: 2, stride: 2),
    PoolAttributes(kernel: 3, stride: 2, ceilMode: true),
    PoolAttributes(kernel: 3, stride: 1, pad: 1),
    PoolAttributes(kernel: (3, 3), stride: (2, 2), pads: (1, 1, 1, 1), countIncludePad: true),
])
func oneDNNPoolingMatchesNaiveInBlockedLayout(_ a: PoolAttributes) throws {
    let x = Naive.tensor([2, 19, 13, 10], seed: 15)   // 19 channels: one full block and a padded one
    let g = try PoolGeometry(input: x.shape, attributes: a, node: "p")
    let y = [2, 19, g.outHeight, g.outWidth]
    for (kind, average) in [(OneDNNPrimitive.PoolKind.max, false), (a.countIncludePad ? .averageIncludingPadding : .averageExcludingPadding, true)] {
        let p = try OneDNNPrimitive.pooling(kind, input: x.shape, output: y, kernel: (a.kernel.height, a.kernel.width),
                                            stride: (a.stride.height, a.stride.width), pads: a.pads, layout: .blocked, node: "p")
        let got = plain(try p.run([blocked(x)], node: "p"), shape: y)
        #expect(Naive.maxError(got, Naive.pool(x, a, average: average).values) < 1e-5, "\(kind)")
    }
}

@Test func oneDNNAddConcatAndActivationsWorkOnOddChannelCounts() throws {
    let a = Naive.tensor([1, 24, 5, 7], seed: 50), b = Naive.tensor([1, 24, 5, 7], seed: 51), c = Naive.tensor([1, 5, 5, 7], seed: 52)
    let add = try OneDNNPrimitive.add(shape: a.shape, layout: .blocked, activation: .relu, node: "add")
    let sum = plain(try add.run([blocked(a), blocked(b)], node: "add"), shape: a.shape)
    #expect(Naive.maxError(sum, zip(a.values, b.values).map { max($0 + $1, 0) }) < 1e-6)
    let concat = try OneDNNPrimitive.concat(channels: [24, 5], batch: 1, height: 5, width: 7, layout: .blocked, node: "cat")
    let joined = plain(try concat.run([blocked(a), blocked(c)], node: "cat"), shape: [1, 29, 5, 7])
    #expect(joined == a.values + c.values)
    let relu6 = try OneDNNPrimitive.eltwise(.clip(min: 0, max: 0.5), shape: c.shape, layout: .blocked, node: "clip")
    #expect(plain(try relu6.run([blocked(c)], node: "clip"), shape: c.shape) == c.values.map { min(max($0, 0), 0.5) })
    let toBlocked = try OneDNNPrimitive.reorder(shape: c.shape, from: .plain, to: .blocked, node: "r")
    #expect(try toBlocked.run([c.values], node: "r") == blocked(c))
}

/// LRN across channels in nChw16c against the executor's own LRN (itself tested against
/// the ONNX definition), AlexNet's and GoogLeNet's size 5, on 19 channels (a padded block).
@Test(arguments: [5, 3, 1])
func oneDNNLocalResponseNormMatchesTheExecutor(size: Int) throws {
    let x = Naive.tensor([1, 19, 4, 5], seed: 55)
    let want = try Operators.localResponseNorm(x, size: size, alpha: 1e-4 * 50, beta: 0.75, bias: 1)
    let lrn = try OneDNNPrimitive.localResponseNorm(size: size, alpha: 1e-4 * 50, beta: 0.75, bias: 1, shape: x.shape, layout: .blocked, node: "lrn")
    #expect(Naive.maxError(plain(try lrn.run([blocked(x)], node: "lrn"), shape: x.shape), want.values) < 1e-5)
    #expect(throws: ExecutorError.self) {
        try OneDNNPrimitive.localResponseNorm(size: 4, alpha: 1e-4, beta: 0.75, bias: 1, shape: x.shape, layout: .blocked, node: "even")
    }
}

/// Zero fractions of a blocked tensor count the logical elements only: the 8 padding
/// lanes of a 24-channel tensor (MobileNetV2's narrowest layers) are zero but not counted.
@Test func blockedZeroCountSkipsPadding() throws {
    var x = Naive.tensor([2, 24, 3, 3], seed: 53)
    for i in stride(from: 0, to: x.values.count, by: 5) { x.values[i] = 0 }
    let b = try BlockedTensor(shape: x.shape, values: blocked(x))
    #expect(b.values.count == 2 * 32 * 9)
    #expect(b.elementCount == x.elementCount)
    #expect(b.logicalZeroCount == x.values.filter { $0 == 0 }.count)
    #expect(SlotValue(blocked: b).logicalCounts.zeros == SlotValue(plain: x).logicalCounts.zeros)
}

@Test func oneDNNRefusesImpossibleShapesWithATypedError() {
    #expect(throws: ExecutorError.self) {
        try OneDNNPrimitive.concat(channels: [], batch: 1, height: 2, width: 2, layout: .blocked, node: "empty")
    }
    #expect(throws: ExecutorError.self) {
        // 6 channels do not split into 4 groups.
        var g = try ConvGeometry(input: [1, 8, 4, 4], filter: [8, 8, 1, 1], attributes: ConvAttributes(kernel: 1), node: "bad")
        g.inChannels = 6; g.groups = 4
        _ = try OneDNNPrimitive.convolution(g, filter: [Float](repeating: 1, count: 16), bias: nil, source: .plain, destination: .plain, activation: .none, node: "bad")
    }
    // Failures after the shim has allocated its object (freed on the way out): a negative
    // extent, and an output size oneDNN's convolution descriptor rejects.
    #expect(throws: ExecutorError.self) {
        try OneDNNPrimitive.eltwise(.relu, shape: [1, -2, 3, 3], layout: .blocked, node: "negative")
    }
    let error = #expect(throws: ExecutorError.self) {
        var g = try ConvGeometry(input: [1, 8, 4, 4], filter: [8, 8, 3, 3], attributes: ConvAttributes(kernel: 3), node: "wrong-output")
        g.outHeight = 7
        _ = try OneDNNPrimitive.convolution(g, filter: [Float](repeating: 1, count: 8 * 8 * 9), bias: nil, source: .blocked, destination: .blocked, activation: .relu, node: "wrong-output")
    }
    #expect(error?.description.contains("wrong-output") == true)
    #expect(error?.description.contains("oneDNN") == true)
}

/// A graph mixing operators oneDNN runs in nChw16c (conv with 5 and 24 channels, depthwise
/// conv, ReLU6, max-pool, add, concat, global pool) with ones it does not (a broadcasting
/// mul, a resize, a softmax): the layout pass inserts the reorders, the outputs equal the
/// SIMD backend's, the trace has the same operators, shapes and zero fractions.
func mixedLayoutGraph() -> Graph {
    let specs: [(String, [Int])] = [("w1", [24, 3, 3, 3]), ("b1", [24]), ("wd", [24, 1, 3, 3]), ("w2", [5, 24, 1, 1]), ("w3", [24, 29, 1, 1]), ("scale", [1, 24, 1, 1])]
    var table: [String: WeightTensor] = [:]
    for (name, shape) in specs { table[name] = realWeights(name, shape) }
    let nodes = [
        Node(name: "conv1", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w1", "b1"], outputs: ["c1"]),
        Node(name: "relu6", op: .clip(min: 0, max: 6), inputs: ["c1"], outputs: ["r1"]),
        Node(name: "dw", op: .conv(ConvAttributes(kernel: 3, pad: 1, groups: 24)), inputs: ["r1", "wd"], outputs: ["d"]),
        Node(name: "mul", op: .mul, inputs: ["d", "scale"], outputs: ["m"]),                 // broadcasting: NCHW
        Node(name: "add", op: .add, inputs: ["m", "r1"], outputs: ["s"]),                    // one blocked, one plain input
        Node(name: "pw", op: .conv(ConvAttributes(kernel: 1)), inputs: ["s", "w2"], outputs: ["p"]),
        Node(name: "cat", op: .concat(axis: 1), inputs: ["s", "p"], outputs: ["cat"]),        // 24 + 5 channels
        Node(name: "pw2", op: .conv(ConvAttributes(kernel: 1)), inputs: ["cat", "w3"], outputs: ["q"]),
        Node(name: "pool", op: .maxPool(PoolAttributes(kernel: 2, stride: 2)), inputs: ["q"], outputs: ["pq"]),
        Node(name: "up", op: .resize(mode: .nearest, scaleHeight: 2, scaleWidth: 2), inputs: ["pq"], outputs: ["u"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["u"], outputs: ["g"]),
        Node(name: "softmax", op: .softmax(axis: 1), inputs: ["g"], outputs: ["prob"]),
    ]
    return Graph(name: "mixed", inputs: [TensorSpec(name: "image", shape: [1, 3, 10, 10])], outputs: ["prob", "p"], nodes: nodes, weights: table)
}

/// Whether oneDNN runs nChw16c convolutions, direct and Winograd, on JIT kernels. oneDNN 2.6
/// has those for AVX-512 (`avx512_core`) only: on an AVX2-only host (or with
/// DNNL_MAX_CPU_ISA=AVX2) it offers reference kernels, which the layout pass refuses, so the
/// steps run on the executor's own kernels (correct, slower). Tests of the layout pass's
/// choices (and oneDNN's Winograd kernel) on such machines are then skipped, not failed; the
/// other kernels' numbers are still tested there against the naive references.
let oneDNNHasBlockedJITKernels: Bool = {
    guard OneDNNPrimitive.isAvailable,
          let g = try? ConvGeometry(input: [1, 16, 8, 8], filter: [16, 16, 3, 3], attributes: ConvAttributes(kernel: 3, pad: 1), node: "probe")
    else { return false }
    let filter = [Float](repeating: 0.01, count: 16 * 16 * 9)
    return [OneDNNPrimitive.ConvAlgorithm.direct, .winograd].allSatisfy { algorithm in
        guard let p = try? OneDNNPrimitive.convolution(g, filter: filter, bias: nil, source: .blocked, destination: .blocked,
                                                       activation: .none, algorithm: algorithm, node: "probe") else { return false }
        return OneDNNPrimitive.runsOnJITKernels(p.implementation)
    }
}()

/// The trait for tests of what the layout pass chooses on AVX-512 machines.
let needsBlockedJITKernels = ConditionTrait.enabled(if: oneDNNHasBlockedJITKernels,
                                                    "oneDNN 2.6 has nChw16c and Winograd JIT kernels for AVX-512 only")

@Test(needsBlockedJITKernels) func layoutPassMixesBlockedAndPlainOperators() throws {
    let graph = mixedLayoutGraph()
    let x = Naive.tensor([1, 3, 10, 10], seed: 54)
    let simd = try InferenceSession(graph: graph, backend: .simd).runWithTrace(x)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    let dnnl = try session.runWithTrace(x)
    for name in ["prob", "p"] {
        #expect(dnnl.outputs[name]!.shape == simd.outputs[name]!.shape)
        #expect(Naive.maxError(dnnl.outputs[name]!.values, simd.outputs[name]!.values) < 1e-4, "\(name)")
    }
    let byName = Dictionary(uniqueKeysWithValues: session.steps.map { ($0.name, $0) })
    // conv1 (+ fused ReLU6), the depthwise conv, add, pw, concat, pw2 and the pool run on oneDNN;
    // mul, resize and softmax do not. "p" is a graph output: written in NCHW.
    for name in ["conv1", "dw", "add", "pw", "cat", "pw2", "pool"] { #expect(byName[name]?.oneDNN != nil, "\(name)") }
    for name in ["mul", "up", "softmax"] { #expect(byName[name]?.oneDNN == nil, "\(name)") }
    #expect(byName["conv1"]?.outputLayout == .blocked && byName["pw"]?.outputLayout == .plain)
    #expect(byName["conv1"]?.operands.count == 1)   // the filter lives in the primitive only
    // The trace means the same on both backends: operators, shapes, weight words and zero fractions.
    #expect(dnnl.trace.operators.map(\.shape) == simd.trace.operators.map(\.shape))
    for (a, b) in zip(dnnl.trace.operators, simd.trace.operators) {
        let (ma, mb) = (a.measured!, b.measured!)
        #expect(ma.weightZeroFraction == mb.weightZeroFraction, "\(a.shape.name)")
        #expect(abs(ma.inputZeroFraction - mb.inputZeroFraction) < 0.02, "\(a.shape.name)")
        #expect(abs(ma.outputZeroFraction - mb.outputZeroFraction) < 0.02, "\(a.shape.name)")
        #expect(ma.bytesTouched == mb.bytesTouched, "\(a.shape.name)")
    }
    #expect(dnnl.trace.provenance["executor.gemmBackend"] == "oneDNN")
    #expect(dnnl.trace.provenance["onednn.version"] != nil)
    // conv1 reads the NCHW graph input, for which oneDNN has no Winograd kernel: it falls
    // back to the direct one. The provenance counts the steps that do run Winograd.
    #expect(byName["conv1"]?.oneDNN?.implementation.contains("wino") == false)
    let winogradSteps = session.steps.filter { $0.oneDNN?.implementation.contains("wino") == true }.count
    #expect(dnnl.trace.provenance["onednn.winogradConvolutions"] == String(winogradSteps))
}

/// A 3×3 stride-1 convolution inside a oneDNN chain (nChw16c source) runs by Winograd in a
/// session, and the session's output equals the SIMD backend's.
@Test(needsBlockedJITKernels) func sessionRunsChained3x3ConvolutionsByWinograd() throws {
    var table: [String: WeightTensor] = [:]
    for (name, shape) in [("w1", [16, 3, 3, 3]), ("w2", [32, 16, 3, 3]), ("b2", [32])] { table[name] = realWeights(name, shape) }
    let nodes = [
        Node(name: "conv1", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w1"], outputs: ["c1"]),
        Node(name: "relu", op: .relu, inputs: ["c1"], outputs: ["r1"]),
        Node(name: "conv2", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["r1", "w2", "b2"], outputs: ["c2"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["c2"], outputs: ["g"]),
    ]
    let graph = Graph(name: "wino", inputs: [TensorSpec(name: "image", shape: [1, 3, 12, 12])], outputs: ["g"], nodes: nodes, weights: table)
    let x = Naive.tensor([1, 3, 12, 12], seed: 71)
    let simd = try InferenceSession(graph: graph, backend: .simd).run(x)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    let dnnl = try session.runWithTrace(x)
    let conv2 = session.steps.first { $0.name == "conv2" }
    #expect(conv2?.oneDNN?.implementation.contains("wino") == (InferenceSession.convolutionAlgorithm == .winograd))
    #expect(dnnl.trace.provenance["onednn.winogradConvolutions"] == (InferenceSession.convolutionAlgorithm == .winograd ? "1" : "0"))
    let scale = simd["g"]!.values.map(abs).max()!
    #expect(Naive.maxError(dnnl.outputs["g"]!.values, simd["g"]!.values) < 1e-4 * max(1, scale))
}

struct InnerProductCase: CustomTestStringConvertible, Sendable {
    var batch: Int, inputs: Int, outputs: Int, transB: Bool, bias: Bool
    var testDescription: String { "\(batch)×\(inputs)→\(outputs)\(transB ? " Bᵀ" : "")\(bias ? " +b" : "")" }
}

/// oneDNN's inner product (Gemm with transA = 0: batch 1 and N, weights [M, K] or [K, M],
/// with and without bias, ReLU fused) against the naive GEMM. (Sessions run batch 1 on the
/// shim's GEMV: the next test.)
@Test(arguments: [
    InnerProductCase(batch: 1, inputs: 70, outputs: 50, transB: true, bias: true),     // VGG-style FC at batch 1
    InnerProductCase(batch: 1, inputs: 1, outputs: 1, transB: true, bias: false),
    InnerProductCase(batch: 3, inputs: 33, outputs: 17, transB: false, bias: true),    // MatMul-style [K, M] weights
    InnerProductCase(batch: 8, inputs: 300, outputs: 129, transB: true, bias: true),   // ragged against oneDNN's blocks
    InnerProductCase(batch: 5, inputs: 16, outputs: 1000, transB: false, bias: false),
])
func oneDNNInnerProductMatchesNaive(_ c: InnerProductCase) throws {
    let x = Naive.tensor([c.batch, c.inputs], seed: 31)
    let w = Naive.tensor(c.transB ? [c.outputs, c.inputs] : [c.inputs, c.outputs], seed: 32)
    let b = Naive.tensor([c.outputs], seed: 33)
    var want = Naive.gemm(m: c.batch, n: c.outputs, k: c.inputs, a: { i, p in x.values[i * c.inputs + p] },
                          b: { p, j in c.transB ? w.values[j * c.inputs + p] : w.values[p * c.outputs + j] })
    for i in want.indices { want[i] = max(0, want[i] + (c.bias ? b.values[i % c.outputs] : 0)) }
    // Weights reordered into oneDNN's layout, and borrowed in place (the batch-1 path).
    for borrow in [false, true] {
        let ip = try OneDNNPrimitive.innerProduct(batch: c.batch, inputs: c.inputs, outputs: c.outputs, weights: w.values,
                                                  weightsAreOutputsByInputs: c.transB, bias: c.bias ? b.values : nil,
                                                  activation: .relu, borrowWeights: borrow, shimGEMV: false, node: "fc")
        #expect(!ip.implementation.hasPrefix("jb_gemv"))
        #expect(ip.outputFloats == c.batch * c.outputs)
        #expect((ip.borrowed != nil) == borrow)
        #expect(Naive.maxError(try ip.run([x.values], node: "fc"), want) < 1e-4, "borrow \(borrow)")
    }
}

struct GEMVCase: CustomTestStringConvertible, Sendable {
    var inputs: Int, outputs: Int, transB: Bool, bias: Bool, activation: FusedActivation
    var testDescription: String { "\(inputs)→\(outputs)\(transB ? " Bᵀ" : "")\(bias ? " +b" : "") \(activation)" }
}

/// Batch 1 with borrowed weights runs on the shim's own GEMV (`jb_gemv`, cdnnl.c), not on
/// oneDNN: rows four at a time with a masked tail over the inputs, or columns, split over
/// the team in 16-output blocks. Against the naive GEMM on ragged and aligned shapes.
@Test(arguments: [
    GEMVCase(inputs: 1280, outputs: 1000, transB: true, bias: true, activation: .none),     // MobileNetV2's classifier
    GEMVCase(inputs: 77, outputs: 33, transB: true, bias: true, activation: .relu),        // masked tail, rows left over
    GEMVCase(inputs: 16, outputs: 4, transB: true, bias: false, activation: .none),        // one thread (fewer than 32 outputs)
    GEMVCase(inputs: 5, outputs: 130, transB: true, bias: true, activation: .clip(min: -0.5, max: 0.5)),
    GEMVCase(inputs: 300, outputs: 129, transB: false, bias: true, activation: .relu),     // [K, M] weights: columns
    GEMVCase(inputs: 31, outputs: 7, transB: false, bias: false, activation: .clip(min: 0, max: 6)),
])
func batchOneInnerProductRunsOnTheShimGEMV(_ c: GEMVCase) throws {
    guard OneDNNPrimitive.isAvailable else { return }
    let x = Naive.tensor([1, c.inputs], seed: 41)
    let b = Naive.tensor([c.outputs], seed: 43)
    // The weights' only owner after this scope is the primitive (it borrows them in place).
    let (ip, want): (OneDNNPrimitive, [Float]) = try {
        let w = Naive.tensor(c.transB ? [c.outputs, c.inputs] : [c.inputs, c.outputs], seed: 42)
        let ip = try OneDNNPrimitive.innerProduct(batch: 1, inputs: c.inputs, outputs: c.outputs, weights: w.values,
                                                  weightsAreOutputsByInputs: c.transB, bias: c.bias ? b.values : nil,
                                                  activation: c.activation, borrowWeights: true, node: "fc")
        return (ip, expectedFullyConnected(c, x: x, w: w, b: b))
    }()
    #expect(ip.implementation.hasPrefix("jb_gemv") == shimGEMVEnabled, "\(ip.implementation)")
    #expect(Naive.maxError(try ip.run([x.values], node: "fc"), want) < 1e-4)
}

/// A NaN input stays NaN through the GEMV's fused ReLU (ONNX Relu is max(0, x), which
/// propagates NaN, as numpy and onnxruntime do), instead of becoming 0. (oneDNN's gemm:jit
/// ReLU post-op does not propagate it: a difference of that kernel, not a contract.)
@Test func shimGEMVKeepsNaNThroughReLU() throws {
    guard OneDNNPrimitive.isAvailable, shimGEMVEnabled else { return }
    let weights = Naive.tensor([40, 24], seed: 44).values
    var x = Naive.tensor([1, 24], seed: 45).values
    x[3] = .nan
    let ip = try OneDNNPrimitive.innerProduct(batch: 1, inputs: 24, outputs: 40, weights: weights, weightsAreOutputsByInputs: true,
                                              bias: nil, activation: .relu, borrowWeights: true, node: "fc")
    #expect(try ip.run([x], node: "fc").allSatisfy(\.isNaN))
}

/// Whether batch-1 inner products run on the shim's GEMV in this process (JOULEBENCH_ONEDNN_GEMV=0 turns it off).
private let shimGEMVEnabled = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_GEMV"] != "0"

/// act(x·W + b) by the naive GEMM, for a `GEMVCase`.
private func expectedFullyConnected(_ c: GEMVCase, x: Tensor, w: Tensor, b: Tensor) -> [Float] {
    var want = Naive.gemm(m: 1, n: c.outputs, k: c.inputs, a: { _, p in x.values[p] },
                          b: { p, j in c.transB ? w.values[j * c.inputs + p] : w.values[p * c.outputs + j] })
    for j in want.indices {
        let v = want[j] + (c.bias ? b.values[j] : 0)
        switch c.activation {
        case .none: want[j] = v
        case .relu: want[j] = max(0, v)
        case .clip(let lo, let hi): want[j] = min(max(v, lo), hi)
        }
    }
    return want
}

@Test func oneDNNInnerProductRefusesMismatchedWeightsWithATypedError() {
    #expect(throws: ExecutorError.self) {
        _ = try OneDNNPrimitive.innerProduct(batch: 1, inputs: 4, outputs: 3, weights: [Float](repeating: 1, count: 11),
                                             weightsAreOutputsByInputs: true, bias: nil, activation: .none, node: "fc")
    }
}

/// A classifier head as the zoo and ONNX files write it: conv → global pool → flatten →
/// Gemm (+ fused ReLU) → Gemm with a [1, M] bias and beta 0.5 → MatMul → softmax. On the
/// oneDNN backend the Gemms and the MatMul run as inner products (their constants moved into
/// the primitive); a Gemm with alpha ≠ 1 stays on SIMD16; the outputs and the trace equal
/// the SIMD backend's.
@Test(arguments: [1, 4])
func layoutPassRunsFullyConnectedLayersOnOneDNN(batch: Int) throws {
    let specs: [(String, [Int])] = [("w", [20, 3, 3, 3]), ("f1", [30, 20]), ("c1", [30]), ("f2", [30, 12]), ("c2", [1, 12]),
                                    ("m", [12, 7]), ("f4", [7, 5])]
    var table: [String: WeightTensor] = [:]
    for (name, shape) in specs { table[name] = realWeights(name, shape) }
    let nodes = [
        Node(name: "conv", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w"], outputs: ["c"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["c"], outputs: ["g"]),
        Node(name: "flat", op: .flatten(axis: 1), inputs: ["g"], outputs: ["v"]),
        Node(name: "fc1", op: .gemm(transA: false, transB: true, alpha: 1, beta: 1), inputs: ["v", "f1", "c1"], outputs: ["h"]),
        Node(name: "relu", op: .relu, inputs: ["h"], outputs: ["hr"]),
        Node(name: "fc2", op: .gemm(transA: false, transB: false, alpha: 1, beta: 0.5), inputs: ["hr", "f2", "c2"], outputs: ["o"]),
        Node(name: "mm", op: .matMul, inputs: ["o", "m"], outputs: ["q"]),
        Node(name: "fc4", op: .gemm(transA: false, transB: false, alpha: 2, beta: 1), inputs: ["q", "f4"], outputs: ["r"]),
        Node(name: "softmax", op: .softmax(axis: 1), inputs: ["r"], outputs: ["prob"]),
    ]
    let graph = Graph(name: "head", inputs: [TensorSpec(name: "image", shape: [batch, 3, 6, 6])], outputs: ["prob"], nodes: nodes, weights: table)
    let x = Naive.tensor([batch, 3, 6, 6], seed: 55)
    let simd = try InferenceSession(graph: graph, backend: .simd).runWithTrace(x)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    let dnnl = try session.runWithTrace(x)
    #expect(Naive.maxError(dnnl.outputs["prob"]!.values, simd.outputs["prob"]!.values) < 1e-5)
    let byName = Dictionary(uniqueKeysWithValues: session.steps.map { ($0.name, $0) })
    for name in ["fc1", "fc2", "mm"] {
        #expect(byName[name]?.oneDNN != nil, "\(name)")
        #expect(byName[name]?.operands.count == 1, "\(name)")   // weights and bias live in the primitive only
    }
    #expect(byName["fc4"]?.oneDNN == nil)                          // alpha = 2: SIMD16
    #expect((byName["fc1"]?.oneDNN?.borrowed != nil) == (batch == 1))  // batch 1 reads the weights in place
    // … on the shim's GEMV (fc1, fc2, mm), unless switched off; the trace counts them.
    let gemvLayers = batch == 1 && shimGEMVEnabled ? 3 : 0
    #expect(["fc1", "fc2", "mm"].filter { byName[$0]?.oneDNN?.implementation.hasPrefix("jb_gemv") == true }.count == gemvLayers)
    #expect(dnnl.trace.provenance["onednn.shimGEMVLayers"] == (gemvLayers > 0 ? String(gemvLayers) : nil))
    #expect(dnnl.trace.operators.map(\.shape) == simd.trace.operators.map(\.shape))
    for (a, b) in zip(dnnl.trace.operators, simd.trace.operators) {
        let (ma, mb) = (a.measured!, b.measured!)
        #expect(ma.weightZeroFraction == mb.weightZeroFraction, "\(a.shape.name)")
        // A ReLU input within rounding of zero may land on either side on the two kernels.
        #expect(abs(ma.outputZeroFraction - mb.outputZeroFraction) < 0.05, "\(a.shape.name)")
        #expect(ma.bytesTouched == mb.bytesTouched, "\(a.shape.name)")
    }
}

/// oneDNN's Winograd kernels (what the layout pass gives plain 3×3 stride-1 convolutions)
/// against the naive convolution, in the chain layout with a fused ReLU: F(4×4, 3×3)
/// transforms lose a little precision, so the bound is relative to the output's scale.
@Test(needsBlockedJITKernels, arguments: [(16, 16, 14), (3, 24, 10), (64, 32, 7), (40, 24, 9)])
func oneDNNWinogradConvolutionMatchesNaive(c: Int, m: Int, size: Int) throws {
    let a = ConvAttributes(kernel: 3, pad: 1)
    let x = Naive.tensor([1, c, size, size], seed: 61)
    let w = Naive.tensor([m, c, 3, 3], seed: 62)
    let bias = Naive.tensor([m], seed: 63)
    let want = Naive.conv(x, w, bias.values, a).values.map { max($0, 0) }
    let g = try ConvGeometry(input: x.shape, filter: w.shape, attributes: a, node: "wino")
    #expect(InferenceSession.oneDNNWinogradApplies(to: g) == (InferenceSession.convolutionAlgorithm == .winograd))
    let p = try OneDNNPrimitive.convolution(g, filter: w.values, bias: bias.values, source: .blocked, destination: .blocked,
                                            activation: .relu, algorithm: .winograd, node: "wino")
    #expect(p.implementation.contains("wino"))
    let got = plain(try p.run([blocked(x)], node: "wino"), shape: [1, m, size, size])
    let scale = want.map(abs).max()!
    #expect(Naive.maxError(got, want) < 1e-5 * max(1, scale) * Float(c))
}

/// nChw16c activations live in 64-byte-aligned storage (an AVX-512 access never straddles
/// two cache lines); Swift arrays of that size start 48 bytes into a line here.
@Test(arguments: [0, 1, 15, 16, 1000, 1_204_224])
func alignedStorageStartsOnACacheLine(_ count: Int) throws {
    let storage = try AlignedFloats(uninitializedCount: count)
    #expect(UInt(bitPattern: storage.base) % UInt(AlignedFloats.alignment) == 0)
    #expect(storage.count == count)
    let values = (0..<count).map { Float($0 % 7) }
    #expect(try AlignedFloats(values).array == values)
}

/// A session's blocked activations come out of `runAligned` on aligned storage, with the
/// same values as the array path.
@Test func runAlignedMatchesTheArrayPath() throws {
    guard OneDNNPrimitive.isAvailable else { return }
    let x = Naive.tensor([1, 24, 9, 9], seed: 61)
    let relu = try OneDNNPrimitive.eltwise(.relu, shape: x.shape, layout: .blocked, node: "relu")
    let viaArray = try relu.run([blocked(x)], node: "relu")
    let viaAligned = try relu.runAligned([.aligned(try AlignedFloats(blocked(x)))], node: "relu")
    #expect(UInt(bitPattern: viaAligned.base) % 64 == 0)
    #expect(viaAligned.array == viaArray)
    #expect(plain(viaAligned.array, shape: x.shape) == x.values.map { max($0, 0) })
}

/// Residual blocks: an identity shortcut (the block input, also read by the branch), a
/// projection shortcut (a 1×1 convolution), and a sum that is both a convolution's input
/// and the addend of that convolution's add.
func residualGraph() -> Graph {
    var table: [String: WeightTensor] = [:]
    for (name, shape) in [("w0", [32, 3, 3, 3]), ("b0", [32]), ("wa", [32, 32, 3, 3]), ("wb", [32, 32, 1, 1]), ("bb", [32]),
                          ("wp", [48, 32, 1, 1]), ("wc", [48, 32, 3, 3]), ("bc", [48]), ("wd", [48, 48, 1, 1])] {
        table[name] = realWeights(name, shape)
    }
    let nodes = [
        Node(name: "conv0", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w0", "b0"], outputs: ["c0"]),
        Node(name: "relu0", op: .relu, inputs: ["c0"], outputs: ["x"]),
        Node(name: "a", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["x", "wa"], outputs: ["ya"]),
        Node(name: "relua", op: .relu, inputs: ["ya"], outputs: ["ra"]),
        Node(name: "b", op: .conv(ConvAttributes(kernel: 1)), inputs: ["ra", "wb", "bb"], outputs: ["yb"]),
        Node(name: "add1", op: .add, inputs: ["yb", "x"], outputs: ["s1"]),
        Node(name: "relu1", op: .relu, inputs: ["s1"], outputs: ["x1"]),
        Node(name: "proj", op: .conv(ConvAttributes(kernel: 1)), inputs: ["x1", "wp"], outputs: ["p"]),
        Node(name: "c", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["x1", "wc", "bc"], outputs: ["yc"]),
        Node(name: "add2", op: .add, inputs: ["p", "yc"], outputs: ["s2"]),
        Node(name: "d", op: .conv(ConvAttributes(kernel: 1)), inputs: ["s2", "wd"], outputs: ["yd"]),
        Node(name: "add3", op: .add, inputs: ["yd", "s2"], outputs: ["s3"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["s3"], outputs: ["out"]),
    ]
    return Graph(name: "residual", inputs: [TensorSpec(name: "image", shape: [1, 3, 9, 9])], outputs: ["out"], nodes: nodes, weights: table)
}

/// The untraced plan fuses each residual add into a convolution (oneDNN's sum post-op) and
/// computes what the traced plan computes (within float32 rounding); the trace keeps every operator and says how many
/// adds `run` fuses. add1's addend x and add2's (the projection) die there: added into in
/// place; add3's addend s2 is also the input of d, the convolution fused with it: a copy.
@Test(needsBlockedJITKernels) func untracedPlanFusesResidualAddsAndComputesTheSame() throws {
    guard OneDNNPrimitive.isAvailable else { return }
    let graph = residualGraph()
    let x = Naive.tensor([1, 3, 9, 9], seed: 81)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    #expect(session.fusedResidualAdds == 3)
    #expect(session.untracedSteps.count == session.steps.count - 3)
    #expect(session.untracedSteps.filter(\.accumulatesAddend).map(\.name) == ["b+add1", "c+add2", "d+add3"])
    // The fused steps read the unfused convolutions' reordered filters in place: only the bias is their own.
    let fusedBytes = session.untracedSteps.filter(\.accumulatesAddend).map { $0.oneDNN!.constantBytes }
    #expect(fusedBytes == [32 * 4, 48 * 4, 0])
    let traced = try session.runWithTrace(x)
    let untraced = try session.run(x)
    // Within float32 rounding: the fused sum adds in another order than the separate add.
    let range = traced.outputs["out"]!.values.map(abs).max()!
    #expect(Naive.maxError(untraced["out"]!.values, traced.outputs["out"]!.values) <= 1e-6 * max(1, range))
    let reference = try InferenceSession(graph: graph, backend: .simd).run(x)["out"]!
    let scale = reference.values.map(abs).max()!
    #expect(Naive.maxError(untraced["out"]!.values, reference.values) < 1e-4 * max(1, scale))
    #expect(traced.trace.operators.map(\.shape.name).filter { $0.hasPrefix("add") } == ["add1", "add2", "add3"])
    #expect(traced.trace.provenance["onednn.residualAddsFusedWhenUntraced"] == "3")
    // Twice in a row (in-place buffers must not leak state between runs).
    #expect(try session.run(x)["out"]!.values == untraced["out"]!.values)
}

/// Strided convolutions run as 1×1 convolutions over gathered patches (`BlockedPatches`)
/// equal the naive convolution: ResNet's stride-2 3×3 (pad 1, even and odd sizes), a 2×2
/// stride 2 without padding, stride 3 with asymmetric padding, batch 2, 32 and 48 channels.
@Test(arguments: [
    ConvCase(c: 16, h: 14, w: 14, m: 24, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), name: "3×3/2 pad 1, even"),
    ConvCase(n: 2, c: 32, h: 13, w: 11, m: 16, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), name: "3×3/2 pad 1, odd, batch 2"),
    ConvCase(c: 48, h: 8, w: 9, m: 20, r: 2, s: 2, stride: (2, 2), name: "2×2/2 no padding"),
    ConvCase(c: 16, h: 10, w: 12, m: 8, r: 3, s: 2, stride: (3, 2), pads: (0, 1, 2, 0), name: "3×2 stride (3, 2), asymmetric pads"),
])
func gatheredPatchConvolutionMatchesNaive(_ c: ConvCase) throws {
    guard OneDNNPrimitive.isAvailable else { return }
    let (x, w, bias, want) = c.operands(seed: 91)
    let g = try ConvGeometry(input: x.shape, filter: w.shape, attributes: c.attributes, node: "g")
    #expect(BlockedPatches.applies(to: g))
    let p = try OneDNNPrimitive.gatheredPatchConvolution(g, filter: w.values, bias: bias.values, destination: .blocked, activation: .relu, node: "g")
    let got = try p.runAligned([.aligned(try AlignedFloats(blocked(x)))], node: "g")
    #expect(Naive.maxError(plain(got.array, shape: want.shape), want.values.map { max($0, 0) }) < 1e-4)
}

/// Which convolutions gather patches: strided, ungrouped, undilated, 2–3 taps a side, C a
/// multiple of 16; and a session runs ResNet's stride-2 3×3 that way with the trace unchanged.
@Test(needsBlockedJITKernels) func gatheredPatchesApplyToStridedConvolutionsOnly() throws {
    func geometry(_ c: Int, _ k: Int, _ stride: Int, groups: Int = 1, dilation: Int = 1) throws -> ConvGeometry {
        try ConvGeometry(input: [1, c, 14, 14], filter: [c, c / groups, k, k],
                         attributes: ConvAttributes(kernel: (k, k), stride: (stride, stride), pads: (1, 1, 1, 1), dilation: (dilation, dilation), groups: groups), node: "g")
    }
    #expect(BlockedPatches.applies(to: try geometry(32, 3, 2)))
    #expect(!BlockedPatches.applies(to: try geometry(32, 3, 1)))              // stride 1: Winograd
    #expect(!BlockedPatches.applies(to: try geometry(24, 3, 2)))              // C not a multiple of 16
    #expect(!BlockedPatches.applies(to: try geometry(32, 3, 2, groups: 32)))  // depthwise
    #expect(!BlockedPatches.applies(to: try geometry(32, 1, 2)))              // 1×1
    #expect(!BlockedPatches.applies(to: try geometry(32, 3, 2, dilation: 2)))
    // A 28×28 output plane: oneDNN's direct kernel is as fast there (measured).
    let large = try ConvGeometry(input: [1, 32, 56, 56], filter: [32, 32, 3, 3],
                                 attributes: ConvAttributes(kernel: (3, 3), stride: (2, 2), pads: (1, 1, 1, 1)), node: "g")
    #expect(!BlockedPatches.applies(to: large))
    guard OneDNNPrimitive.isAvailable else { return }
    var table: [String: WeightTensor] = [:]
    for (name, shape) in [("w1", [32, 3, 3, 3]), ("w2", [48, 32, 3, 3]), ("b2", [48])] { table[name] = realWeights(name, shape) }
    let nodes = [
        Node(name: "conv1", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w1"], outputs: ["c1"]),
        Node(name: "relu", op: .relu, inputs: ["c1"], outputs: ["r1"]),
        Node(name: "down", op: .conv(ConvAttributes(kernel: (3, 3), stride: (2, 2), pads: (1, 1, 1, 1))), inputs: ["r1", "w2", "b2"], outputs: ["c2"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["c2"], outputs: ["g"]),
    ]
    let graph = Graph(name: "down", inputs: [TensorSpec(name: "image", shape: [1, 3, 15, 15])], outputs: ["g"], nodes: nodes, weights: table)
    let x = Naive.tensor([1, 3, 15, 15], seed: 94)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    #expect(session.steps.first { $0.name == "down" }?.oneDNN?.gatheredPatches != nil)
    let dnnl = try session.runWithTrace(x)
    let simd = try InferenceSession(graph: graph, backend: .simd).runWithTrace(x)
    #expect(Naive.maxError(dnnl.outputs["g"]!.values, simd.outputs["g"]!.values) < 1e-4)
    #expect(dnnl.trace.operators.map(\.shape) == simd.trace.operators.map(\.shape))
    #expect(dnnl.trace.provenance["onednn.gatheredPatchConvolutions"] == "1")
}

/// Once oneDNN is loaded the executor's own kernels run on its OpenMP team: every index of
/// a parallel loop runs exactly once, on at most `GEMM.threadCount` threads, from any thread.
@Test func parallelForRunsEveryIndexOnceOnTheOpenMPTeam() async throws {
    guard OneDNNPrimitive.isAvailable else { return }
    for count in [2, 3, 37] {
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        hits.initialize(repeating: 0)
        defer { hits.deallocate() }
        parallelFor(count) { hits[$0] += 1 }   // disjoint indices: no two threads share a slot
        #expect(Array(hits) == Array(repeating: 1, count: count))
    }
    // Concurrent callers each get their own team (libgomp's pools are per calling thread).
    try await withThrowingTaskGroup(of: [Float].self) { group in
        for seed in 0..<4 {
            group.addTask {
                let x = Naive.tensor([1, 8, 9, 9], seed: 100 + seed), w = Naive.tensor([12, 8, 3, 3], seed: 200 + seed)
                let got = try Operators.conv(x, filter: w, bias: nil, attributes: ConvAttributes(kernel: 3, pad: 1), backend: .simd)
                return [Naive.maxError(got.values, Naive.conv(x, w, nil, ConvAttributes(kernel: 3, pad: 1)).values)]
            }
        }
        for try await error in group { #expect(error[0] < 1e-4) }
    }
}

/// When the later of an add's two convolutions cannot take the sum (here a gathered-patch
/// convolution), the earlier one does: a projection shortcut fused with the strided branch
/// as its addend (a reviewer noticed only the later one was tried).
@Test(needsBlockedJITKernels) func residualAddFallsBackToTheEarlierConvolution() throws {
    guard OneDNNPrimitive.isAvailable, InferenceSession.gatheredPatchesEnabled else { return }
    var table: [String: WeightTensor] = [:]
    for (name, shape) in [("w0", [32, 3, 3, 3]), ("wp", [32, 32, 1, 1]), ("wb", [32, 32, 3, 3])] { table[name] = realWeights(name, shape) }
    let nodes = [
        Node(name: "conv0", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w0"], outputs: ["c0"]),
        Node(name: "relu0", op: .relu, inputs: ["c0"], outputs: ["x"]),
        Node(name: "proj", op: .conv(ConvAttributes(kernel: (1, 1), stride: (2, 2), pads: (0, 0, 0, 0))), inputs: ["x", "wp"], outputs: ["p"]),
        Node(name: "down", op: .conv(ConvAttributes(kernel: (3, 3), stride: (2, 2), pads: (1, 1, 1, 1))), inputs: ["x", "wb"], outputs: ["d"]),
        Node(name: "add", op: .add, inputs: ["p", "d"], outputs: ["s"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["s"], outputs: ["out"]),
    ]
    let graph = Graph(name: "fallback", inputs: [TensorSpec(name: "image", shape: [1, 3, 14, 14])], outputs: ["out"], nodes: nodes, weights: table)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    #expect(session.steps.first { $0.name == "down" }?.oneDNN?.gatheredPatches != nil)
    #expect(session.untracedSteps.filter(\.accumulatesAddend).map(\.name) == ["proj+add"])
    let x = Naive.tensor([1, 3, 14, 14], seed: 95)
    let traced = try session.runWithTrace(x).outputs["out"]!.values
    let untraced = try session.run(x)["out"]!.values
    #expect(Naive.maxError(untraced, traced) <= 1e-6 * max(1, traced.map(abs).max()!))
}

/// The calling thread's allowed CPUs, from /proc ("Cpus_allowed_list: 0-1"), as a set.
private func allowedCPUsOfThisThread() throws -> Set<Int> {
    let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return [] }
    var cpus: Set<Int> = []
    for part in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
        let bounds = part.split(separator: "-").compactMap { Int($0) }
        if let first = bounds.first { cpus.formUnion(first...(bounds.last ?? first)) }
    }
    return cpus
}

/// libgomp's spin count is set before libdnnl loads, by the pinning switches (cdnnl.c):
/// 3000 when passes are pinned, 1000 when pinning is switched off (a long spin is only safe
/// when a team's threads never share a core); a spin count or wait policy from the
/// environment is left alone.
@Test func spinCountFollowsThePinningSwitch() {
    guard OneDNNPrimitive.isAvailable else { return }
    let environment = ProcessInfo.processInfo.environment
    let note = OneDNNPrimitive.threadingNote
    // libgomp loaded earlier, or the user's own GOMP_SPINCOUNT / OMP_WAIT_POLICY: left alone.
    if note.hasPrefix("libgomp was loaded before") || note.hasPrefix("environment:") { return }
    let pinningOff = environment["JOULEBENCH_PIN_THREADS"] == "0" || PinnedTeam.userBindingVariables.contains { environment[$0] != nil }
    let expected = pinningOff ? "1000" : "3000"
    #expect(note.hasPrefix("GOMP_SPINCOUNT=\(expected) (set before loading"), "\(note)")
    #expect(environment["GOMP_SPINCOUNT"] == expected)   // what libgomp read when it loaded
}

/// A pass pins its OpenMP team to distinct CPUs (unpinned, the worker was sometimes woken on
/// its master's CPU and the two time-shared one core: docs/EXECUTOR.md, "Pinned team"): during
/// the pass the calling thread is on one CPU, the trace says the pass was pinned, and the
/// caller gets its own CPU set back. Other tests run passes concurrently and only one pass
/// at a time is pinned, so the test tries (for up to a minute) until one of its passes is.
@Test func passPinsTheTeamAndGivesTheCallerItsCPUsBack() throws {
    guard OneDNNPrimitive.isAvailable else { return }
    let session = try InferenceSession(graph: mixedLayoutGraph(), backend: .oneDNN)
    let x = Naive.tensor([1, 3, 10, 10], seed: 54)
    let before = try allowedCPUsOfThisThread()
    let environment = ProcessInfo.processInfo.environment
    let policyOn = GEMM.threadCount >= 2
        && PinnedTeam.userBindingVariables.allSatisfy { environment[$0] == nil } && environment["JOULEBENCH_PIN_THREADS"] != "0"
    let canPin = policyOn && before.count >= GEMM.threadCount
    var pinnedPasses = 0
    // Until one pass is pinned: other tests' passes hold the process's one pinned slot while
    // they run, but the whole suite ends well inside the minute.
    let deadline = Date().addingTimeInterval(60)
    repeat {
        var duringPass: Set<Int> = []
        let result = try session.execute([x], tracing: false) { _, _ in
            if duringPass.isEmpty { duringPass = try allowedCPUsOfThisThread() }
        }
        #expect(try allowedCPUsOfThisThread() == before)
        if result.pinned {
            pinnedPasses += 1
            #expect(duringPass.count == 1 && before.isSuperset(of: duringPass), "\(duringPass)")
        } else {
            #expect(duringPass == before)
            usleep(1000)
        }
    } while pinnedPasses == 0 && canPin && Date() < deadline
    #expect(pinnedPasses == (canPin ? 1 : 0))
    // The trace states the policy, whether or not this pass got the pins (that depends on
    // the moment, like a wall time: two runs' traces stay identical).
    let traced = try session.runWithTrace(x)
    #expect(try allowedCPUsOfThisThread() == before)
    let note = traced.trace.provenance["executor.threadPinning"] ?? ""
    #expect(note.hasPrefix(policyOn ? "on: a pass's \(GEMM.threadCount) threads" : "off: "), "\(note)")
}

/// The trace's pinning note is the policy, with the reason when it is off.
@Test(arguments: [(GEMMBackend.openBLAS, 2, "off: the openBLAS backend"), (.hybrid, 2, "off: the hybrid backend"),
                  (.oneDNN, 1, "off: one thread"), (.simd, 1, "off: one thread")])
func pinningPolicyNoteNamesWhyItIsOff(backend: GEMMBackend, threads: Int, expected: String) {
    #expect(PinnedTeam.policyNote(backend: backend, threads: threads).hasPrefix(expected))
}

/// MobileNetV2's block 2 (16 → 96 expansion at 112×112, ReLU6; depthwise 3×3 stride 2,
/// ReLU6; 96 → 24 projection), then a 24 → 48 → 24 block at 56×56 with a residual add (its
/// expansion read by its depthwise alone: fusable — oneDNN 2.6 tiles two JIT kernels there),
/// then an expansion whose output also feeds an add (two readers: never fused).
func invertedResidualGraph() -> Graph {
    var table: [String: WeightTensor] = [:]
    for (name, shape) in [("we", [96, 16, 1, 1]), ("be", [96]), ("wd", [96, 1, 3, 3]), ("bd", [96]), ("wp", [24, 96, 1, 1]),
                          ("we2", [48, 24, 1, 1]), ("wd2", [48, 1, 3, 3]), ("bd2", [48]), ("wp2", [24, 48, 1, 1]),
                          ("we3", [48, 24, 1, 1]), ("wd3", [48, 1, 3, 3])] {
        table[name] = realWeights(name, shape)
    }
    let relu6 = Op.clip(min: 0, max: 6)
    let nodes = [
        Node(name: "expand", op: .conv(ConvAttributes(kernel: 1)), inputs: ["image", "we", "be"], outputs: ["e"]),
        Node(name: "expand_relu", op: relu6, inputs: ["e"], outputs: ["er"]),
        Node(name: "dw", op: .conv(ConvAttributes(kernel: 3, stride: 2, pad: 1, groups: 96)), inputs: ["er", "wd", "bd"], outputs: ["d"]),
        Node(name: "dw_relu", op: relu6, inputs: ["d"], outputs: ["dr"]),
        Node(name: "project", op: .conv(ConvAttributes(kernel: 1)), inputs: ["dr", "wp"], outputs: ["p"]),
        Node(name: "expand2", op: .conv(ConvAttributes(kernel: 1)), inputs: ["p", "we2"], outputs: ["e2"]),
        Node(name: "dw2", op: .conv(ConvAttributes(kernel: 3, pad: 1, groups: 48)), inputs: ["e2", "wd2", "bd2"], outputs: ["d2"]),
        Node(name: "project2", op: .conv(ConvAttributes(kernel: 1)), inputs: ["d2", "wp2"], outputs: ["p2"]),
        Node(name: "sum", op: .add, inputs: ["p2", "p"], outputs: ["q"]),
        Node(name: "expand3", op: .conv(ConvAttributes(kernel: 1)), inputs: ["q", "we3"], outputs: ["e3"]),
        Node(name: "dw3", op: .conv(ConvAttributes(kernel: 3, pad: 1, groups: 48)), inputs: ["e3", "wd3"], outputs: ["d3"]),
        Node(name: "sum2", op: .add, inputs: ["d3", "e3"], outputs: ["out"]),
    ]
    return Graph(name: "inverted-residual", inputs: [TensorSpec(name: "image", shape: [1, 16, 112, 112])], outputs: ["out"],
                 nodes: nodes, weights: table)
}

/// Whether oneDNN runs a C → M 1×1 convolution at H×H with a depthwise 3×3 of `stride`
/// fused after it on JIT kernels (a fused kernel, or its tiled `ref_fused_convolution` of two
/// JIT kernels): what the fusion pass asks, asked directly.
func oneDNNJITsDepthwiseFusion(c: Int, m: Int, size: Int, stride: Int) throws -> Bool {
    let g = try ConvGeometry(input: [1, c, size, size], filter: [m, c, 1, 1], attributes: ConvAttributes(kernel: 1), node: "probe")
    guard let p = try? OneDNNPrimitive.convolution(g, filter: [Float](repeating: 0.01, count: m * c), bias: nil, source: .blocked,
                                                   destination: .blocked, activation: .none,
                                                   depthwise: .init(stride: stride, filter: [Float](repeating: 0.1, count: m * 9),
                                                                    bias: [Float](repeating: 0, count: m), activation: .none),
                                                   node: "probe") else { return false }
    return OneDNNPrimitive.runsOnJITKernels(p.implementation)
}

/// The untraced plan computes a depthwise 3×3 inside the 1×1 convolution before it (oneDNN's
/// depthwise post-op) exactly where oneDNN has a JIT kernel for the pair and nothing else
/// reads the 1×1 output, and computes what the traced plan and the SIMD backend compute; the
/// trace keeps every operator and says how many `run` fuses.
@Test func untracedPlanFusesDepthwiseIntoThePointwiseBefore() throws {
    guard OneDNNPrimitive.isAvailable else { return }
    let graph = invertedResidualGraph()
    let x = Naive.tensor([1, 16, 112, 112], seed: 91)
    let session = try InferenceSession(graph: graph, backend: .oneDNN)
    let fusesBlock2 = try oneDNNJITsDepthwiseFusion(c: 16, m: 96, size: 112, stride: 2)
    let fusesSecond = try oneDNNJITsDepthwiseFusion(c: 24, m: 48, size: 56, stride: 1)
    let names = session.untracedSteps.map(\.name)
    #expect(names.contains("expand+dw") == fusesBlock2)
    #expect(names.contains("expand2+dw2") == fusesSecond)
    #expect(!names.contains { $0.hasPrefix("expand3+") })   // e3 has two readers
    #expect(session.fusedDepthwiseConvolutions == (fusesBlock2 ? 1 : 0) + (fusesSecond ? 1 : 0))
    // On this project's machines (oneDNN 2.6, AVX-512) the 112×112 pair gets one fused JIT
    // kernel and the 56×56 one the tiled composition of two: both fused.
    for step in session.untracedSteps where step.name.contains("+dw") {
        #expect(OneDNNPrimitive.runsOnJITKernels(step.oneDNN?.implementation ?? "ref:any"), "\(step.name)")
    }
    let traced = try session.runWithTrace(x)
    let untraced = try session.run(x)
    let range = traced.outputs["out"]!.values.map(abs).max()!
    #expect(Naive.maxError(untraced["out"]!.values, traced.outputs["out"]!.values) <= 1e-5 * max(1, range))
    let reference = try InferenceSession(graph: graph, backend: .simd).run(x)["out"]!
    #expect(Naive.maxError(untraced["out"]!.values, reference.values) < 1e-4 * max(1, reference.values.map(abs).max()!))
    #expect(traced.trace.operators.map(\.shape.name).contains("dw"))
    #expect(traced.trace.provenance["onednn.depthwiseFusedWhenUntraced"] == (session.fusedDepthwiseConvolutions > 0 ? String(session.fusedDepthwiseConvolutions) : nil))
    #expect(try session.run(x)["out"]!.values == untraced["out"]!.values)
}

/// What counts as running on JIT kernels: a fused JIT kernel and oneDNN's tiled composition
/// of two JIT kernels do; a scalar reference kernel, alone or inside a composition, does not.
@Test(arguments: [
    ("jit_1x1:avx512_core", true),
    ("ref_fused_convolution:any:jit_1x1:avx512_core:jit_dw:avx512_core", true),
    ("ref:any", false),
    ("ref_fused_convolution:any:jit_1x1:avx512_core:ref:any", false),
])
func jitKernelNames(name: String, jit: Bool) {
    #expect(OneDNNPrimitive.runsOnJITKernels(name) == jit)
}
