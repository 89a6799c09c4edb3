import Foundation
import Testing
@testable import Workloads

// MARK: - Fixtures (Tests/WorkloadsTests/Fixtures, see LICENSES there)

private func fixture(_ name: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: "onnx", subdirectory: "Fixtures"), "missing fixture \(name)")
}

private let allFixtures = [
    "ch_ppocr_mobile_v2.0_cls_infer", "ch_PP-OCRv4_det_infer",
    "light_bvlc_alexnet", "light_vgg19", "light_inception_v1", "light_resnet50", "light_squeezenet",
]

@Test(arguments: allFixtures)
func everySampleModelImports(_ name: String) throws {
    let graph = try ONNXImporter.load(contentsOf: fixture(name))
    try graph.validate()
    let shapes = try graph.operatorShapes()
    #expect(!shapes.isEmpty)
    #expect(shapes.reduce(0) { $0 + $1.macs } > 0)
    // Every output shape is known and static.
    let tensors = try graph.inferShapes()
    for output in graph.outputs { #expect(tensors[output] != nil) }
}

/// The rapidocr classifier: 48×192 text lines (PaddleOCR's cls_image_shape), two classes,
/// real weights stored as Constant nodes.
@Test func textOrientationClassifierHasRealWeights() throws {
    let url = try fixture("ch_ppocr_mobile_v2.0_cls_infer")
    let graph = try ONNXImporter.load(contentsOf: url, batch: nil, inputShapes: ["x": [1, 3, 48, 192]])
    #expect(try graph.inferShapes()[graph.outputs[0]] == [1, 2])
    // The same shape given to the first input without its name (`--input-shape`).
    let byPosition = try ONNXImporter.load(contentsOf: url, batch: nil, firstInputShape: [1, 3, 48, 192])
    #expect(byPosition.inputs == graph.inputs)
    #expect(try byPosition.operatorShapes() == graph.operatorShapes())
    #expect(graph.weightProvenance == "real")
    #expect(graph.weights.values.allSatisfy { $0.source == .file && $0.values?.count == $0.elementCount })
    #expect(graph.nodes.contains { if case .hardSigmoid = $0.op { true } else { false } })
    // The Shape → Slice → Concat → Reshape chain before the classifier was folded away.
    #expect(graph.nodes.allSatisfy { $0.name != "Shape@0" && $0.name != "Slice@0" })
    #expect(graph.nodes.contains { if case .matMul = $0.op { true } else { false } })
}

/// DBNet at 640×640: per-pixel text probability at input resolution; uses ConvTranspose,
/// nearest Resize and HardSigmoid.
@Test func dbNetDetectorKeepsInputResolution() throws {
    let graph = try ONNXImporter.load(contentsOf: fixture("ch_PP-OCRv4_det_infer"), batch: 2, inputShapes: ["x": [1, 3, 640, 640]])
    #expect(graph.inputs[0].shape == [2, 3, 640, 640])
    #expect(try graph.inferShapes()[graph.outputs[0]] == [2, 1, 640, 640])
    let kinds = Set(try graph.operatorShapes().map(\.kind))
    #expect(kinds.isSuperset(of: [.transposedConv, .upsampleNearest, .hardSigmoid, .sigmoid, .depthwiseConv, .concat]))
    #expect(graph.weightProvenance == "real")
}

@Test func architectureOnlyFilesKeepFillsUnexpanded() throws {
    let graph = try ONNXImporter.load(contentsOf: fixture("light_vgg19"))
    let fc6 = try #require(graph.weights["fc6_w_0"])
    #expect(fc6.shape == [4096, 25088])
    #expect(fc6.values == nil)
    #expect(fc6.source == .constant(0.02))
    #expect(graph.weightProvenance == "synthetic(constant fill)")
    #expect(graph.parameterCount == 143_667_240)  // VGG-19: 143.7 M parameters (Simonyan & Zisserman, Table 2: 144 M)
}

/// The convolution and FC loop nests, in order, without names.
private func computeLayers(_ graph: Graph) throws -> [OperatorShape] {
    try graph.operatorShapes()
        .filter { $0.kind.category == .convolution || $0.kind.category == .fullyConnected }
        .map { var s = $0; s.name = ""; s.producers = s.producers.map { $0.map { _ in "" } }; return s }  // ONNX and zoo names differ
}

/// The ONNX `bvlc_alexnet` graph (declared 224×224, which Caffe's AlexNet never ran at)
/// imported at 227×227 is the zoo's two-group AlexNet, layer for layer.
@Test func importedAlexNetMatchesTheZoo() throws {
    let imported = try ONNXImporter.load(contentsOf: fixture("light_bvlc_alexnet"), batch: nil, inputShapes: ["data_0": [1, 3, 227, 227]])
    let zoo = try ModelZoo.graph(named: "alexnet")
    #expect(try computeLayers(imported) == computeLayers(zoo))
    #expect(imported.parameterCount == zoo.parameterCount)
    let pools = { (g: Graph) in try g.operatorShapes().filter { $0.kind == .maxPool }.map { [$0.loopNest.C, $0.loopNest.P, $0.loopNest.Q] } }
    #expect(try pools(imported) == pools(zoo))
}

@Test func importedResNet50MatchesTheZoo() throws {
    let imported = try ONNXImporter.load(contentsOf: fixture("light_resnet50"))
    let zoo = try ModelZoo.graph(named: "resnet50")
    let importedLayers = try computeLayers(imported), zooLayers = try computeLayers(zoo)
    #expect(importedLayers.count == 54)  // 53 CONV + 1 FC
    #expect(importedLayers == zooLayers)
    #expect(importedLayers.filter(\.foldedBatchNorm).count == 53)
    #expect(imported.parameterCount == zoo.parameterCount)
    #expect(try imported.operatorShapes().count == zoo.operatorShapes().count)
}

/// An input shape the file was not exported for, refused at a Reshape the file fixes: the
/// error says so (the new-user trial read only "cannot reshape … to [1, 2048]").
@Test func anInputShapeTheFileWasNotExportedForIsExplainedAtItsReshape() throws {
    let error = try #require(throws: ONNXImportError.self) {
        try ONNXImporter.load(contentsOf: fixture("light_resnet50"), batch: nil, firstInputShape: [1, 3, 300, 300])
    }
    #expect(error.opType == "Reshape")
    #expect(error.reason.contains("cannot reshape [1, 2048, 4, 4]"), "\(error)")
    #expect(error.reason.contains("fixes this Reshape's target for the input size it was exported at"), "\(error)")
}

