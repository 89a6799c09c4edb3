/// Static shape inference and structural validation of a `Graph`.
///
/// Every tensor's shape follows from the graph inputs, the weight shapes and the
/// operators' attributes; nothing is evaluated. The rules are ONNX's (opset 13) for the
/// operators of `Op`, with NumPy broadcasting for the binary element-wise operators.

/// A graph that is not well formed, with the graph, the node (when one is at fault) and
/// the reason.
public struct GraphError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The graph's name.
    public var graph: String
    /// The node at fault, if any.
    public var node: String?
    /// The node's operator (`Op.typeName`), if any.
    public var opType: String?
    public var reason: String

    public init(graph: String, node: String? = nil, opType: String? = nil, reason: String) {
        self.graph = graph; self.node = node; self.opType = opType; self.reason = reason
    }

    public var description: String {
        var text = "graph '\(graph)'"
        if let node { text += ", node '\(node)'" }
        if let opType { text += " (\(opType))" }
        return text + ": " + reason
    }
}

extension Graph {
    /// The largest tensor shape inference accepts, in elements: 2⁴⁰, far beyond any network
    /// a trace or a price describes (VGG-16's largest activation at the CLI's largest batch,
    /// 4096, is 1.3·10¹⁰), so anything larger is an absurd shape from a malformed file, and
    /// counts derived from it (MACs, words, bits) stay far inside Int. The executor allocates
    /// far less (`InferenceSession.maximumTensorWords`, 2³⁰); this bound is for shapes only.
    public static let maximumTensorElements = 1 << 40

    /// Every tensor's shape, by name: the graph inputs, the weights and every node output.
    ///
    /// Throws `GraphError` naming the node whose inputs do not fit its operator, whose
    /// inputs are undefined, or whose output would be empty or absurdly large.
    public func inferShapes() throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for input in inputs {
            try checkShape(input.shape, of: input.name, node: nil)
            shapes[input.name] = input.shape
        }
        for (name, weight) in weights {
            try checkShape(weight.shape, of: name, node: nil)
            shapes[name] = weight.shape
        }
        for node in nodes {
            var inputShapes: [[Int]?] = []
            for name in node.inputs {
                if name.isEmpty { inputShapes.append(nil); continue }  // ONNX: an omitted optional input
                guard let shape = shapes[name] else {
                    throw GraphError(graph: self.name, node: node.name, opType: node.op.typeName,
                                     reason: "input '\(name)' is not defined by an earlier node, a graph input or a weight")
                }
                inputShapes.append(shape)
            }
            let outputShapes: [[Int]]
            do {
                outputShapes = try ShapeRules.outputShapes(of: node.op, inputs: inputShapes, outputCount: node.outputs.count)
            } catch let failure as ShapeRules.Failure {
                throw GraphError(graph: self.name, node: node.name, opType: node.op.typeName, reason: failure.reason)
            }
            for (name, shape) in zip(node.outputs, outputShapes) where !name.isEmpty {
                try checkShape(shape, of: name, node: node)
                shapes[name] = shape
            }
        }
        return shapes
    }

    /// Checks the graph's structure and shapes: unique node names, every tensor defined
    /// once, nodes in topological order (no cycles), operator arity, weight value counts,
    /// graph outputs produced, and every shape inferable. Throws the first `GraphError`.
    public func validate() throws {
        var defined = Set<String>()
        for input in inputs {
            guard defined.insert(input.name).inserted else {
                throw GraphError(graph: name, reason: "graph input '\(input.name)' is declared twice")
            }
        }
        for (weightName, weight) in weights {
            guard defined.insert(weightName).inserted else {
                throw GraphError(graph: name, reason: "'\(weightName)' is both a graph input and a weight")
            }
            if let values = weight.values, values.count != weight.elementCount {
                throw GraphError(graph: name, reason: "weight '\(weightName)' has \(values.count) values for shape \(weight.shape) (\(weight.elementCount) elements)")
            }
        }
        // Names produced by some node, to tell a cycle or misordering from a missing tensor.
        var producedAnywhere = Set<String>()
        for node in nodes { producedAnywhere.formUnion(node.outputs) }
        var nodeNames = Set<String>()
        for node in nodes {
            guard nodeNames.insert(node.name).inserted else {
                throw GraphError(graph: name, node: node.name, opType: node.op.typeName, reason: "node name is used twice")
            }
            let arity = node.op.inputArity
            let given = node.inputs.count
            guard arity.contains(given) else {
                throw GraphError(graph: name, node: node.name, opType: node.op.typeName,
                                 reason: "takes \(arity.lowerBound)…\(arity.upperBound) inputs, has \(given)")
            }
            guard !node.outputs.isEmpty else {
                throw GraphError(graph: name, node: node.name, opType: node.op.typeName, reason: "has no output")
            }
            for input in node.inputs where !input.isEmpty && !defined.contains(input) {
                let reason = producedAnywhere.contains(input)
                    ? "input '\(input)' is produced by a later node: the graph has a cycle or is not in topological order"
                    : "input '\(input)' is not defined by any node, graph input or weight"
                throw GraphError(graph: name, node: node.name, opType: node.op.typeName, reason: reason)
            }
            for output in node.outputs where !output.isEmpty {
                guard defined.insert(output).inserted else {
                    throw GraphError(graph: name, node: node.name, opType: node.op.typeName, reason: "output '\(output)' is already defined")
                }
            }
        }
        for output in outputs where !defined.contains(output) {
            throw GraphError(graph: name, reason: "graph output '\(output)' is not produced by any node")
        }
        _ = try inferShapes()
    }

    private func checkShape(_ shape: [Int], of tensor: String, node: Node?) throws {
        func fail(_ reason: String) -> GraphError {
            GraphError(graph: name, node: node?.name, opType: node?.op.typeName, reason: "tensor '\(tensor)' \(reason)")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative dimension: \(shape)") }
        guard let count = ShapeRules.elementCount(shape), count <= Graph.maximumTensorElements else {
            throw fail("has an absurd shape \(shape) (more than \(Graph.maximumTensorElements) elements)")
        }
        if node != nil && count == 0 { throw fail("would be empty: shape \(shape)") }
    }
}

