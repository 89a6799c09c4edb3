import Foundation
import Crypto
import SwiftProtobuf

/// An ONNX file that cannot be imported: the file, the node and its ONNX op type when one
/// is at fault, and the reason.
public struct ONNXImportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Path of the file.
    public var file: String
    /// Name of the node at fault (generated as `<OpType>_<index>` when the file gives none).
    public var node: String?
    /// ONNX op type of that node (`Conv`, `Resize` …).
    public var opType: String?
    public var reason: String

    public init(file: String, node: String? = nil, opType: String? = nil, reason: String) {
        self.file = file; self.node = node; self.opType = opType; self.reason = reason
    }

    public var description: String {
        var text = file
        if let node { text += ": node '\(node)'" }
        if let opType { text += " (\(opType))" }
        return text + ": " + reason
    }
}

/// Reads ONNX models (protobuf, opsets 7–21 of the default domain) into a `Graph`.
///
/// - Initializers and `Constant` nodes become weights with `source: .file`;
///   `ConstantOfShape` fills become weights with `source: .constant(value)` and no values.
/// - Shape computations (`Shape`, `Gather`, `Unsqueeze`, `Squeeze`, `Concat`, `Slice`,
///   `Cast`, `Reshape`, and arithmetic on constants) are folded at import, so the graph
///   holds only operators of `Op`, with static shapes.
/// - Symbolic input dimensions are fixed: the batch (dimension 0) to `batch` or 1, any
///   other to `inputShapes[name]` or `defaultSpatialExtent`.
/// - Sizes are checked before anything is allocated: a tensor that declares more
///   elements than it stores, or more than `Graph.maximumTensorElements`, is an error.
public enum ONNXImporter {
    /// Files larger than protobuf's own 2 GiB message limit are refused before reading.
    public static let maximumFileBytes = 2 << 30
    /// The extent given to a symbolic spatial input dimension (H or W) unless the caller
    /// names one.
    public static let defaultSpatialExtent = 224

    /// Imports the model at `url` with the shapes it declares (symbolic batch → 1).
    public static func load(contentsOf url: URL) throws -> Graph {
        try load(contentsOf: url, batch: nil)
    }

    /// Imports the model at `url`. `batch` replaces dimension 0 of every graph input;
    /// `inputShapes` gives whole input shapes by input name (overriding the file's), and
    /// `firstInputShape` the shape of the first graph input whatever its name (what
    /// `--input-shape` means on the command line).
    public static func load(contentsOf url: URL, batch: Int?, inputShapes: [String: [Int]] = [:],
                            firstInputShape: [Int]? = nil) throws -> Graph {
        let path = url.path
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw ONNXImportError(file: path, reason: "cannot be read: \(fileReadFailureReason(error, path: path))")
        }
        guard size <= maximumFileBytes else {
            throw ONNXImportError(file: path, reason: "is \(size) bytes, more than the 2 GiB a protobuf message can hold")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ONNXImportError(file: path, reason: "cannot be read: \(fileReadFailureReason(error, path: path))")
        }
        return try graph(fromONNX: data, file: path, batch: batch, inputShapes: inputShapes, firstInputShape: firstInputShape)
    }

    /// SHA-256 of `data`, lowercase hex (64 characters): the identity of an imported file.
    public static func sha256Hex(of data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Imports a model from its serialized bytes; `file` names it in errors, and its last
    /// path component without extension names the graph.
    public static func graph(fromONNX data: Data, file: String, batch: Int? = nil, inputShapes: [String: [Int]] = [:],
                             firstInputShape: [Int]? = nil) throws -> Graph {
        guard data.count <= maximumFileBytes else {
            throw ONNXImportError(file: file, reason: "is \(data.count) bytes, more than the 2 GiB a protobuf message can hold")
        }
        if let batch, batch < 1 || batch > 4096 {
            throw ONNXImportError(file: file, reason: "batch size \(batch) is out of range (1…4096)")
        }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXImportError(file: file, reason: "is not an ONNX model: the protobuf is truncated or malformed (\(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw ONNXImportError(file: file, reason: "is not an ONNX model: it holds no graph nodes")
        }
        let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 1
        var importer = ImportContext(file: file, opset: opset)
        var graph: Graph
        do {
            graph = try importer.run(model.graph, fallbackName: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
                                     batch: batch, inputShapes: inputShapes, firstInputShape: firstInputShape)
        } catch var error as ONNXImportError where error.opType == "Reshape" && error.reason.hasPrefix("cannot reshape")
                    && (firstInputShape != nil || !inputShapes.isEmpty) {
            // A Reshape whose target the file fixes for the input size it was exported at.
            error.reason += " (the file fixes this Reshape's target for the input size it was exported at: an input shape of another size does not fit it)"
            throw error
        }
        graph.sourceSHA256 = sha256Hex(of: data)
        return graph
    }
}

extension Graph {
    /// Where this graph's weights come from, in the words of `ModelIdentity.weights`:
    /// `real` (all stored in the file), `synthetic(seed=FNV-1a64(<model>/<tensor>))`
    /// (the zoo), or `synthetic(constant fill)` (architecture-only ONNX files whose
    /// weights are `ConstantOfShape` fills: neither values nor sparsity mean anything).
    public var weightProvenance: String {
        var hasSeeded = false, hasFill = false
        for weight in weights.values {
            switch weight.source {
            case .file: break
            case .synthetic: hasSeeded = true
            case .constant: hasFill = true
            }
        }
        if hasSeeded { return "synthetic(seed=FNV-1a64(<model>/<tensor>))" }
        if hasFill { return "synthetic(constant fill)" }
        return "real"
    }
}