// MARK: - Identity and batch

/// The graph carries the SHA-256 of the file's bytes; the oracle is coreutils'
/// `sha256sum Tests/WorkloadsTests/Fixtures/light_resnet50.onnx`.
@Test func importedGraphCarriesTheFileSHA256() throws {
    let graph = try ONNXImporter.load(contentsOf: fixture("light_resnet50"))
    #expect(graph.sourceSHA256 == "05e77a5c9c9ce0913f549a50d6ebaced5e0ff6817b61e09bae26e4c5bd9055e4")
    #expect(try ModelZoo.graph(named: "resnet50").sourceSHA256 == nil)
    // One flipped byte anywhere is another model.
    var bytes = try Data(contentsOf: fixture("ch_ppocr_mobile_v2.0_cls_infer"))
    let original = ONNXImporter.sha256Hex(of: bytes)
    #expect(original == "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c")
    bytes[bytes.count - 1] ^= 1
    #expect(ONNXImporter.sha256Hex(of: bytes) != original)
}

/// These files flatten with a constant Reshape target of batch 1 (`[1, 9216]`,
/// `[1, 2048]` …); at batch 4 the importer keeps the batch, so every operator does
/// exactly 4× the MACs of batch 1 and the output is [4, 1000].
@Test(arguments: ["light_bvlc_alexnet", "light_vgg19", "light_inception_v1", "light_resnet50", "light_squeezenet"])
func batchOverrideKeepsTheBatchThroughHardCodedReshapes(_ name: String) throws {
    let one = try ONNXImporter.load(contentsOf: fixture(name), batch: 1)
    let four = try ONNXImporter.load(contentsOf: fixture(name), batch: 4)
    let shapesOne = try one.operatorShapes(), shapesFour = try four.operatorShapes()
    #expect(shapesFour.count == shapesOne.count)
    for (a, b) in zip(shapesOne, shapesFour) { #expect(b.macs == 4 * a.macs, "\(b.name)") }
    let output = try #require(try four.inferShapes()[four.outputs[0]])
    #expect(output.first == 4)
    #expect(output.reduce(1, *) == 4 * (try one.inferShapes()[one.outputs[0]]!.reduce(1, *)))
}

// MARK: - Small generated models

private func tensor(_ name: String, _ dims: [Int64], floats: [Float]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name; t.dims = dims; t.dataType = 1
    t.rawData = floats.withUnsafeBufferPointer { Data(buffer: $0) }
    return t
}

private func ints(_ name: String, _ dims: [Int64], _ values: [Int64]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name; t.dims = dims; t.dataType = 7; t.int64Data = values
    return t
}

private func attribute(_ name: String, ints values: [Int64]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = values; return a
}

private func attribute(_ name: String, int value: Int64) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = value; return a
}

