/// From a graph to the per-operator shapes the energy model prices.

extension OperatorKind {
    public static let sub = OperatorKind("sub", .elementwise)
    public static let div = OperatorKind("div", .elementwise)
    public static let dropout = OperatorKind("dropout", .dataMovement)
}

extension Graph {
    /// One `OperatorShape` per node, in node order, with MACs and words computed from the
    /// inferred tensor shapes.
    ///
    /// - A batch-norm whose input is a convolution's output used by nothing else is folded
    ///   into that convolution (as inference engines do): the convolution is marked
    ///   `foldedBatchNorm` and gains a bias (M words) if it had none, and the batch-norm
    ///   gets no entry of its own.
    /// - Weight inputs (tensors in `weights`) count as weight words; all other inputs as
    ///   input words.
    /// - Non-MAC work is counted in `otherOperations` per output word: ReLU 1, clip/ReLU6
    ///   2, leaky ReLU 2, sigmoid 3 (exp, add, divide), hard-sigmoid 3, hard-swish 4,
    ///   unfolded batch-norm 2 (scale and shift), add/sub/mul/div 1, softmax 3 (exp, sum,
    ///   divide), LRN `size + 3` (squares and sum over the window, scale, power, divide),
    ///   bilinear resize 6 (three lerps), pooling R·S (comparisons or adds over the window);
    ///   data movement (concat, reshape, nearest resize …) 0.
    /// - A fully connected layer fed (through a flatten or reshape) by an N×C×H×W tensor
    ///   is written as the Eyeriss loop nest `C, H = R, W = S` (AlexNet FC6: C 256, R = S = 6).
    /// - `producers` lists the operators whose outputs feed each shape's data inputs (a
    ///   folded batch-norm's output counts as its convolution's); graph inputs add no
    ///   name, so an operator reading only the graph input has `[]`.
    public func operatorShapes() throws -> [OperatorShape] {
        let shapes = try inferShapes()
        var consumers: [String: Int] = [:]
        for node in nodes { for input in node.inputs { consumers[input, default: 0] += 1 } }
        for output in outputs { consumers[output, default: 0] += 1 }
        var firstConsumer: [String: Node] = [:]
        for node in nodes.reversed() { for input in node.inputs { firstConsumer[input] = node } }
        var producer: [String: Node] = [:]
        for node in nodes { for output in node.outputs { producer[output] = node } }

        func shape(_ name: String) -> [Int] { shapes[name] ?? [] }
        func words(_ name: String) -> Int { ShapeRules.elementCount(shape(name)) ?? 0 }

        var result: [OperatorShape] = []
        var folded = Set<String>()  // batch-norm nodes folded into their convolution
        var producingShape: [String: String] = [:]  // tensor → name of the shape that writes it
        for node in nodes {
            if folded.contains(node.name) { continue }
            let dataInputs = node.inputs.filter { !$0.isEmpty && weights[$0] == nil }
            var producers: [String] = []
            for input in dataInputs {
                if let name = producingShape[input], !producers.contains(name) { producers.append(name) }
            }
            let weightInputs = node.inputs.filter { !$0.isEmpty && weights[$0] != nil }
            let weightWords = weightInputs.reduce(0) { $0 + words($1) }
            let inputWords = dataInputs.reduce(0) { $0 + words($1) }
            let output = node.outputs[0]
            let outShape = shape(output)
            let outputWords = words(output)

            switch node.op {
            case .conv(let a), .convTranspose(let a):
                let x = shape(node.inputs[0]), w = shape(node.inputs[1])
                var foldsBatchNorm = false
                if consumers[output] == 1, let next = firstConsumer[output], case .batchNorm = next.op,
                   next.inputs.first == output {
                    foldsBatchNorm = true
                    folded.insert(next.name)
                }
                let hasBias = node.inputs.count > 2 && !node.inputs[2].isEmpty
                let nest = LoopNest(
                    N: x[0], M: outShape[1], C: x[1], H: x[2], W: x[3], P: outShape[2], Q: outShape[3],
                    R: w[2], S: w[3], strideH: a.stride.height, strideW: a.stride.width,
                    dilationH: a.dilation.height, dilationW: a.dilation.width,
                    padTop: a.pads.top, padLeft: a.pads.left, padBottom: a.pads.bottom, padRight: a.pads.right,
                    groups: a.groups)
                if case .conv = node.op {
                    var s = OperatorShape.convolution(name: node.name, loopNest: nest, hasBias: hasBias || foldsBatchNorm, foldedBatchNorm: foldsBatchNorm)
                    s.inputWords = inputWords
                    result.append(s)
                } else {
                    result.append(OperatorShape(
                        name: node.name, kind: .transposedConv, loopNest: nest, macs: nest.transposedConvolutionMACs,
                        weightWords: nest.C * nest.filtersPerGroup * nest.R * nest.S + ((hasBias || foldsBatchNorm) ? nest.M : 0),
                        inputWords: inputWords, outputWords: outputWords, foldedBatchNorm: foldsBatchNorm))
                }
            case .gemm(let transA, let transB, _, _):
                let a = shape(node.inputs[0]), b = shape(node.inputs[1])
                let n = transA ? a[1] : a[0]
                let k = transA ? a[0] : a[1]
                let m = transB ? b[0] : b[1]
                let (c, h, w) = featureLayout(of: node.inputs[0], features: k, producer: producer, shapes: shapes)
                let nest = LoopNest(N: n, M: m, C: c, H: h, W: w, P: 1, Q: 1, R: h, S: w)
                result.append(OperatorShape(
                    name: node.name, kind: .fullyConnected, loopNest: nest, macs: n * m * k,
                    otherOperations: 0, weightWords: weightWords, inputWords: inputWords, outputWords: outputWords))
            case .matMul:
                let a = shape(node.inputs[0]), b = shape(node.inputs[1])
                let k = a.last ?? 1
                let m = b.count >= 2 ? b[b.count - 1] : 1
                let rows = max(1, outputWords / max(m, 1))  // all leading dimensions of the product
                let nest = LoopNest(N: rows, M: m, C: k, H: 1, W: 1, P: 1, Q: 1)
                result.append(OperatorShape(
                    name: node.name, kind: .fullyConnected, loopNest: nest, macs: rows * m * k,
                    weightWords: weightWords, inputWords: inputWords, outputWords: outputWords))
            case .maxPool(let a), .averagePool(let a):
                let x = shape(node.inputs[0])
                let nest = LoopNest(
                    N: x[0], M: x[1], C: x[1], H: x[2], W: x[3], P: outShape[2], Q: outShape[3],
                    R: a.kernel.height, S: a.kernel.width, strideH: a.stride.height, strideW: a.stride.width,
                    padTop: a.pads.top, padLeft: a.pads.left, padBottom: a.pads.bottom, padRight: a.pads.right,
                    groups: x[1])
                let kind: OperatorKind = if case .maxPool = node.op { .maxPool } else { .averagePool }
                result.append(OperatorShape(
                    name: node.name, kind: kind, loopNest: nest, macs: 0,
                    otherOperations: outputWords * a.kernel.height * a.kernel.width,
                    weightWords: 0, inputWords: inputWords, outputWords: outputWords))
            case .globalAveragePool, .globalMaxPool:
                let x = shape(node.inputs[0])
                let spatial = x.dropFirst(2)
                let h = spatial.first ?? 1
                let w = spatial.dropFirst().reduce(1, *)
                let nest = LoopNest(N: x[0], M: x[1], C: x[1], H: h, W: w, P: 1, Q: 1, R: h, S: w, groups: x[1])
                let kind: OperatorKind = if case .globalMaxPool = node.op { .globalMaxPool } else { .globalAveragePool }
                result.append(OperatorShape(
                    name: node.name, kind: kind, loopNest: nest, macs: 0, otherOperations: inputWords,
                    weightWords: 0, inputWords: inputWords, outputWords: outputWords))
            default:
                let (kind, operationsPerOutput) = Graph.elementwiseCost(of: node.op)
                let inShape = dataInputs.first.map(shape) ?? outShape
                let i = Graph.nchw(inShape), o = Graph.nchw(outShape)
                var nest = LoopNest(N: o.n, M: o.c, C: i.c, H: i.h, W: i.w, P: o.h, Q: o.w)
                if case .localResponseNorm(let size, _, _, _) = node.op { nest.R = size }  // the window runs over channels
                result.append(OperatorShape(
                    name: node.name, kind: kind, loopNest: nest, macs: 0,
                    otherOperations: outputWords * operationsPerOutput,
                    weightWords: weightWords, inputWords: inputWords, outputWords: outputWords))
            }
            // Every branch above appended exactly one shape for this node.
            result[result.count - 1].producers = producers
            for output in node.outputs { producingShape[output] = node.name }
            if let next = firstConsumer[output], folded.contains(next.name), next.inputs.first == output {
                for foldedOutput in next.outputs { producingShape[foldedOutput] = node.name }
            }
        }
        return result
    }

