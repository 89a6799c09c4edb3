import Foundation
import Testing
import Workloads
@testable import Executor

/// A small classifier with the patterns the zoo uses: conv → batch-norm → ReLU (folded and
/// fused), a residual add, max-pool, flatten, FC, softmax.
func smallGraph(weights: (String, [Int]) -> WeightTensor) -> Graph {
    let specs: [(String, [Int])] = [
        ("w1", [8, 3, 3, 3]), ("b1", [8]),
        ("bn_scale", [8]), ("bn_bias", [8]), ("bn_mean", [8]), ("bn_var", [8]),
        ("w2", [8, 8, 3, 3]),
        ("fc_w", [10, 8 * 4 * 4]), ("fc_b", [10]),
    ]
    var table: [String: WeightTensor] = [:]
    for (name, shape) in specs { table[name] = weights(name, shape) }
    let nodes = [
        Node(name: "conv1", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w1", "b1"], outputs: ["c1"]),
        Node(name: "bn1", op: .batchNorm(epsilon: 1e-5), inputs: ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], outputs: ["n1"]),
        Node(name: "relu1", op: .relu, inputs: ["n1"], outputs: ["r1"]),
        Node(name: "conv2", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["r1", "w2"], outputs: ["c2"]),
        Node(name: "add", op: .add, inputs: ["c2", "r1"], outputs: ["s"]),
        Node(name: "relu2", op: .relu, inputs: ["s"], outputs: ["r2"]),
        Node(name: "pool", op: .maxPool(PoolAttributes(kernel: 2, stride: 2)), inputs: ["r2"], outputs: ["p"]),
        Node(name: "flatten", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
        Node(name: "fc", op: .gemm(transA: false, transB: true, alpha: 1, beta: 1), inputs: ["f", "fc_w", "fc_b"], outputs: ["logits"]),
        Node(name: "softmax", op: .softmax(axis: 1), inputs: ["logits"], outputs: ["prob"]),
    ]
    return Graph(name: "small", inputs: [TensorSpec(name: "image", shape: [1, 3, 8, 8])], outputs: ["prob"], nodes: nodes, weights: table)
}

func realWeights(_ name: String, _ shape: [Int]) -> WeightTensor {
    var values = Naive.tensor(shape, seed: name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }).values
    if name == "bn_var" { values = values.map { abs($0) + 0.5 } }
    return WeightTensor(shape: shape, values: values, source: .file)
}

/// The same network computed operator by operator with no folding or fusion.
func unfusedReference(_ g: Graph, _ x: Tensor) throws -> Tensor {
    func w(_ n: String) throws -> Tensor { try Tensor(shape: g.weights[n]!.shape, values: g.weights[n]!.values!) }
    let c1 = try Operators.conv(x, filter: w("w1"), bias: w("b1"), attributes: ConvAttributes(kernel: 3, pad: 1))
    let n1 = try Operators.batchNorm(c1, scale: w("bn_scale"), bias: w("bn_bias"), mean: w("bn_mean"), variance: w("bn_var"), epsilon: 1e-5)
    let r1 = Operators.unary(.relu, n1)
    let c2 = try Operators.conv(r1, filter: w("w2"), bias: nil, attributes: ConvAttributes(kernel: 3, pad: 1))
    let r2 = Operators.unary(.relu, try Operators.binary(.add, c2, r1))
    let f = try Operators.flatten(try Operators.maxPool(r2, PoolAttributes(kernel: 2, stride: 2)), axis: 1)
    let logits = try Operators.gemm(f, w("fc_w"), w("fc_b"), transA: false, transB: true, alpha: 1, beta: 1)
    return try Operators.softmax(logits, axis: 1)
}

/// The session backends whose traces and results must agree (`openBLAS`/`hybrid` differ
/// from `simd` only inside GEMMs; `oneDNN` changes layouts and kernels, so it is checked here too).
let sessionBackends: [GEMMBackend] = [.simd, .oneDNN]

@Test(arguments: sessionBackends)
func sessionFoldsBatchNormFusesReLUAndMatchesTheUnfusedGraph(_ backend: GEMMBackend) throws {
    let graph = smallGraph(weights: realWeights)
    let session = try InferenceSession(graph: graph, backend: backend)
    let x = Naive.tensor([1, 3, 8, 8], seed: 40)
    let (outputs, trace) = try session.runWithTrace(x)
    let want = try unfusedReference(graph, x)
    #expect(Naive.maxError(outputs["prob"]!.values, want.values) < 1e-5)
    // bn1 and relu1 disappear into conv1, relu2 into the add.
    #expect(trace.operators.map(\.shape.name) == ["conv1", "conv2", "add", "pool", "flatten", "fc", "softmax"])
    #expect(trace.operators[2].shape.fusedActivation == "relu")
    let conv1 = trace.operators[0].shape
    #expect(conv1.foldedBatchNorm && conv1.fusedActivation == "relu")
    #expect(conv1.macs == 8 * 8 * 8 * 3 * 9)
    #expect(conv1.weightWords == 8 * 27 + 8)
    #expect(trace.operators[5].shape.kind == .fullyConnected && trace.operators[5].shape.macs == 10 * 128)
    #expect(trace.model.weights == "real")
    #expect(trace.totals.operators == 7)
}

