import Testing
@testable import Workloads

/// A one-node graph over an input of `shape` with the given weights.
private func single(_ op: Op, input shape: [Int], weights: [String: [Int]] = [:], extraInputs: [String] = []) -> Graph {
    var tensors: [String: WeightTensor] = [:]
    for (name, s) in weights { tensors[name] = WeightTensor(shape: s, values: nil, source: .synthetic(seed: 1)) }
    return Graph(name: "t", inputs: [TensorSpec(name: "x", shape: shape)], outputs: ["y"],
                 nodes: [Node(name: "n", op: op, inputs: ["x"] + extraInputs, outputs: ["y"])], weights: tensors)
}

struct ShapeCase: Sendable, CustomTestStringConvertible {
    var label: String
    var op: Op
    var input: [Int]
    var weights: [String: [Int]] = [:]
    var extra: [String] = []
    var expected: [Int]
    var testDescription: String { label }
}

@Test(arguments: [
    ShapeCase(label: "conv 11x11/4 valid (AlexNet CONV1)", op: .conv(ConvAttributes(kernel: 11, stride: 4)), input: [1, 3, 227, 227], weights: ["w": [96, 3, 11, 11]], extra: ["w"], expected: [1, 96, 55, 55]),
    ShapeCase(label: "conv 3x3 same, groups 2", op: .conv(ConvAttributes(kernel: 3, pad: 1, groups: 2)), input: [2, 8, 13, 13], weights: ["w": [6, 4, 3, 3], "b": [6]], extra: ["w", "b"], expected: [2, 6, 13, 13]),
    ShapeCase(label: "conv stride 2, asymmetric pads", op: .conv(ConvAttributes(kernel: (3, 3), stride: (2, 2), pads: (0, 0, 1, 1))), input: [1, 4, 224, 224], weights: ["w": [8, 4, 3, 3]], extra: ["w"], expected: [1, 8, 112, 112]),
    ShapeCase(label: "conv dilation 2", op: .conv(ConvAttributes(kernel: (3, 3), pads: (2, 2, 2, 2), dilation: (2, 2))), input: [1, 4, 17, 9], weights: ["w": [4, 4, 3, 3]], extra: ["w"], expected: [1, 4, 17, 9]),
    ShapeCase(label: "depthwise 3x3/2", op: .conv(ConvAttributes(kernel: 3, stride: 2, pad: 1, groups: 32)), input: [1, 32, 112, 112], weights: ["w": [32, 1, 3, 3]], extra: ["w"], expected: [1, 32, 56, 56]),
    ShapeCase(label: "transposed conv 2x2/2", op: .convTranspose(ConvAttributes(kernel: 2, stride: 2)), input: [1, 64, 20, 30], weights: ["w": [64, 32, 2, 2]], extra: ["w"], expected: [1, 32, 40, 60]),
    ShapeCase(label: "transposed conv 4x4/2 pad 1", op: .convTranspose(ConvAttributes(kernel: 4, stride: 2, pad: 1)), input: [1, 8, 10, 10], weights: ["w": [8, 4, 4, 4]], extra: ["w"], expected: [1, 4, 20, 20]),
    ShapeCase(label: "max pool 3/2 floor", op: .maxPool(PoolAttributes(kernel: 3, stride: 2)), input: [1, 96, 55, 55], expected: [1, 96, 27, 27]),
    ShapeCase(label: "max pool 3/2 ceil (GoogLeNet)", op: .maxPool(PoolAttributes(kernel: 3, stride: 2, ceilMode: true)), input: [1, 64, 112, 112], expected: [1, 64, 56, 56]),
    ShapeCase(label: "max pool 3/2 ceil odd", op: .maxPool(PoolAttributes(kernel: 3, stride: 2, ceilMode: true)), input: [1, 8, 14, 14], expected: [1, 8, 7, 7]),
    ShapeCase(label: "max pool 3/2 pad 1", op: .maxPool(PoolAttributes(kernel: 3, stride: 2, pad: 1)), input: [1, 64, 112, 112], expected: [1, 64, 56, 56]),
    ShapeCase(label: "global average pool", op: .globalAveragePool, input: [3, 2048, 7, 7], expected: [3, 2048, 1, 1]),
    ShapeCase(label: "flatten axis 1", op: .flatten(axis: 1), input: [2, 256, 6, 6], expected: [2, 9216]),
    ShapeCase(label: "reshape 0 and -1", op: .reshape(shape: [0, -1]), input: [2, 256, 6, 6], expected: [2, 9216]),
    ShapeCase(label: "transpose", op: .transpose(perm: [0, 2, 3, 1]), input: [1, 3, 4, 5], expected: [1, 4, 5, 3]),
    ShapeCase(label: "pad", op: .pad(pads: [0, 0, 1, 2, 0, 0, 3, 4], value: 0), input: [1, 3, 4, 5], expected: [1, 3, 8, 11]),
    ShapeCase(label: "resize x2", op: .resize(mode: .nearest, scaleHeight: 2, scaleWidth: 2), input: [1, 3, 7, 9], expected: [1, 3, 14, 18]),
    ShapeCase(label: "resize by size ratio", op: .resize(mode: .bilinear, scaleHeight: Float(25) / 13, scaleWidth: 0.5), input: [1, 3, 13, 25], expected: [1, 3, 25, 12]),
    ShapeCase(label: "gemm transB", op: .gemm(transA: false, transB: true, alpha: 1, beta: 1), input: [4, 9216], weights: ["w": [4096, 9216], "b": [4096]], extra: ["w", "b"], expected: [4, 4096]),
    ShapeCase(label: "matmul batched", op: .matMul, input: [2, 5, 7], weights: ["w": [7, 3]], extra: ["w"], expected: [2, 5, 3]),
    ShapeCase(label: "mul broadcast (SE scale)", op: .mul, input: [1, 16, 24, 24], weights: ["s": [1, 16, 1, 1]], extra: ["s"], expected: [1, 16, 24, 24]),
    ShapeCase(label: "batch norm", op: .batchNorm(epsilon: 1e-5), input: [1, 16, 4, 4], weights: ["g": [16], "b": [16], "m": [16], "v": [16]], extra: ["g", "b", "m", "v"], expected: [1, 16, 4, 4]),
])
func inferredShape(_ c: ShapeCase) throws {
    let graph = single(c.op, input: c.input, weights: c.weights, extraInputs: c.extra)
    try graph.validate()
    #expect(try graph.inferShapes()["y"] == c.expected)
}