    /// Trainable parameters as the papers and torchvision count them: every weight
    /// element except batch-norm running means and variances (statistics, not parameters).
    public var parameterCount: Int {
        var statistics = Set<String>()
        for node in nodes {
            if case .batchNorm = node.op, node.inputs.count == 5 { statistics.insert(node.inputs[3]); statistics.insert(node.inputs[4]) }
        }
        return weights.reduce(0) { $0 + (statistics.contains($1.key) ? 0 : $1.value.elementCount) }
    }

    /// The layout C×H×W behind a flat feature vector of `features` words, when the tensor
    /// is a flatten or reshape of an N×C×H×W tensor; otherwise `features`×1×1.
    private func featureLayout(of tensor: String, features: Int, producer: [String: Node], shapes: [String: [Int]]) -> (Int, Int, Int) {
        var name = tensor
        // Follow copies (dropout, identity) and one flatten/reshape back to a 4-D tensor.
        for _ in 0..<4 {
            guard let node = producer[name] else { break }
            switch node.op {
            case .flatten, .reshape, .dropout, .identity:
                name = node.inputs[0]
                if let s = shapes[name], s.count == 4, s[1] * s[2] * s[3] == features { return (s[1], s[2], s[3]) }
            default:
                return (features, 1, 1)
            }
        }
        return (features, 1, 1)
    }