extension Op {
    /// The operator's name as error messages and listings show it (`conv`, `max_pool` …).
    public var typeName: String {
        switch self {
        case .conv: "conv"
        case .convTranspose: "conv_transpose"
        case .gemm: "gemm"
        case .matMul: "matmul"
        case .maxPool: "max_pool"
        case .averagePool: "average_pool"
        case .globalAveragePool: "global_average_pool"
        case .globalMaxPool: "global_max_pool"
        case .relu: "relu"
        case .leakyRelu: "leaky_relu"
        case .clip(let lo, let hi): (lo == 0 && hi == 6) ? "relu6" : "clip"
        case .sigmoid: "sigmoid"
        case .hardSigmoid: "hard_sigmoid"
        case .hardSwish: "hard_swish"
        case .batchNorm: "batch_norm"
        case .localResponseNorm: "lrn"
        case .add: "add"
        case .sub: "sub"
        case .mul: "mul"
        case .div: "div"
        case .concat: "concat"
        case .resize: "resize"
        case .softmax: "softmax"
        case .reshape: "reshape"
        case .flatten: "flatten"
        case .transpose: "transpose"
        case .pad: "pad"
        case .dropout: "dropout"
        case .identity: "identity"
        }
    }

    /// How many inputs the operator takes (ONNX order; optional ones at the end).
    public var inputArity: ClosedRange<Int> {
        switch self {
        case .conv, .convTranspose: 2...3
        case .gemm: 2...3
        case .matMul, .add, .sub, .mul, .div: 2...2
        case .batchNorm: 5...5
        case .concat: 1...Int.max
        default: 1...1
        }
    }

    /// Output extent of `Op.resize` along one axis: `floor(input × scale)` as ONNX
    /// defines it, with a 10⁻⁴ tolerance so that a scale computed as `size / input` in
    /// float32 gives back `size`. The executor must use the same rule.
    public static func resizedExtent(input: Int, scale: Float) -> Int {
        Int((Double(input) * Double(scale) + 1e-4).rounded(.down))
    }
}

/// The per-operator shape rules, shared by `Graph.inferShapes` and the ONNX importer.
enum ShapeRules {
    struct Failure: Error { var reason: String }