private func attribute(_ name: String, float value: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = value; return a
}

private func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", _ attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
    var n = Onnx_NodeProto()
    n.opType = op; n.input = inputs; n.output = outputs; n.name = name; n.attribute = attributes
    return n
}

private func model(_ nodes: [Onnx_NodeProto], input: [Int64] = [1, 3, 8, 8], outputs: [String], initializers: [Onnx_TensorProto] = [], opset: Int64 = 13) throws -> Data {
    var info = Onnx_ValueInfoProto()
    info.name = "x"
    var tensorType = Onnx_TypeProto.Tensor()
    tensorType.elemType = 1
    var shape = Onnx_TensorShapeProto()
    shape.dim = input.map { v in var d = Onnx_TensorShapeProto.Dimension(); d.dimValue = v; return d }
    tensorType.shape = shape
    info.type.tensorType = tensorType
    var graph = Onnx_GraphProto()
    graph.name = "test"
    graph.node = nodes
    graph.input = [info]
    graph.output = outputs.map { var o = Onnx_ValueInfoProto(); o.name = $0; return o }
    graph.initializer = initializers
    var m = Onnx_ModelProto()
    m.irVersion = 8
    var opsetID = Onnx_OperatorSetIdProto(); opsetID.version = opset
    m.opsetImport = [opsetID]
    m.graph = graph
    return try m.serializedData()
}

private let filter3x3 = tensor("W", [4, 3, 3, 3], floats: Array(repeating: 0.5, count: 108))

@Test func shapeSubgraphsAreFolded() throws {
    // y = Reshape(conv(x), Concat(Gather(Shape(conv), 0), [-1])): the classic flatten export.
    let data = try model([
        node("Conv", ["x", "W"], ["c"], name: "conv", [attribute("kernel_shape", ints: [3, 3]), attribute("pads", ints: [1, 1, 1, 1])]),
        node("Shape", ["c"], ["s"]),
        node("Gather", ["s", "zero"], ["n"], [attribute("axis", int: 0)]),
        node("Unsqueeze", ["n", "axes"], ["n1"]),
        node("Concat", ["n1", "minus1"], ["target"], [attribute("axis", int: 0)]),
        node("Reshape", ["c", "target"], ["y"], name: "flatten"),
    ], outputs: ["y"], initializers: [filter3x3, ints("zero", [], [0]), ints("axes", [1], [0]), ints("minus1", [1], [-1])])
    let graph = try ONNXImporter.graph(fromONNX: data, file: "fold.onnx")
    #expect(graph.nodes.map(\.name) == ["conv", "flatten"])
    #expect(graph.nodes[1].op == .reshape(shape: [1, 256]))  // the folded target, resolved
    #expect(try graph.inferShapes()["y"] == [1, 256])
    #expect(Set(graph.weights.keys) == ["W"])
    #expect(graph.weights["W"]?.values == Array(repeating: 0.5, count: 108))
}

