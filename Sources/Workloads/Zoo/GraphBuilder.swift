/// Builds zoo graphs one layer at a time, inferring each new tensor's shape as it goes so
/// that a layer can ask for its input's channel count, and naming weights
/// `<layer>.<role>` with synthetic seeds (see `WeightTensor.syntheticSeed`).
struct GraphBuilder {
    let model: String
    private(set) var nodes: [Node] = []
    private(set) var weights: [String: WeightTensor] = [:]
    private var shapes: [String: [Int]] = [:]
    let input: TensorSpec

    init(model: String, input: String = "input", shape: [Int]) {
        self.model = model
        self.input = TensorSpec(name: input, shape: shape)
        shapes[input] = shape
    }

    /// The shape of a tensor built so far.
    func shape(_ tensor: String) -> [Int] { shapes[tensor] ?? [] }
    /// Channels (dimension 1) of a tensor built so far.
    func channels(_ tensor: String) -> Int { shape(tensor).count > 1 ? shape(tensor)[1] : 0 }

    /// Adds a node named `name` whose output tensor is also named `name`, creating the
    /// synthetic weights it needs as `<name>.<role>`.
    @discardableResult
    mutating func add(_ name: String, _ op: Op, _ data: [String], weights roles: [(role: String, shape: [Int])] = []) throws -> String {
        var inputs = data
        for (role, shape) in roles {
            let weightName = "\(name).\(role)"
            weights[weightName] = WeightTensor(
                shape: shape, values: nil,
                source: .synthetic(seed: WeightTensor.syntheticSeed(model: model, tensor: weightName)))
            shapes[weightName] = shape
            inputs.append(weightName)
        }
        let node = Node(name: name, op: op, inputs: inputs, outputs: [name])
        do {
            shapes[name] = try ShapeRules.outputShapes(of: op, inputs: inputs.map { shapes[$0] }, outputCount: 1)[0]
        } catch let failure as ShapeRules.Failure {
            throw GraphError(graph: model, node: name, opType: op.typeName, reason: failure.reason)
        }
        nodes.append(node)
        return name
    }

    mutating func conv(_ x: String, _ name: String, out: Int, kernel: Int, stride: Int = 1, pad: Int = 0, groups: Int = 1, bias: Bool = true) throws -> String {
        try convolution(x, name, out: out, kernel: (kernel, kernel), stride: stride, pads: (pad, pad, pad, pad), groups: groups, bias: bias)
    }

    mutating func convolution(_ x: String, _ name: String, out: Int, kernel: (Int, Int), stride: Int = 1, pads: (Int, Int, Int, Int), groups: Int = 1, bias: Bool = true) throws -> String {
        let c = channels(x)
        var roles: [(String, [Int])] = [("weight", [out, c / max(groups, 1), kernel.0, kernel.1])]
        if bias { roles.append(("bias", [out])) }
        let attributes = ConvAttributes(kernel: kernel, stride: (stride, stride), pads: pads, groups: groups)
        return try add(name, .conv(attributes), [x], weights: roles)
    }

    mutating func convTranspose(_ x: String, _ name: String, out: Int, kernel: Int, stride: Int, bias: Bool = true) throws -> String {
        var roles: [(String, [Int])] = [("weight", [channels(x), out, kernel, kernel])]
        if bias { roles.append(("bias", [out])) }
        return try add(name, .convTranspose(ConvAttributes(kernel: kernel, stride: stride)), [x], weights: roles)
    }

    /// Batch-norm with scale, bias, running mean and running variance of `channels(x)`.
    mutating func batchNorm(_ x: String, _ name: String, epsilon: Float = 1e-5) throws -> String {
        let c = channels(x)
        return try add(name, .batchNorm(epsilon: epsilon), [x],
                       weights: [("scale", [c]), ("bias", [c]), ("mean", [c]), ("variance", [c])])
    }

    /// CONV → BN → activation (nil for none), named `<name>`, `<name>_bn`, `<name>_<act>`.
    mutating func convBN(_ x: String, _ name: String, out: Int, kernel: Int, stride: Int = 1, pad: Int? = nil, groups: Int = 1, activation: Op? = .relu, epsilon: Float = 1e-5) throws -> String {
        var y = try conv(x, name, out: out, kernel: kernel, stride: stride, pad: pad ?? kernel / 2, groups: groups, bias: false)
        y = try batchNorm(y, "\(name)_bn", epsilon: epsilon)
        if let activation { y = try add("\(name)_\(activation.typeName)", activation, [y]) }
        return y
    }

    /// A fully connected layer as ONNX `Gemm` with `transB` (weight `[out, in]`) and bias.
    mutating func fc(_ x: String, _ name: String, out: Int) throws -> String {
        let k = shape(x).last ?? 0
        return try add(name, .gemm(transA: false, transB: true, alpha: 1, beta: 1), [x],
                       weights: [("weight", [out, k]), ("bias", [out])])
    }

    /// The classifier of AlexNet and VGG: flatten, FC6 and FC7 (4096, ReLU, dropout), FC8
    /// (1000 classes), softmax `prob`.
    mutating func alexNetStyleClassifier(_ features: String) throws -> String {
        var x = try add("flatten", .flatten(axis: 1), [features])
        for layer in [6, 7] {
            x = try fc(x, "fc\(layer)", out: 4096)
            x = try add("relu\(layer)", .relu, [x])
            x = try add("drop\(layer)", .dropout, [x])
        }
        x = try fc(x, "fc8", out: 1000)
        return try add("prob", .softmax(axis: 1), [x])
    }

    func build(outputs: [String], preprocessing: Preprocessing) throws -> Graph {
        let graph = Graph(name: model, inputs: [input], outputs: outputs, nodes: nodes, weights: weights, preprocessing: preprocessing)
        try graph.validate()
        return graph
    }
}

extension WeightTensor {
    /// The seed of a zoo weight: the 64-bit FNV-1a hash of the UTF-8 bytes of
    /// `"<model>/<tensor>"` (for example `"alexnet/conv1.weight"`). It depends on neither
    /// the batch size nor the order of construction, so every run, build and machine
    /// generates the same values for the same tensor.
    public static func syntheticSeed(model: String, tensor: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(model)/\(tensor)".utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