    /// Product of the dimensions, or nil on overflow.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = product
        }
        return count
    }

    static func outputShapes(of op: Op, inputs: [[Int]?], outputCount: Int) throws -> [[Int]] {
        func input(_ i: Int) throws -> [Int] {
            guard i < inputs.count, let shape = inputs[i] else { throw Failure(reason: "input \(i) is missing") }
            return shape
        }
        func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
            if !condition { throw Failure(reason: reason()) }
        }
        let primary: [Int]
        switch op {
        case .conv(let a):
            let x = try input(0), w = try input(1)
            try require(x.count == 4, "input must be N×C×H×W, is \(x)")
            try require(w.count == 4, "filter must be M×(C/groups)×R×S, is \(w)")
            try require(a.groups >= 1, "groups must be ≥ 1, is \(a.groups)")
            try require(a.stride.height >= 1 && a.stride.width >= 1 && a.dilation.height >= 1 && a.dilation.width >= 1,
                        "strides and dilations must be ≥ 1")
            try requireSane(a)
            try require(w[1] * a.groups == x[1], "filter sees \(w[1]) channels × \(a.groups) groups, input has \(x[1])")
            try require(w[0] % a.groups == 0, "\(w[0]) filters do not split into \(a.groups) groups")
            try require(w[2] == a.kernel.height && w[3] == a.kernel.width,
                        "filter is \(w[2])×\(w[3]), attributes say \(a.kernel.height)×\(a.kernel.width)")
            if inputs.count > 2, let b = inputs[2] { try require(b == [w[0]], "bias must be [\(w[0])], is \(b)") }
            let p = LoopNest.outputExtent(input: x[2], filter: w[2], stride: a.stride.height, padBefore: a.pads.top, padAfter: a.pads.bottom, dilation: a.dilation.height)
            let q = LoopNest.outputExtent(input: x[3], filter: w[3], stride: a.stride.width, padBefore: a.pads.left, padAfter: a.pads.right, dilation: a.dilation.width)
            try require(p >= 1 && q >= 1, "output would be \(p)×\(q): the filter is larger than the padded input \(x[2])×\(x[3])")
            primary = [x[0], w[0], p, q]
        case .convTranspose(let a):
            let x = try input(0), w = try input(1)
            try require(x.count == 4, "input must be N×C×H×W, is \(x)")
            try require(w.count == 4, "filter must be C×(M/groups)×R×S, is \(w)")
            try require(a.groups >= 1 && a.stride.height >= 1 && a.stride.width >= 1 && a.dilation.height >= 1 && a.dilation.width >= 1,
                        "groups, strides and dilations must be ≥ 1")
            try requireSane(a)
            try require(w[0] == x[1], "filter expects \(w[0]) input channels, input has \(x[1])")
            try require(x[1] % a.groups == 0, "\(x[1]) channels do not split into \(a.groups) groups")
            try require(w[2] == a.kernel.height && w[3] == a.kernel.width,
                        "filter is \(w[2])×\(w[3]), attributes say \(a.kernel.height)×\(a.kernel.width)")
            let m = w[1] * a.groups
            if inputs.count > 2, let b = inputs[2] { try require(b == [m], "bias must be [\(m)], is \(b)") }
            let p = a.stride.height * (x[2] - 1) + a.outputPadding.height + a.dilation.height * (w[2] - 1) + 1 - a.pads.top - a.pads.bottom
            let q = a.stride.width * (x[3] - 1) + a.outputPadding.width + a.dilation.width * (w[3] - 1) + 1 - a.pads.left - a.pads.right
            try require(p >= 1 && q >= 1, "output would be \(p)×\(q)")
            primary = [x[0], m, p, q]
        case .gemm(let transA, let transB, _, _):
            let a = try input(0), b = try input(1)
            try require(a.count == 2 && b.count == 2, "A and B must be matrices, are \(a) and \(b)")
            let (n, k) = transA ? (a[1], a[0]) : (a[0], a[1])
            let (kb, m) = transB ? (b[1], b[0]) : (b[0], b[1])
            try require(k == kb, "inner dimensions differ: A gives \(k), B gives \(kb)")
            if inputs.count > 2, let c = inputs[2] {
                try require(broadcast(c, [n, m]) == [n, m], "C \(c) does not broadcast to \(n)×\(m)")
            }
            primary = [n, m]
        case .matMul:
            var a = try input(0), b = try input(1)
            try require(!a.isEmpty && !b.isEmpty, "operands must have rank ≥ 1")
            let aVector = a.count == 1, bVector = b.count == 1
            if aVector { a = [1] + a }
            if bVector { b = b + [1] }
            try require(a[a.count - 1] == b[b.count - 2], "inner dimensions differ: \(a) × \(b)")
            guard let batch = broadcast(Array(a.dropLast(2)), Array(b.dropLast(2))) else {
                throw Failure(reason: "batch dimensions of \(a) and \(b) do not broadcast")
            }
            var out = batch + [a[a.count - 2], b[b.count - 1]]
            if aVector { out.remove(at: out.count - 2) }
            if bVector { out.removeLast() }
            primary = out
        case .maxPool(let a), .averagePool(let a):
            let x = try input(0)
            try require(x.count == 4, "input must be N×C×H×W, is \(x)")
            try require(a.stride.height >= 1 && a.stride.width >= 1 && a.kernel.height >= 1 && a.kernel.width >= 1,
                        "kernel and strides must be ≥ 1")
            try require([a.kernel.height, a.kernel.width, a.stride.height, a.stride.width, a.pads.top, a.pads.left, a.pads.bottom, a.pads.right]
                            .allSatisfy { $0 >= 0 && $0 <= maximumWindowAttribute }, "window attributes beyond \(maximumWindowAttribute) are absurd")
            let p = poolExtent(input: x[2], kernel: a.kernel.height, stride: a.stride.height, padBefore: a.pads.top, padAfter: a.pads.bottom, ceil: a.ceilMode)
            let q = poolExtent(input: x[3], kernel: a.kernel.width, stride: a.stride.width, padBefore: a.pads.left, padAfter: a.pads.right, ceil: a.ceilMode)
            try require(p >= 1 && q >= 1, "output would be \(p)×\(q): the window is larger than the padded input")
            primary = [x[0], x[1], p, q]
        case .globalAveragePool, .globalMaxPool:
            let x = try input(0)
            try require(x.count >= 3, "input must be N×C×spatial, is \(x)")
            primary = [x[0], x[1]] + Array(repeating: 1, count: x.count - 2)
        case .relu, .leakyRelu, .clip, .sigmoid, .hardSigmoid, .hardSwish, .softmax, .dropout, .identity:
            primary = try input(0)
            if case .softmax(let axis) = op {
                try require(-primary.count <= axis && axis < primary.count, "axis \(axis) is out of range for rank \(primary.count)")
            }
        case .localResponseNorm(let size, _, _, _):
            primary = try input(0)
            try require(primary.count >= 3, "input must be N×C×spatial, is \(primary)")
            try require(size >= 1 && size <= maximumWindowAttribute, "size must be in 1…\(maximumWindowAttribute)")
        case .batchNorm:
            let x = try input(0)
            try require(x.count >= 2, "input must be N×C×…, is \(x)")
            for i in 1...4 {
                let p = try input(i)
                try require(p == [x[1]], "parameter \(i) must be [\(x[1])], is \(p)")
            }
            primary = x
        case .add, .sub, .mul, .div:
            let a = try input(0), b = try input(1)
            guard let out = broadcast(a, b) else { throw Failure(reason: "shapes \(a) and \(b) do not broadcast") }
            primary = out
        case .concat(let axis):
            let first = try input(0)
            let rank = first.count
            try require(-rank <= axis && axis < rank, "axis \(axis) is out of range for rank \(rank)")
            let k = axis < 0 ? axis + rank : axis
            var out = first
            out[k] = 0
            for i in inputs.indices {
                let s = try input(i)
                try require(s.count == rank, "input \(i) has rank \(s.count), input 0 has rank \(rank)")
                for d in 0..<rank where d != k {
                    try require(s[d] == first[d], "input \(i) is \(s), input 0 is \(first): they differ off axis \(k)")
                }
                out[k] += s[k]
            }
            primary = out
        case .resize(_, let sh, let sw):
            let x = try input(0)
            try require(x.count == 4, "input must be N×C×H×W, is \(x)")
            try require(sh > 0 && sw > 0 && sh.isFinite && sw.isFinite, "scales must be positive, are \(sh), \(sw)")
            try require(Double(sh) * Double(x[2]) < Double(Graph.maximumTensorElements)
                        && Double(sw) * Double(x[3]) < Double(Graph.maximumTensorElements), "scales \(sh), \(sw) are absurd")
            primary = [x[0], x[1], Op.resizedExtent(input: x[2], scale: sh), Op.resizedExtent(input: x[3], scale: sw)]
        case .reshape(let target):
            let x = try input(0)
            guard let total = elementCount(x) else { throw Failure(reason: "input shape \(x) overflows") }
            var out: [Int] = []
            var inferred: Int?
            for (i, d) in target.enumerated() {
                switch d {
                case 0:
                    try require(i < x.count, "target \(target) copies dimension \(i), input has rank \(x.count)")
                    out.append(x[i])
                case -1:
                    try require(inferred == nil, "target \(target) has more than one -1")
                    inferred = i; out.append(1)
                default:
                    try require(d > 0, "target \(target) has a negative dimension")
                    out.append(d)
                }
            }
            guard let known = elementCount(out), known > 0 else { throw Failure(reason: "target \(target) is absurd") }
            if let i = inferred {
                try require(total % known == 0, "cannot reshape \(x) (\(total) elements) to \(target)")
                out[i] = total / known
            }
            try require(elementCount(out) == total, "cannot reshape \(x) (\(total) elements) to \(target)")
            primary = out
        case .flatten(let axis):
            let x = try input(0)
            try require(-x.count <= axis && axis <= x.count, "axis \(axis) is out of range for rank \(x.count)")
            let k = axis < 0 ? axis + x.count : axis
            guard let outer = elementCount(Array(x[..<k])), let inner = elementCount(Array(x[k...])) else {
                throw Failure(reason: "input shape \(x) overflows")
            }
            primary = [outer, inner]
        case .transpose(let perm):
            let x = try input(0)
            let order = perm.isEmpty ? Array((0..<x.count).reversed()) : perm
            try require(order.sorted() == Array(0..<x.count), "perm \(perm) is not a permutation of 0..<\(x.count)")
            primary = order.map { x[$0] }
        case .pad(let pads, _):
            let x = try input(0)
            try require(pads.count == 2 * x.count, "pads \(pads) must have 2 × rank = \(2 * x.count) entries")
            primary = x.indices.map { x[$0] + pads[$0] + pads[$0 + x.count] }
        }
        // Bound the work too, so that MAC counts cannot overflow: 2⁶⁰ MACs is a billion
        // times the largest network in the zoo.
        let work: Double
        switch op {
        case .conv, .convTranspose:
            let x = try input(0), w = try input(1)
            // Every output (conv) or input (transposed conv) word meets w[1]·R·S weights.
            work = Double(max(elementCount(primary) ?? 0, elementCount(x) ?? 0)) * Double(w[1] * w[2] * w[3])
        case .gemm, .matMul:
            let a = try input(0), b = try input(1)
            work = Double(elementCount(primary) ?? 0) * Double(max(a.first ?? 1, a.last ?? 1, b.first ?? 1, b.last ?? 1))
        default:
            work = 0
        }
        if work > 0x1p60 { throw Failure(reason: "would take \(work) MACs: absurd") }
        // Dropout may declare a mask output; every other extra output is malformed.
        if case .dropout = op, outputCount == 2 { return [primary, primary] }
        guard outputCount == 1 else { throw Failure(reason: "has \(outputCount) outputs, takes 1") }
        return [primary]
    }

    /// Kernel sizes, strides, dilations and paddings beyond this are malformed input (and
    /// would let extents overflow).
    static let maximumWindowAttribute = 1 << 16

    static func requireSane(_ a: ConvAttributes) throws {
        let values = [a.kernel.height, a.kernel.width, a.stride.height, a.stride.width, a.dilation.height, a.dilation.width,
                      a.pads.top, a.pads.left, a.pads.bottom, a.pads.right, a.outputPadding.height, a.outputPadding.width, a.groups]
        guard values.allSatisfy({ $0 >= 0 && $0 <= maximumWindowAttribute }) else {
            throw Failure(reason: "convolution attributes beyond \(maximumWindowAttribute) (or negative) are absurd")
        }
    }

    /// Pool output extent, ONNX rules: floor or ceil of `(in + pads − k) / s + 1`, and in
    /// ceil mode the last window must start inside the input or its leading padding.
    static func poolExtent(input: Int, kernel: Int, stride: Int, padBefore: Int, padAfter: Int, ceil: Bool) -> Int {
        let span = input + padBefore + padAfter - kernel
        guard span >= 0 else { return 0 }
        if !ceil { return span / stride + 1 }
        var out = (span + stride - 1) / stride + 1
        if (out - 1) * stride >= input + padBefore { out -= 1 }
        return out
    }

    /// NumPy broadcasting of two shapes, or nil when they do not broadcast.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? { Broadcasting.shape(a, b) }
}

/// NumPy-style broadcasting, the rule ONNX's binary element-wise operators follow: shapes
/// are aligned at their last dimension and each pair of dimensions must be equal or 1.
/// Shared by shape inference and the executor's kernels so the two cannot disagree.
public enum Broadcasting {
    /// The broadcast shape of `a` and `b`, or `nil` when they do not broadcast.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
        }
        return out
    }
}