/// The state of one import: constants, shapes and nodes built so far.
private struct ImportContext {
    let file: String
    let opset: Int
    var constants: [String: ConstantTensor] = [:]
    var shapes: [String: [Int]] = [:]
    var nodes: [Node] = []
    var usedNodeNames = Set<String>()
    var weightNames = Set<String>()
    /// The batch the file declares (dimension 0 of its first input; a symbolic one
    /// counts as 1) and the batch requested instead, when they differ: Reshape targets
    /// that hard-code the declared batch are re-batched (see `reshapedShape`).
    var rebatch: (declared: Int, requested: Int)?

    init(file: String, opset: Int) { self.file = file; self.opset = opset }

    func fail(_ reason: String, node: String? = nil, op: String? = nil) -> ONNXImportError {
        ONNXImportError(file: file, node: node, opType: op, reason: reason)
    }

    mutating func run(_ g: Onnx_GraphProto, fallbackName: String, batch: Int?, inputShapes: [String: [Int]],
                      firstInputShape: [Int]?) throws -> Graph {
        for initializer in g.initializer {
            guard !initializer.name.isEmpty else { throw fail("an initializer has no name") }
            constants[initializer.name] = try constant(from: initializer, what: "initializer '\(initializer.name)'")
        }
        var inputs: [TensorSpec] = []
        for input in g.input where constants[input.name] == nil {
            let spec = try inputSpec(input, batch: batch, override: inputShapes[input.name] ?? (inputs.isEmpty ? firstInputShape : nil))
            shapes[spec.name] = spec.shape
            inputs.append(spec)
        }
        guard !inputs.isEmpty else { throw fail("the graph has no input that is not an initializer") }
        if let batch, let first = g.input.first(where: { constants[$0.name] == nil }) {
            let declared = declaredBatch(first)
            if declared != batch { rebatch = (declared, batch) }
        }
        for name in inputShapes.keys where !inputs.contains(where: { $0.name == name }) {
            throw fail("no graph input is named '\(name)' (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
        }

        for (index, node) in try topologicalOrder(g.node).enumerated() {
            try importNode(node, index: index)
        }

        var outputs: [String] = []
        for output in g.output {
            if constants[output.name] != nil { throw fail("graph output '\(output.name)' is a constant: nothing to compute") }
            guard shapes[output.name] != nil else { throw fail("graph output '\(output.name)' is not produced by any node") }
            outputs.append(output.name)
        }
        var weights: [String: WeightTensor] = [:]
        for name in weightNames { weights[name] = constants[name]?.weight }
        // The file's name identifies a model better than ONNX graph names do ("paddle-onnx",
        // "Model from PaddlePaddle."); it is used unless the file has none.
        let graph = Graph(name: fallbackName.isEmpty ? g.name : fallbackName, inputs: inputs, outputs: outputs, nodes: nodes, weights: weights)
        do { try graph.validate() } catch let error as GraphError {
            throw fail(error.reason, node: error.node, op: error.opType)
        }
        return graph
    }

    // MARK: - Inputs, ordering, tensors

    func inputSpec(_ info: Onnx_ValueInfoProto, batch: Int?, override: [Int]?) throws -> TensorSpec {
        let what = "graph input '\(info.name)'"
        guard case .tensorType(let tensorType)? = info.type.value else { throw fail("\(what) is not a tensor") }
        guard [1, 10, 11].contains(tensorType.elemType) else {
            throw fail("\(what) has element type \(tensorType.elemType); only floating-point inputs are supported")
        }
        if let override {
            guard override.allSatisfy({ $0 >= 1 }) else { throw fail("\(what): the requested shape \(override) has a dimension < 1") }
            var shape = override
            if let batch, !shape.isEmpty { shape[0] = batch }
            return TensorSpec(name: info.name, shape: shape)
        }
        guard tensorType.hasShape else { throw fail("\(what) has no shape; give one") }
        var shape: [Int] = []
        for (k, dim) in tensorType.shape.dim.enumerated() {
            if case .dimValue(let v)? = dim.value, v > 0 {
                guard v <= Int64(Graph.maximumTensorElements) else { throw fail("\(what) has an absurd dimension \(v)") }
                shape.append(Int(v))
            } else if k == 0 {
                shape.append(1)
            } else if k == 1 {
                throw fail("\(what) has a symbolic channel dimension; give its shape")
            } else {
                shape.append(ONNXImporter.defaultSpatialExtent)
            }
        }
        if let batch, !shape.isEmpty { shape[0] = batch }
        return TensorSpec(name: info.name, shape: shape)
    }

    /// Dimension 0 of a graph input as the file declares it (1 when symbolic or absent).
    func declaredBatch(_ info: Onnx_ValueInfoProto) -> Int {
        guard case .tensorType(let tensorType)? = info.type.value, tensorType.hasShape,
              case .dimValue(let v)? = tensorType.shape.dim.first?.value, v > 0, v <= 4096 else { return 1 }
        return Int(v)
    }

    /// The nodes in an order where every input is produced before use: the file's order
    /// when it already is one (the ONNX rule), else Kahn's algorithm; a cycle is an error.
    func topologicalOrder(_ nodes: [Onnx_NodeProto]) throws -> [Onnx_NodeProto] {
        var producer: [String: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for output in node.output where !output.isEmpty {
                if producer[output] != nil || constants[output] != nil || shapes[output] != nil {
                    throw fail("output '\(output)' is defined twice", node: node.name.isEmpty ? nil : node.name, op: node.opType)
                }
                producer[output] = i
            }
        }
        var sorted = true
        for (i, node) in nodes.enumerated() where sorted {
            for input in node.input { if let p = producer[input], p >= i { sorted = false } }
        }
        if sorted { return nodes }
        var dependents = Array(repeating: [Int](), count: nodes.count)
        var pending = Array(repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for input in Set(node.input) { if let p = producer[input] { dependents[p].append(i); pending[i] += 1 } }
        }
        var ready = (0..<nodes.count).filter { pending[$0] == 0 }
        var order: [Int] = []
        while let next = ready.popLast() {
            order.append(next)
            for d in dependents[next] {
                pending[d] -= 1
                if pending[d] == 0 { ready.append(d) }
            }
        }
        guard order.count == nodes.count else {
            let stuck = nodes.indices.first { pending[$0] > 0 }!
            let node = nodes[stuck]
            throw fail("is part of a cycle: the graph is not a DAG", node: node.name.isEmpty ? "\(node.opType)_\(stuck)" : node.name, op: node.opType)
        }
        return order.map { nodes[$0] }
    }

    /// A tensor proto as a constant, its declared size checked against the data it holds
    /// before anything is allocated.
    func constant(from t: Onnx_TensorProto, what: String, node: String? = nil, op: String? = nil) throws -> ConstantTensor {
        if t.dataLocation == .external { throw fail("\(what) stores its data in an external file, which is not supported", node: node, op: op) }
        guard t.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(Graph.maximumTensorElements) }) else {
            throw fail("\(what) has an absurd or negative dimension: \(t.dims)", node: node, op: op)
        }
        let shape = t.dims.map { Int($0) }
        guard let count = ShapeRules.elementCount(shape), count <= Graph.maximumTensorElements else {
            throw fail("\(what) has an absurd shape \(shape)", node: node, op: op)
        }
        let raw = t.rawData
        func check(stored: Int, unit: String) throws {
            guard stored == count else {
                throw fail("\(what) declares shape \(shape) (\(count) elements) but stores \(stored) \(unit)", node: node, op: op)
            }
        }
        func fromRaw<T>(_ type: T.Type, _ convert: (T) -> Float) throws -> [Float] {
            guard raw.count % MemoryLayout<T>.size == 0 else {
                throw fail("\(what) holds \(raw.count) bytes, not a whole number of elements", node: node, op: op)
            }
            try check(stored: raw.count / MemoryLayout<T>.size, unit: "elements")
            return raw.withUnsafeBytes { bytes in
                (0..<count).map { convert(bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
            }
        }
        func intsFromRaw<T: FixedWidthInteger>(_ type: T.Type) throws -> [Int64] {
            guard raw.count % MemoryLayout<T>.size == 0 else {
                throw fail("\(what) holds \(raw.count) bytes, not a whole number of elements", node: node, op: op)
            }
            try check(stored: raw.count / MemoryLayout<T>.size, unit: "elements")
            return raw.withUnsafeBytes { bytes in
                (0..<count).map { Int64(truncatingIfNeeded: T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
            }
        }
        let hasRaw = t.hasRawData
        switch t.dataType {
        case 1:  // FLOAT
            if hasRaw { return ConstantTensor(shape: shape, storage: .floats(try fromRaw(UInt32.self) { Float(bitPattern: UInt32(littleEndian: $0)) })) }
            try check(stored: t.floatData.count, unit: "float_data values")
            return ConstantTensor(shape: shape, storage: .floats(t.floatData))
        case 11:  // DOUBLE
            if hasRaw { return ConstantTensor(shape: shape, storage: .floats(try fromRaw(UInt64.self) { Float(Double(bitPattern: UInt64(littleEndian: $0))) })) }
            try check(stored: t.doubleData.count, unit: "double_data values")
            return ConstantTensor(shape: shape, storage: .floats(t.doubleData.map { Float($0) }))
        case 10:  // FLOAT16
            if hasRaw { return ConstantTensor(shape: shape, storage: .floats(try fromRaw(UInt16.self) { halfToFloat(UInt16(littleEndian: $0)) })) }
            try check(stored: t.int32Data.count, unit: "int32_data values")
            return ConstantTensor(shape: shape, storage: .floats(t.int32Data.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) }))
        case 7:  // INT64
            if hasRaw { return ConstantTensor(shape: shape, storage: .ints(try intsFromRaw(Int64.self))) }
            try check(stored: t.int64Data.count, unit: "int64_data values")
            return ConstantTensor(shape: shape, storage: .ints(t.int64Data))
        case 6, 5, 4, 3, 2, 9:  // INT32, INT16, UINT16, INT8, UINT8, BOOL
            if hasRaw {
                let ints: [Int64]
                switch t.dataType {
                case 6: ints = try intsFromRaw(Int32.self)
                case 5: ints = try intsFromRaw(Int16.self)
                case 4: ints = try intsFromRaw(UInt16.self)
                case 3: ints = try intsFromRaw(Int8.self)
                default: ints = try intsFromRaw(UInt8.self)
                }
                return ConstantTensor(shape: shape, storage: .ints(ints))
            }
            try check(stored: t.int32Data.count, unit: "int32_data values")
            return ConstantTensor(shape: shape, storage: .ints(t.int32Data.map(Int64.init)))
        case 12, 13:  // UINT32, UINT64
            if hasRaw { return ConstantTensor(shape: shape, storage: .ints(try t.dataType == 12 ? intsFromRaw(UInt32.self) : intsFromRaw(UInt64.self))) }
            try check(stored: t.uint64Data.count, unit: "uint64_data values")
            return ConstantTensor(shape: shape, storage: .ints(t.uint64Data.map { Int64(truncatingIfNeeded: $0) }))
        default:
            throw fail("\(what) has data type \(t.dataType), which is not supported", node: node, op: op)
        }
    }

    // MARK: - Nodes

    mutating func importNode(_ n: Onnx_NodeProto, index: Int) throws {
        let op = n.opType
        var name = n.name.isEmpty ? "\(op)_\(index)" : n.name
        while usedNodeNames.contains(name) { name += "_" }
        usedNodeNames.insert(name)
        let nodeName = name
        let file = self.file
        let fail: @Sendable (String) -> ONNXImportError = { ONNXImportError(file: file, node: nodeName, opType: op, reason: $0) }

        guard n.domain.isEmpty || n.domain == "ai.onnx" else { throw fail("operators of domain '\(n.domain)' are not supported") }
        guard !n.output.isEmpty, !n.output[0].isEmpty else { throw fail("has no output") }
        for input in n.input where !input.isEmpty && constants[input] == nil && shapes[input] == nil {
            throw fail("input '\(input)' is not defined: no initializer, graph input or earlier node produces it")
        }
        let attributes = try Attributes(n.attribute, fail: fail)
        let inputs = n.input
        let output = n.output[0]

        func input(_ i: Int) -> String? { i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil }
        func shape(_ name: String) -> [Int] { constants[name]?.shape ?? shapes[name] ?? [] }
        func required(_ i: Int) throws -> String {
            guard let name = input(i) else { throw fail("input \(i) is missing") }
            return name
        }
        /// A constant input that plays the part of an attribute (a shape, axes, scales …):
        /// small by nature, so anything larger than 2¹⁶ elements is refused unread.
        func constantInput(_ i: Int, _ role: String) throws -> ConstantTensor? {
            guard let name = input(i) else { return nil }
            guard let c = constants[name] else { throw fail("\(role) (input \(i), '\(name)') must be a constant") }
            guard c.count <= 1 << 16 else { throw fail("\(role) (input \(i), '\(name)') has an absurd \(c.count) elements") }
            return c
        }
        func allConstant() -> Bool { inputs.allSatisfy { $0.isEmpty || constants[$0] != nil } }
        func define(_ c: ConstantTensor) throws {
            guard let count = ShapeRules.elementCount(c.shape), count <= Graph.maximumTensorElements else {
                throw fail("would produce an absurd constant of shape \(c.shape)")
            }
            constants[output] = c
        }
        func normalize(_ axis: Int, rank: Int) throws -> Int {
            guard -rank <= axis && axis < rank else { throw fail("axis \(axis) is out of range for rank \(rank)") }
            return axis < 0 ? axis + rank : axis
        }

        // Constant folding of shape computations.
        switch op {
        case "Constant":
            if let t = attributes.tensor("value") {
                try define(try constant(from: t, what: "its value", node: nodeName, op: op))
            } else if let f = try attributes.float("value_float") {
                try define(ConstantTensor(shape: [], storage: .floats([f])))
            } else if let fs = try attributes.floats("value_floats") {
                try define(ConstantTensor(shape: [fs.count], storage: .floats(fs)))
            } else if let i = try attributes.int("value_int") {
                try define(ConstantTensor(shape: [], storage: .ints([Int64(i)])))
            } else if let ints = try attributes.ints("value_ints") {
                try define(ConstantTensor(shape: [ints.count], storage: .ints(ints.map(Int64.init))))
            } else {
                throw fail("has no value attribute that is supported (value, value_float(s), value_int(s))")
            }
            return
        case "ConstantOfShape":
            guard let dims = try constantInput(0, "shape") else { throw fail("input 0 (shape) is missing") }
            let shape = dims.ints.map { Int(clamping: $0) }
            guard shape.allSatisfy({ $0 >= 0 }), let count = ShapeRules.elementCount(shape), count <= Graph.maximumTensorElements else {
                throw fail("shape \(dims.ints) is negative or absurd")
            }
            var value: Float = 0
            if let t = attributes.tensor("value") {
                let c = try constant(from: t, what: "its value", node: nodeName, op: op)
                guard c.count == 1 else { throw fail("value must hold one element, holds \(c.count)") }
                value = c.floats[0]
            }
            try define(ConstantTensor(shape: shape, storage: .fill(value)))
            return
        case "Shape":
            let s = shape(try required(0))
            var start = try attributes.int("start") ?? 0
            var end = try attributes.int("end") ?? s.count
            if start < 0 { start += s.count }
            if end < 0 { end += s.count }
            start = min(max(start, 0), s.count); end = min(max(end, start), s.count)
            try define(ConstantTensor(shape: [end - start], storage: .ints(s[start..<end].map(Int64.init))))
            return
        default: break
        }

        let foldable = allConstant() && inputs.allSatisfy { $0.isEmpty || constants[$0]!.count <= ConstantTensor.foldingLimit }
        if foldable, let first = input(0), let data = constants[first] {
            switch op {
            case "Identity", "Dropout":
                try define(data); return
            case "Cast":
                let to = try attributes.int("to") ?? 1
                let integer = [2, 3, 4, 5, 6, 7, 9, 12, 13].contains(to)
                try define(integer ? ConstantTensor(shape: data.shape, storage: .ints(data.ints))
                                   : ConstantTensor(shape: data.shape, storage: .floats(data.floats)))
                return
            case "Gather":
                guard let indices = try constantInput(1, "indices") else { throw fail("input 1 (indices) is missing") }
                let axis = try normalize(try attributes.int("axis") ?? 0, rank: data.shape.count)
                let extent = data.shape[axis]
                var picks: [Int] = []
                for i in indices.ints {
                    let k = Int(clamping: i < 0 ? i + Int64(extent) : i)
                    guard k >= 0 && k < extent else { throw fail("index \(i) is out of range for extent \(extent)") }
                    picks.append(k)
                }
                let outShape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
                guard let outCount = ShapeRules.elementCount(outShape), outCount <= ConstantTensor.foldingLimit else {
                    throw fail("would gather an absurd constant of shape \(outShape)")
                }
                var lists = data.shape.map { Array(0..<$0) }
                lists[axis] = picks
                var picked = data.select(lists)
                picked.shape = outShape
                try define(picked); return
            case "Unsqueeze", "Squeeze", "Reshape", "Flatten":
                let newShape = try reshapedShape(op: op, data: data.shape, attributes: attributes, constantInput: constantInput, normalize: normalize, fail: fail)
                try define(ConstantTensor(shape: newShape, storage: data.storage)); return
            case "Concat":
                let parts = inputs.filter { !$0.isEmpty }.compactMap { constants[$0] }
                let rank = data.shape.count
                let axis = try normalize(try attributes.int("axis") ?? 0, rank: rank)
                var outShape = data.shape
                outShape[axis] = 0
                for p in parts {
                    guard p.shape.count == rank, (0..<rank).allSatisfy({ $0 == axis || p.shape[$0] == data.shape[$0] }) else {
                        throw fail("constant inputs \(parts.map(\.shape)) do not concatenate on axis \(axis)")
                    }
                    outShape[axis] += p.shape[axis]
                }
                let outer = data.shape[..<axis].reduce(1, *)
                let integer = parts.allSatisfy(\.isInteger)
                if integer {
                    var values: [Int64] = []
                    let all = parts.map(\.ints)
                    for o in 0..<outer { for (p, v) in zip(parts, all) { let block = p.shape[axis...].reduce(1, *); values += v[(o * block)..<((o + 1) * block)] } }
                    try define(ConstantTensor(shape: outShape, storage: .ints(values)))
                } else {
                    var values: [Float] = []
                    let all = parts.map(\.floats)
                    for o in 0..<outer { for (p, v) in zip(parts, all) { let block = p.shape[axis...].reduce(1, *); values += v[(o * block)..<((o + 1) * block)] } }
                    try define(ConstantTensor(shape: outShape, storage: .floats(values)))
                }
                return
            case "Slice":
                let lists = try sliceLists(shape: data.shape, attributes: attributes, constantInput: constantInput, normalize: normalize, fail: fail)
                try define(data.select(lists)); return
            case "Add", "Sub", "Mul", "Div":
                guard let second = input(1), let other = constants[second] else { throw fail("input 1 is missing") }
                guard let outShape = ShapeRules.broadcast(data.shape, other.shape) else {
                    throw fail("constant shapes \(data.shape) and \(other.shape) do not broadcast")
                }
                if outShape.reduce(1, *) <= ConstantTensor.foldingLimit,
                   let result = ConstantTensor.arithmetic(data, other, shape: outShape, op) {
                    try define(result); return
                }
            default: break
            }
        }

        // Operators that stay in the graph.
        let graphOp: Op
        var dataInputs: [String] = [try required(0)]
        switch op {
        case "Conv", "ConvTranspose":
            let x = shape(try required(0)), w = shape(try required(1))
            guard x.count == 4, w.count == 4 else { throw fail("only 2-D convolutions (4-D tensors) are supported; input \(x), filter \(w)") }
            let kernel = try attributes.ints("kernel_shape") ?? [w[2], w[3]]
            let strides = try attributes.ints("strides") ?? [1, 1]
            let dilations = try attributes.ints("dilations") ?? [1, 1]
            let groups = try attributes.int("group") ?? 1
            guard kernel.count == 2, strides.count == 2, dilations.count == 2 else { throw fail("kernel_shape, strides and dilations must have 2 entries") }
            guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }), groups >= 1 else { throw fail("strides, dilations and group must be ≥ 1") }
            var pads = try attributes.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw fail("pads must be 4 non-negative numbers, are \(pads)") }
            let autoPad = try attributes.string("auto_pad") ?? "NOTSET"
            if op == "Conv" {
                if autoPad.hasPrefix("SAME") {
                    for k in 0..<2 {
                        let out = (x[2 + k] + strides[k] - 1) / strides[k]
                        let total = max(0, (out - 1) * strides[k] + (kernel[k] - 1) * dilations[k] + 1 - x[2 + k])
                        let small = total / 2
                        pads[k] = autoPad == "SAME_UPPER" ? small : total - small
                        pads[k + 2] = total - pads[k]
                    }
                } else if autoPad == "VALID" { pads = [0, 0, 0, 0] }
                graphOp = .conv(ConvAttributes(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]), pads: (pads[0], pads[1], pads[2], pads[3]), dilation: (dilations[0], dilations[1]), groups: groups))
            } else {
                var outputPadding = try attributes.ints("output_padding") ?? [0, 0]
                guard outputPadding.count == 2 else { throw fail("output_padding must have 2 entries") }
                let outputShape = try attributes.ints("output_shape")
                if outputShape != nil || autoPad.hasPrefix("SAME") {
                    let target = outputShape.map { Array($0.suffix(2)) } ?? [x[2] * strides[0], x[3] * strides[1]]
                    guard target.count == 2 else { throw fail("output_shape must end with H and W") }
                    for k in 0..<2 {
                        let full = strides[k] * (x[2 + k] - 1) + outputPadding[k] + (kernel[k] - 1) * dilations[k] + 1
                        var total = full - target[k]
                        if total < 0 { outputPadding[k] -= total; total = 0 }
                        let small = total / 2
                        pads[k] = autoPad == "SAME_LOWER" ? total - small : small
                        pads[k + 2] = total - pads[k]
                    }
                }
                graphOp = .convTranspose(ConvAttributes(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]), pads: (pads[0], pads[1], pads[2], pads[3]), dilation: (dilations[0], dilations[1]), groups: groups, outputPadding: (outputPadding[0], outputPadding[1])))
            }
            dataInputs = [try required(0), try required(1)] + (input(2).map { [$0] } ?? [])
        case "Gemm":
            graphOp = .gemm(transA: (try attributes.int("transA") ?? 0) != 0, transB: (try attributes.int("transB") ?? 0) != 0,
                            alpha: try attributes.float("alpha") ?? 1, beta: try attributes.float("beta") ?? 1)
            dataInputs = [try required(0), try required(1)] + (input(2).map { [$0] } ?? [])
        case "MatMul":
            graphOp = .matMul
            dataInputs = [try required(0), try required(1)]
        case "MaxPool", "AveragePool":
            guard let kernel = try attributes.ints("kernel_shape"), kernel.count == 2 else { throw fail("kernel_shape must have 2 entries (2-D pooling)") }
            let strides = try attributes.ints("strides") ?? [1, 1]
            guard strides.count == 2, strides.allSatisfy({ $0 >= 1 }), kernel.allSatisfy({ $0 >= 1 }) else { throw fail("kernel_shape and strides must be 2 numbers ≥ 1") }
            if let d = try attributes.ints("dilations"), d.contains(where: { $0 != 1 }) { throw fail("dilated pooling is not supported") }
            if n.output.count > 1 && !n.output[1].isEmpty { throw fail("the indices output of MaxPool is not supported") }
            var pads = try attributes.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw fail("pads must be 4 non-negative numbers, are \(pads)") }
            let autoPad = try attributes.string("auto_pad") ?? "NOTSET"
            let x = shape(try required(0))
            if autoPad.hasPrefix("SAME"), x.count == 4 {
                for k in 0..<2 {
                    let out = (x[2 + k] + strides[k] - 1) / strides[k]
                    let total = max(0, (out - 1) * strides[k] + kernel[k] - x[2 + k])
                    pads[k] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                    pads[k + 2] = total - pads[k]
                }
            }
            let attributesOfPool = PoolAttributes(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]), pads: (pads[0], pads[1], pads[2], pads[3]),
                                                  ceilMode: (try attributes.int("ceil_mode") ?? 0) != 0,
                                                  countIncludePad: (try attributes.int("count_include_pad") ?? 0) != 0)
            graphOp = op == "MaxPool" ? .maxPool(attributesOfPool) : .averagePool(attributesOfPool)
        case "GlobalAveragePool": graphOp = .globalAveragePool
        case "GlobalMaxPool": graphOp = .globalMaxPool
        case "Relu": graphOp = .relu
        case "LeakyRelu": graphOp = .leakyRelu(alpha: try attributes.float("alpha") ?? 0.01)
        case "Sigmoid": graphOp = .sigmoid
        case "HardSigmoid": graphOp = .hardSigmoid(alpha: try attributes.float("alpha") ?? 0.2, beta: try attributes.float("beta") ?? 0.5)
        case "HardSwish": graphOp = .hardSwish
        case "Clip":
            var lo = -Float.infinity, hi = Float.infinity
            if opset < 11 {
                lo = try attributes.float("min") ?? lo
                hi = try attributes.float("max") ?? hi
            } else {
                if let c = try constantInput(1, "min") { guard c.count == 1 else { throw fail("min must be a scalar") }; lo = c.floats[0] }
                if let c = try constantInput(2, "max") { guard c.count == 1 else { throw fail("max must be a scalar") }; hi = c.floats[0] }
            }
            graphOp = .clip(min: lo, max: hi)
        case "BatchNormalization":
            graphOp = .batchNorm(epsilon: try attributes.float("epsilon") ?? 1e-5)
            dataInputs = try (0..<5).map { try required($0) }
        case "LRN":
            guard let size = try attributes.int("size"), size >= 1 else { throw fail("size must be given and ≥ 1") }
            graphOp = .localResponseNorm(size: size, alpha: try attributes.float("alpha") ?? 1e-4,
                                         beta: try attributes.float("beta") ?? 0.75, bias: try attributes.float("bias") ?? 1)
        case "Add", "Sub", "Mul", "Div":
            graphOp = ["Add": Op.add, "Sub": .sub, "Mul": .mul, "Div": .div][op]!
            dataInputs = [try required(0), try required(1)]
        case "Sum":
            let terms = inputs.filter { !$0.isEmpty }
            guard !terms.isEmpty else { throw fail("has no inputs") }
            if terms.count == 1 {
                graphOp = .identity
            } else {
                // A chain of two-input adds; the last one writes the node's output.
                var accumulated = terms[0]
                for (k, term) in terms.dropFirst().enumerated() {
                    let isLast = k == terms.count - 2
                    let out = isLast ? output : "\(nodeName)/partial\(k)"
                    try emit(Node(name: isLast ? nodeName : "\(nodeName)/add\(k)", op: .add, inputs: [accumulated, term], outputs: [out]), op: op)
                    accumulated = out
                }
                return
            }
        case "Concat":
            graphOp = .concat(axis: try attributes.int("axis") ?? 0)
            dataInputs = inputs.filter { !$0.isEmpty }
        case "Resize", "Upsample":
            graphOp = try resizeOp(op: op, x: shape(try required(0)), attributes: attributes, constantInput: constantInput, fail: fail)
        case "Softmax":
            let x = shape(try required(0))
            let axis = try normalize(try attributes.int("axis") ?? (opset < 13 ? 1 : -1), rank: x.count)
            if opset < 13 && axis != x.count - 1 && x[(axis + 1)...].reduce(1, *) != 1 {
                throw fail("opset-\(opset) Softmax over the flattened axes \(axis)… of \(x) is not supported")
            }
            graphOp = .softmax(axis: axis)
        case "Reshape", "Unsqueeze", "Squeeze":
            let x = shape(try required(0))
            graphOp = .reshape(shape: try reshapedShape(op: op, data: x, attributes: attributes, constantInput: constantInput, normalize: normalize, fail: fail, rebatching: true))
        case "Flatten":
            graphOp = .flatten(axis: try attributes.int("axis") ?? 1)
        case "Transpose":
            graphOp = .transpose(perm: try attributes.ints("perm") ?? [])
        case "Pad":
            let mode = try attributes.string("mode") ?? "constant"
            guard mode == "constant" else { throw fail("pad mode '\(mode)' is not supported (only constant)") }
            if opset < 11 {
                guard let pads = try attributes.ints("pads") else { throw fail("pads attribute is missing") }
                graphOp = .pad(pads: pads, value: try attributes.float("value") ?? 0)
            } else {
                guard let pads = try constantInput(1, "pads") else { throw fail("input 1 (pads) is missing") }
                if input(3) != nil { throw fail("the axes input of Pad is not supported") }
                let value = try constantInput(2, "constant_value")?.floats.first ?? 0
                graphOp = .pad(pads: pads.ints.map { Int(clamping: $0) }, value: value)
            }
        case "Dropout": graphOp = .dropout
        case "Identity": graphOp = .identity
        case "Cast":
            let to = try attributes.int("to") ?? 1
            guard [1, 10, 11].contains(to) else { throw fail("Cast of activations to type \(to) is not supported (only to floating point)") }
            graphOp = .identity
        default:
            if allConstant() && ["Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Cast", "Reshape"].contains(op) {
                throw fail("constant input of \(constants[inputs[0]]?.count ?? 0) elements is too large to fold (limit \(ConstantTensor.foldingLimit))")
            }
            if ["Gather", "Slice"].contains(op) { throw fail("\(op) on activations is not supported (only on constant shapes)") }
            throw fail("operator \(op) is not supported")
        }
        try emit(Node(name: nodeName, op: graphOp, inputs: dataInputs, outputs: [output]), op: op)
    }

    /// Adds a node: its constant inputs become weights and its output shape is inferred.
    mutating func emit(_ node: Node, op: String) throws {
        var inputShapes: [[Int]?] = []
        for input in node.inputs {
            if let c = constants[input] {
                weightNames.insert(input)
                inputShapes.append(c.shape)
            } else {
                inputShapes.append(shapes[input])
            }
        }
        do {
            let out = try ShapeRules.outputShapes(of: node.op, inputs: inputShapes, outputCount: node.outputs.count)
            for (name, shape) in zip(node.outputs, out) {
                guard let count = ShapeRules.elementCount(shape), count <= Graph.maximumTensorElements, count > 0 else {
                    throw fail("output '\(name)' would have an empty or absurd shape \(shape)", node: node.name, op: op)
                }
                shapes[name] = shape
            }
        } catch let failure as ShapeRules.Failure {
            throw fail(failure.reason, node: node.name, op: op)
        }
        nodes.append(node)
    }

    // MARK: - Attribute-heavy operators

    func reshapedShape(op: String, data: [Int], attributes: Attributes,
                       constantInput: (Int, String) throws -> ConstantTensor?,
                       normalize: (Int, Int) throws -> Int, fail: (String) -> ONNXImportError,
                       rebatching: Bool = false) throws -> [Int] {
        switch op {
        case "Reshape":
            var target: [Int]
            if let c = try constantInput(1, "shape") { target = c.ints.map { Int(clamping: $0) } }
            else if let attribute = try attributes.ints("shape") { target = attribute }
            else { throw fail("the target shape is missing") }
            // Exported CNNs often flatten with a constant target such as [1, 9216]: the
            // batch they were traced at. With another batch requested, an activation
            // Reshape whose target starts with the declared batch while its data starts
            // with the requested one keeps the batch (shape computations are folded from
            // the real shapes and need no such rule).
            if rebatching, let rebatch, target.first == rebatch.declared, data.first == rebatch.requested {
                target[0] = rebatch.requested
            }
            if (try attributes.int("allowzero") ?? 0) != 0 && target.contains(0) { throw fail("allowzero with a 0 in the shape is not supported") }
            do {
                return try ShapeRules.outputShapes(of: .reshape(shape: target), inputs: [data], outputCount: 1)[0]
            } catch let failure as ShapeRules.Failure { throw fail(failure.reason) }
        case "Flatten":
            let axis = try normalize(try attributes.int("axis") ?? 1, data.count + 1)
            return [data[..<axis].reduce(1, *), data[axis...].reduce(1, *)]
        default:
            let axesList: [Int]
            if opset >= 13 { axesList = try constantInput(1, "axes")?.ints.map { Int(clamping: $0) } ?? [] }
            else { axesList = try attributes.ints("axes") ?? [] }
            if op == "Unsqueeze" {
                let rank = data.count + axesList.count
                let axes = Set(try axesList.map { try normalize($0, rank) })
                guard axes.count == axesList.count, !axes.isEmpty else { throw fail("axes \(axesList) are empty or repeated") }
                var rest = data.makeIterator()
                return (0..<rank).map { axes.contains($0) ? 1 : rest.next()! }
            }
            let axes = Set(try axesList.map { try normalize($0, data.count) })
            for a in axes where data[a] != 1 { throw fail("cannot squeeze axis \(a) of extent \(data[a])") }
            return data.enumerated().filter { axes.isEmpty ? $0.element != 1 : !axes.contains($0.offset) }.map(\.element)
        }
    }

    func sliceLists(shape: [Int], attributes: Attributes, constantInput: (Int, String) throws -> ConstantTensor?,
                    normalize: (Int, Int) throws -> Int, fail: (String) -> ONNXImportError) throws -> [[Int]] {
        let starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?
        if opset < 10 {
            guard let s = try attributes.ints("starts"), let e = try attributes.ints("ends") else { throw fail("starts and ends are required") }
            starts = s.map(Int64.init); ends = e.map(Int64.init); axes = try attributes.ints("axes")?.map(Int64.init); steps = nil
        } else {
            guard let s = try constantInput(1, "starts"), let e = try constantInput(2, "ends") else { throw fail("starts and ends are required") }
            starts = s.ints; ends = e.ints
            axes = try constantInput(3, "axes")?.ints; steps = try constantInput(4, "steps")?.ints
        }
        guard starts.count == ends.count, (axes?.count ?? starts.count) == starts.count, (steps?.count ?? starts.count) == starts.count else {
            throw fail("starts, ends, axes and steps differ in length")
        }
        var lists = shape.map { Array(0..<$0) }
        for k in starts.indices {
            let axis = try normalize(Int(clamping: axes?[k] ?? Int64(k)), shape.count)
            let extent = Int64(shape[axis])
            let step = steps?[k] ?? 1
            guard step != 0 else { throw fail("a slice step is 0") }
            func clampIndex(_ v: Int64, low: Int64, high: Int64) -> Int64 { min(max(v < 0 ? v + extent : v, low), high) }
            var picks: [Int] = []
            if step > 0 {
                var i = clampIndex(starts[k], low: 0, high: extent)
                let end = clampIndex(ends[k], low: 0, high: extent)
                while i < end { picks.append(Int(i)); i += step }
            } else {
                var i = clampIndex(starts[k], low: -1, high: extent - 1)
                let end = clampIndex(ends[k], low: -1, high: extent - 1)
                while i > end { picks.append(Int(i)); i += step }
            }
            lists[axis] = picks
        }
        return lists
    }

    func resizeOp(op: String, x: [Int], attributes: Attributes, constantInput: (Int, String) throws -> ConstantTensor?,
                  fail: (String) -> ONNXImportError) throws -> Op {
        guard x.count == 4 else { throw fail("only N×C×H×W inputs can be resized, input is \(x)") }
        var scales: [Float]?
        if op == "Upsample" && opset < 9 {
            scales = try attributes.floats("scales")
        } else if op == "Upsample" || opset < 11 {
            scales = try constantInput(1, "scales")?.floats
        } else {
            if let s = try constantInput(2, "scales"), s.count > 0 { scales = s.floats }
            if let sizes = try constantInput(3, "sizes"), sizes.count > 0 {
                guard sizes.count == 4 else { throw fail("sizes must have 4 entries, has \(sizes.count)") }
                scales = zip(sizes.ints, x).map { Float($0) / Float($1) }
            }
        }
        guard let scales, scales.count == 4 else { throw fail("scales (or sizes) must be a constant of 4 entries") }
        guard scales[0] == 1, scales[1] == 1 else { throw fail("only H and W can be resized; scales are \(scales)") }
        let mode = (try attributes.string("mode") ?? "nearest").lowercased()
        let transform = try attributes.string("coordinate_transformation_mode") ?? (op == "Upsample" || opset < 11 ? "asymmetric" : "half_pixel")
        let resizeMode: ResizeMode
        switch mode {
        case "nearest":
            resizeMode = .nearest
        case "linear", "bilinear":
            switch transform {
            case "align_corners": resizeMode = .bilinearAlignCorners
            case "half_pixel", "pytorch_half_pixel": resizeMode = .bilinear
            default: throw fail("linear resize with coordinate_transformation_mode '\(transform)' is not supported")
            }
        default:
            throw fail("resize mode '\(mode)' is not supported (nearest, linear)")
        }
        return .resize(mode: resizeMode, scaleHeight: scales[2], scaleWidth: scales[3])
    }
}