@Test(arguments: sessionBackends)
func measuredFactsCountZerosWordsAndBytes(_ backend: GEMMBackend) throws {
    let session = try InferenceSession(graph: smallGraph(weights: realWeights), backend: backend)
    let x = Naive.tensor([1, 3, 8, 8], seed: 41)
    let (_, trace) = try session.runWithTrace(x)
    let conv1 = try #require(trace.operators[0].measured)
    #expect(conv1.inputZeroFraction == x.zeroFraction)
    #expect(conv1.outputZeroFraction > 0)                         // after the fused ReLU
    #expect(conv1.bytesTouched == (192 + 8 * 27 + 8 + 512) * 4)
    #expect(conv1.wallTimeSeconds > 0)
    let addReLU = try #require(trace.operators[2].measured)
    #expect(addReLU.weightZeroFraction == nil)
    #expect(addReLU.outputZeroFraction > 0)                           // the fused ReLU zeroes negatives
    #expect(try #require(trace.operators[3].measured).inputZeroFraction == addReLU.outputZeroFraction)   // what the pool read
    let flatten = try #require(trace.operators[4].measured)
    #expect(flatten.inputZeroFraction == flatten.outputZeroFraction)
}

/// Everything but the wall times, for comparing two runs.
func withoutTimes(_ t: Trace) -> Trace {
    var copy = t
    copy.operators = t.operators.map { op in
        var o = op
        o.measured?.wallTimeSeconds = 0
        return o
    }
    copy.totals.wallTimeSeconds = 0
    return copy
}

@Test(arguments: sessionBackends)
func twoRunsGiveIdenticalTracesApartFromTimes(_ backend: GEMMBackend) throws {
    // Where the executor's own kernels run, and so the SIMD backend's `executor.threadPool`
    // and pinning policy, depends on whether libdnnl is loaded in the process: load it before
    // either run, or a concurrent test loading it between the two would change the second.
    _ = OneDNNPrimitive.isAvailable
    let graph = smallGraph { name, shape in WeightTensor(shape: shape, values: nil, source: .synthetic(seed: 7)) }
    let x = Naive.tensor([1, 3, 8, 8], seed: 42)
    let a = try InferenceSession(graph: graph, backend: backend).runWithTrace(x, inputIdentity: InputIdentity(path: "x.png", width: 8, height: 8, channels: 3), inputPixels: 64)
    let b = try InferenceSession(graph: graph, backend: backend).runWithTrace(x, inputIdentity: InputIdentity(path: "x.png", width: 8, height: 8, channels: 3), inputPixels: 64)
    #expect(a.outputs == b.outputs)
    #expect(try withoutTimes(a.trace).jsonData() == withoutTimes(b.trace).jsonData())
    #expect(a.trace.operators.map(\.measured!.wallTimeSeconds) != [Double](repeating: 0, count: a.trace.operators.count))
}

@Test func syntheticWeightsAreSeededAndSaySo() throws {
    func graph(_ seed: UInt64) -> Graph { smallGraph { _, shape in WeightTensor(shape: shape, values: nil, source: .synthetic(seed: seed)) } }
    let x = Naive.tensor([1, 3, 8, 8], seed: 43)
    let s1 = try InferenceSession(graph: graph(1)), s2 = try InferenceSession(graph: graph(2))
    #expect(s1.identity.weights == "synthetic(seed=1)")
    #expect(s1.identity.hasSyntheticWeights)
    let (o1, t1) = try s1.runWithTrace(x)
    #expect(t1.model.weights == "synthetic(seed=1)")
    #expect(try s1.run(x) == o1)
    #expect(try s2.run(x)["prob"] != o1["prob"])
}

@Test func syntheticFiltersAreHeNormal() {
    let values = SyntheticWeights.values(seed: 3, name: "conv", count: 20000, role: .filter(fanIn: 50))
    let mean = values.reduce(0, +) / 20000
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 20000
    #expect(abs(mean) < 0.01)
    #expect(abs(variance - 2.0 / 50) < 0.002)
    #expect(SyntheticWeights.values(seed: 3, name: "conv", count: 10, role: .filter(fanIn: 50)) == Array(values.prefix(10)))
    #expect(SyntheticWeights.values(seed: 3, name: "bias", count: 4, role: .zero) == [0, 0, 0, 0])
}