@Test func resizeBySizesAndSumOfThree() throws {
    let data = try model([
        node("Resize", ["x", "", "", "sizes"], ["r"], name: "up", [{ var a = Onnx_AttributeProto(); a.name = "mode"; a.type = .string; a.s = Data("nearest".utf8); return a }()]),
        node("Sum", ["r", "r", "r"], ["y"], name: "sum"),
    ], input: [1, 3, 13, 7], outputs: ["y"], initializers: [ints("sizes", [4], [1, 3, 25, 14])])
    let graph = try ONNXImporter.graph(fromONNX: data, file: "resize.onnx")
    #expect(try graph.inferShapes()["r"] == [1, 3, 25, 14])
    #expect(graph.nodes.filter { $0.op == .add }.count == 2)
    #expect(graph.outputs == ["y"])
}

struct Malformed: Sendable, CustomTestStringConvertible {
    var label: String
    var data: @Sendable () throws -> Data
    var node: String?
    var opType: String?
    var reasonContains: String
    var testDescription: String { label }
}

@Test(arguments: [
    Malformed(label: "empty file", data: { Data() }, reasonContains: "no graph nodes"),
    Malformed(label: "garbage bytes", data: { Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }) }, reasonContains: "not an ONNX model"),
    Malformed(label: "truncated AlexNet", data: {
        let whole = try Data(contentsOf: fixture("light_bvlc_alexnet"))
        return whole.prefix(whole.count / 2)
    }, reasonContains: "truncated or malformed"),
    Malformed(label: "attribute of the wrong type", data: {
        try model([node("Conv", ["x", "W"], ["y"], name: "c1", [attribute("kernel_shape", float: 3)])], outputs: ["y"], initializers: [filter3x3])
    }, node: "c1", opType: "Conv", reasonContains: "attribute 'kernel_shape' has type"),
    Malformed(label: "initializer of the wrong data type", data: {
        var t = filter3x3; t.dataType = 8  // STRING
        return try model([node("Conv", ["x", "W"], ["y"], name: "c1")], outputs: ["y"], initializers: [t])
    }, reasonContains: "data type 8"),
    Malformed(label: "cycle", data: {
        try model([node("Add", ["x", "b"], ["a"], name: "first"), node("Relu", ["a"], ["b"], name: "second")], outputs: ["b"])
    }, opType: "Add", reasonContains: "cycle"),
    Malformed(label: "missing initializer", data: {
        try model([node("Conv", ["x", "W"], ["y"], name: "c1")], outputs: ["y"])
    }, node: "c1", opType: "Conv", reasonContains: "input 'W' is not defined"),
    Malformed(label: "initializer shorter than its shape", data: {
        try model([node("Conv", ["x", "W"], ["y"], name: "c1")], outputs: ["y"], initializers: [tensor("W", [1000, 1000, 3, 3], floats: [1])])
    }, reasonContains: "declares shape [1000, 1000, 3, 3] (9000000 elements) but stores 1"),
    Malformed(label: "absurd initializer shape", data: {
        try model([node("Conv", ["x", "W"], ["y"], name: "c1")], outputs: ["y"], initializers: [tensor("W", [1 << 30, 1 << 30, 1 << 30, 3], floats: [1])])
    }, reasonContains: "absurd"),
    Malformed(label: "absurd input shape", data: {
        try model([node("Relu", ["x"], ["y"], name: "r")], input: [1 << 40, 3, 8, 8], outputs: ["y"])
    }, reasonContains: "absurd"),
    Malformed(label: "absurd ConstantOfShape", data: {
        try model([node("ConstantOfShape", ["big"], ["w"], name: "fill"), node("Add", ["x", "w"], ["y"], name: "a")],
                  outputs: ["y"], initializers: [ints("big", [3], [1 << 21, 1 << 21, 1 << 21])])
    }, node: "fill", opType: "ConstantOfShape", reasonContains: "absurd"),
    Malformed(label: "absurdly long shape input", data: {
        try model([node("Reshape", ["x", "target"], ["y"], name: "r")], outputs: ["y"],
                  initializers: [ints("target", [100_000], Array(repeating: 1, count: 100_000))])
    }, node: "r", opType: "Reshape", reasonContains: "absurd 100000 elements"),
    Malformed(label: "gather of an absurd constant", data: {
        try model([node("ConstantOfShape", ["dims"], ["table"], name: "fill"),
                   node("Gather", ["table", "idx"], ["g"], name: "gather"),
                   node("Add", ["x", "g"], ["y"], name: "a")], outputs: ["y"],
                  initializers: [ints("dims", [2], [1000, 1000]), ints("idx", [2000], Array(repeating: 0, count: 2000))])
    }, node: "gather", opType: "Gather", reasonContains: "absurd"),
    Malformed(label: "negative dimension", data: {
        try model([node("Relu", ["x"], ["y"], name: "r")], outputs: ["y"], initializers: [tensor("t", [-4], floats: [])])
    }, reasonContains: "negative"),
    Malformed(label: "unsupported operator", data: {
        try model([node("Elu", ["x"], ["y"], name: "act7")], outputs: ["y"])
    }, node: "act7", opType: "Elu", reasonContains: "operator Elu is not supported"),
    Malformed(label: "channel mismatch", data: {
        try model([node("Conv", ["x", "W"], ["y"], name: "c1")], input: [1, 5, 8, 8], outputs: ["y"], initializers: [filter3x3])
    }, node: "c1", opType: "Conv", reasonContains: "input has 5"),
    Malformed(label: "external data", data: {
        var t = filter3x3; t.dataLocation = .external
        return try model([node("Conv", ["x", "W"], ["y"], name: "c1")], outputs: ["y"], initializers: [t])
    }, reasonContains: "external"),
    Malformed(label: "output nobody produces", data: {
        try model([node("Relu", ["x"], ["y"], name: "r")], outputs: ["z"])
    }, reasonContains: "graph output 'z'"),
])
func malformedModelsGiveTypedErrors(_ c: Malformed) throws {
    let data = try c.data()
    do {
        _ = try ONNXImporter.graph(fromONNX: data, file: "bad.onnx")
        Issue.record("\(c.label): imported without error")
    } catch let error as ONNXImportError {
        #expect(error.file == "bad.onnx")
        #expect(error.reason.contains(c.reasonContains), "\(error)")
        if let node = c.node { #expect(error.node == node, "\(error)") }
        if let op = c.opType { #expect(error.opType == op, "\(error)") }
        #expect(error.description.hasPrefix("bad.onnx"))
    }
}

@Test func missingFileIsATypedError() {
    #expect(throws: ONNXImportError.self) {
        try ONNXImporter.load(contentsOf: URL(fileURLWithPath: "/nonexistent/model.onnx"))
    }
}

/// Damaged files never crash the importer: every truncation point and a sweep of byte
/// flips of a real model either import or throw `ONNXImportError`.
@Test func damagedFilesNeverCrash() throws {
    let whole = try Data(contentsOf: fixture("light_bvlc_alexnet"))
    var outcomes = (imported: 0, rejected: 0)
    func attempt(_ data: Data) {
        do {
            let graph = try ONNXImporter.graph(fromONNX: data, file: "damaged.onnx")
            _ = try graph.operatorShapes()
            outcomes.imported += 1
        } catch is ONNXImportError {
            outcomes.rejected += 1
        } catch {
            Issue.record("untyped error \(error)")
        }
    }
    for length in stride(from: 0, to: whole.count, by: 7) { attempt(whole.prefix(length)) }
    var state: UInt64 = 0x9e37_79b9_7f4a_7c15  // splitmix64: deterministic positions and values
    for _ in 0..<600 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        var damaged = whole
        damaged[Int(z % UInt64(whole.count))] = UInt8(truncatingIfNeeded: z >> 32)
        attempt(damaged)
    }
    #expect(outcomes.rejected > 100)
    #expect(outcomes.imported + outcomes.rejected == (whole.count + 6) / 7 + 600)
}