    /// A shape of any rank seen as N×C×H×W: rank 4 as is, lower ranks padded with 1s on
    /// the right, higher ranks with the trailing dimensions folded into W.
    static func nchw(_ s: [Int]) -> (n: Int, c: Int, h: Int, w: Int) {
        switch s.count {
        case 0: (1, 1, 1, 1)
        case 1: (1, s[0], 1, 1)
        case 2: (s[0], s[1], 1, 1)
        case 3: (s[0], s[1], s[2], 1)
        default: (s[0], s[1], s[2], s[3...].reduce(1, *))
        }
    }

    /// Kind and operations per output word of the operators priced per element.
    static func elementwiseCost(of op: Op) -> (OperatorKind, Int) {
        switch op {
        case .relu: (.relu, 1)
        case .clip(let lo, let hi): (lo == 0 && hi == 6) ? (.relu6, 2) : (.clip, 2)
        case .leakyRelu: (.leakyRelu, 2)
        case .sigmoid: (.sigmoid, 3)
        case .hardSigmoid: (.hardSigmoid, 3)
        case .hardSwish: (.hardSwish, 4)
        case .batchNorm: (.batchNorm, 2)
        case .localResponseNorm(let size, _, _, _): (.localResponseNorm, size + 3)
        case .add: (.add, 1)
        case .sub: (.sub, 1)
        case .mul: (.mul, 1)
        case .div: (.div, 1)
        case .softmax: (.softmax, 3)
        case .concat: (.concat, 0)
        case .resize(let mode, _, _): mode == .nearest ? (.upsampleNearest, 0) : (.upsampleBilinear, 6)
        case .reshape: (.reshape, 0)
        case .flatten: (.flatten, 0)
        case .transpose: (.transpose, 0)
        case .pad: (.pad, 0)
        case .dropout: (.dropout, 0)
        case .identity: (.identity, 0)
        case .conv, .convTranspose, .gemm, .matMul, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool:
            (.identity, 0)  // not reached: priced by their own loop nests above
        }
    }
}