@Test func traceJSONRoundTrips() throws {
    let (_, trace) = try InferenceSession(graph: smallGraph(weights: realWeights)).runWithTrace(Naive.tensor([1, 3, 8, 8], seed: 44))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("executor-trace-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try trace.jsonData().write(to: url)
    #expect(try Trace.read(from: url) == trace)
}

@Test func badGraphsGiveErrorsNamingTheNode() throws {
    var missingInput = smallGraph(weights: realWeights)
    missingInput.nodes[3].inputs[0] = "nowhere"
    do { _ = try InferenceSession(graph: missingInput); Issue.record("accepted a dangling input") } catch let e as GraphError {
        #expect(e.node == "conv2")
    }
    var outOfOrder = smallGraph(weights: realWeights)
    outOfOrder.nodes.swapAt(3, 4)   // add before the conv that feeds it: not topological (or a cycle)
    do { _ = try InferenceSession(graph: outOfOrder); Issue.record("accepted a misordered graph") } catch let e as GraphError {
        #expect(e.node == "add")
    }

    var missingWeight = smallGraph(weights: realWeights)
    missingWeight.weights["w2"] = WeightTensor(shape: [8, 8, 3, 3], values: nil, source: .file)
    #expect(throws: ExecutorError(node: "conv2", reason: "weight 'w2' has no values")) { try InferenceSession(graph: missingWeight) }
    // The kernels check shapes themselves too (they are public): a wrong filter depth is named.
    #expect(throws: ExecutorError(node: "c", reason: "filter [8, 5, 3, 3] with groups 1 does not fit input channels 8")) {
        try Operators.conv(Tensor(shape: [1, 8, 4, 4]), filter: Tensor(shape: [8, 5, 3, 3]), bias: nil, attributes: ConvAttributes(kernel: 3), node: "c")
    }

    var absurd = smallGraph(weights: realWeights)
    absurd.weights["w2"] = WeightTensor(shape: [1 << 20, 1 << 20, 3, 3], values: nil, source: .synthetic(seed: 1))
    do { _ = try InferenceSession(graph: absurd); Issue.record("accepted an absurd weight") } catch {
        #expect("\(error)".contains("'w2'"))   // refused before any allocation, naming the tensor
    }

    var wrongChannels = smallGraph(weights: realWeights)
    wrongChannels.weights["w2"] = realWeights("w2", [8, 5, 3, 3])
    do { _ = try InferenceSession(graph: wrongChannels); Issue.record("accepted a filter of the wrong depth") } catch let e as GraphError {
        #expect(e.node == "conv2")
    }

    let good = try InferenceSession(graph: smallGraph(weights: realWeights))
    #expect(throws: ExecutorError(node: nil, reason: "input 'image' must have shape [1, 3, 8, 8], got [1, 1, 8, 8]")) {
        try good.run(Tensor(shape: [1, 1, 8, 8]))
    }
}

@Test(arguments: [1, 2])
func batchNormFoldsIntoTransposedConvolution(groups: Int) throws {
    let a = ConvAttributes(kernel: (2, 2), stride: (2, 2), groups: groups)
    let weights: [String: WeightTensor] = [
        "w": realWeights("w", [4, 3, 2, 2]),
        "s": realWeights("s", [3 * groups]), "b": realWeights("b", [3 * groups]), "m": realWeights("m", [3 * groups]),
        "v": WeightTensor(shape: [3 * groups], values: (0..<(3 * groups)).map { Float($0) * 0.3 + 0.5 }, source: .file),
    ]
    let graph = Graph(name: "ct", inputs: [TensorSpec(name: "x", shape: [1, 4, 5, 5])], outputs: ["y"], nodes: [
        Node(name: "up", op: .convTranspose(a), inputs: ["x", "w"], outputs: ["u"]),
        Node(name: "bn", op: .batchNorm(epsilon: 1e-5), inputs: ["u", "s", "b", "m", "v"], outputs: ["y"]),
    ], weights: weights)
    let x = Naive.tensor([1, 4, 5, 5], seed: 45)
    let (outputs, trace) = try InferenceSession(graph: graph).runWithTrace(x)
    func w(_ n: String) throws -> Tensor { try Tensor(shape: weights[n]!.shape, values: weights[n]!.values!) }
    let want = try Operators.batchNorm(try Operators.convTranspose(x, filter: w("w"), bias: nil, attributes: a),
                                       scale: w("s"), bias: w("b"), mean: w("m"), variance: w("v"), epsilon: 1e-5)
    #expect(Naive.maxError(outputs["y"]!.values, want.values) < 1e-5)
    #expect(trace.operators.count == 1 && trace.operators[0].shape.foldedBatchNorm)
}

@Test func zooAndArchitectureOnlyWeightsAreLabelledSyntheticAsTraceMDSays() throws {
    let zoo = try InferenceSession(graph: ModelZoo.graph(named: "mobilenet_v2"))
    #expect(zoo.identity.weights == "synthetic(seed=FNV-1a64(mobilenet_v2/<tensor>))")
    let graph = try ONNXImporter.load(contentsOf: repositoryRoot.appendingPathComponent("Tests/WorkloadsTests/Fixtures/light_bvlc_alexnet.onnx"))
    let fills = try InferenceSession(graph: graph, source: "onnx:light_bvlc_alexnet.onnx")
    #expect(fills.identity.weights == "synthetic(constant fill)")
    #expect(fills.identity.hasSyntheticWeights && zoo.identity.hasSyntheticWeights)
}