@Test func concatAddsChannels() throws {
    let graph = Graph(
        name: "cat", inputs: [TensorSpec(name: "a", shape: [1, 64, 28, 28]), TensorSpec(name: "b", shape: [1, 32, 28, 28])],
        outputs: ["y"], nodes: [Node(name: "cat", op: .concat(axis: 1), inputs: ["a", "b", "a"], outputs: ["y"])], weights: [:])
    #expect(try graph.inferShapes()["y"] == [1, 160, 28, 28])
}

struct BadCase: Sendable, CustomTestStringConvertible {
    var label: String
    var graph: Graph
    var reasonContains: String
    var testDescription: String { label }
}

private let filter = ["w": WeightTensor(shape: [8, 3, 3, 3], values: nil, source: .synthetic(seed: 1))]
@Test(arguments: [
    BadCase(label: "channel mismatch",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 4, 8, 8])], outputs: ["y"],
                         nodes: [Node(name: "c", op: .conv(ConvAttributes(kernel: 3)), inputs: ["x", "w"], outputs: ["y"])], weights: filter),
            reasonContains: "input has 4"),
    BadCase(label: "undefined input",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 3, 8, 8])], outputs: ["y"],
                         nodes: [Node(name: "r", op: .relu, inputs: ["nope"], outputs: ["y"])], weights: [:]),
            reasonContains: "not defined"),
    BadCase(label: "cycle",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 3, 8, 8])], outputs: ["b"],
                         nodes: [Node(name: "a", op: .add, inputs: ["x", "b"], outputs: ["a"]),
                                 Node(name: "b", op: .relu, inputs: ["a"], outputs: ["b"])], weights: [:]),
            reasonContains: "cycle"),
    BadCase(label: "filter larger than input",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 3, 2, 2])], outputs: ["y"],
                         nodes: [Node(name: "c", op: .conv(ConvAttributes(kernel: 3)), inputs: ["x", "w"], outputs: ["y"])], weights: filter),
            reasonContains: "larger than"),
    BadCase(label: "absurd input shape",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1 << 20, 1 << 20, 1 << 20, 4])], outputs: ["y"],
                         nodes: [Node(name: "r", op: .relu, inputs: ["x"], outputs: ["y"])], weights: [:]),
            reasonContains: "absurd"),
    BadCase(label: "wrong arity",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 3, 8, 8])], outputs: ["y"],
                         nodes: [Node(name: "m", op: .mul, inputs: ["x"], outputs: ["y"])], weights: [:]),
            reasonContains: "inputs"),
    BadCase(label: "bad reshape",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 3, 8, 8])], outputs: ["y"],
                         nodes: [Node(name: "r", op: .reshape(shape: [5, -1]), inputs: ["x"], outputs: ["y"])], weights: [:]),
            reasonContains: "cannot reshape"),
    BadCase(label: "missing graph output",
            graph: Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 3, 8, 8])], outputs: ["z"],
                         nodes: [Node(name: "r", op: .relu, inputs: ["x"], outputs: ["y"])], weights: [:]),
            reasonContains: "graph output 'z'"),
])
func invalidGraphsAreRejected(_ c: BadCase) {
    #expect {
        try c.graph.validate()
    } throws: { error in
        guard let error = error as? GraphError else { return false }
        return error.reason.contains(c.reasonContains) && error.graph == "g"
    }
}