/// A node's attributes by name, read with their declared types checked.
private struct Attributes {
    let byName: [String: Onnx_AttributeProto]
    let fail: (String) -> ONNXImportError

    init(_ list: [Onnx_AttributeProto], fail: @escaping (String) -> ONNXImportError) throws {
        var byName: [String: Onnx_AttributeProto] = [:]
        for a in list { byName[a.name] = a }
        self.byName = byName; self.fail = fail
    }

    private func typed(_ name: String, _ type: Onnx_AttributeProto.AttributeType) throws -> Onnx_AttributeProto? {
        guard let a = byName[name] else { return nil }
        // Old files may leave the type unset; the field that is present then decides.
        if a.type != .undefined && a.type != type { throw fail("attribute '\(name)' has type \(a.type), expected \(type)") }
        return a
    }

    func int(_ name: String) throws -> Int? {
        guard let a = try typed(name, .int) else { return nil }
        guard a.i >= Int64(Int32.min) && a.i <= Int64(Int32.max) else { throw fail("attribute '\(name)' = \(a.i) is absurd") }
        return Int(a.i)
    }
    func ints(_ name: String) throws -> [Int]? {
        guard let a = try typed(name, .ints) else { return nil }
        guard a.ints.allSatisfy({ $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }) else { throw fail("attribute '\(name)' = \(a.ints) is absurd") }
        return a.ints.map { Int($0) }
    }
    func float(_ name: String) throws -> Float? { try typed(name, .float)?.f }
    func floats(_ name: String) throws -> [Float]? { try typed(name, .floats)?.floats }
    func string(_ name: String) throws -> String? {
        guard let a = try typed(name, .string) else { return nil }
        return String(decoding: a.s, as: UTF8.self)
    }
    func tensor(_ name: String) -> Onnx_TensorProto? { byName[name].flatMap { $0.hasT ? $0.t : nil } }
}

/// IEEE 754 half precision to single precision.
private func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = UInt32((bits >> 10) & 0x1f)
    let mantissa = UInt32(bits & 0x3ff)
    if exponent == 0 {
        return Float(sign: sign == 0 ? .plus : .minus, exponent: -24, significand: Float(mantissa))
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}