@Test func errorNamesTheNodeAndOp() {
    let graph = Graph(name: "g", inputs: [TensorSpec(name: "x", shape: [1, 4, 8, 8])], outputs: ["y"],
                      nodes: [Node(name: "conv7", op: .conv(ConvAttributes(kernel: 3)), inputs: ["x", "w"], outputs: ["y"])], weights: filter)
    do {
        _ = try graph.inferShapes()
        Issue.record("expected an error")
    } catch let error as GraphError {
        #expect(error.node == "conv7")
        #expect(error.opType == "conv")
        #expect(error.description.hasPrefix("graph 'g', node 'conv7' (conv): "))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func batchNormFoldsIntoPrecedingConv() throws {
    var b = GraphBuilder(model: "fold", shape: [1, 3, 16, 16])
    var x = try b.convBN("input", "c1", out: 8, kernel: 3)  // conv, bn, relu
    x = try b.batchNorm(x, "bn_alone")                      // after a ReLU: not foldable
    let graph = try b.build(outputs: [x], preprocessing: .unit)
    let shapes = try graph.operatorShapes()
    #expect(shapes.map(\.name) == ["c1", "c1_relu", "bn_alone"])
    #expect(shapes[0].foldedBatchNorm)
    #expect(shapes[0].weightWords == 8 * 3 * 9 + 8)  // the folded batch-norm becomes a bias
    #expect(shapes[2].kind == .batchNorm && !shapes[2].foldedBatchNorm)
    #expect(shapes[2].otherOperations == 2 * 8 * 16 * 16)
}

@Test func transposedConvCountsScatteredMACs() throws {
    var b = GraphBuilder(model: "up", shape: [1, 16, 10, 10])
    let y = try b.convTranspose("input", "up", out: 8, kernel: 2, stride: 2)
    let s = try b.build(outputs: [y], preprocessing: .unit).operatorShapes()[0]
    #expect(s.kind == .transposedConv)
    #expect(s.macs == 16 * 10 * 10 * 8 * 2 * 2)  // every input word meets M×R×S weights
    #expect(s.outputWords == 8 * 20 * 20)
    #expect(s.weightWords == 16 * 8 * 4 + 8)
}
