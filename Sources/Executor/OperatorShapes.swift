import Workloads

/// The `OperatorShape` of an executed step, derived from the tensors it actually read
/// and wrote (so the trace describes what ran: folded batch-norms and fused activations
/// included).
///
/// Counting conventions for `otherOperations` (non-MAC arithmetic), per output word:
/// ReLU, clip, leaky ReLU, add, sub, mul, div 1; hard-sigmoid 3; sigmoid 4 (negate, exp,
/// add, divide); hard-swish 5; softmax 3 (exp, sum, divide); unfolded batch-norm 2; LRN
/// size + 3; a fused activation 1; pooling R·S per output (compares or adds).
enum OperatorShapes {
    /// (N, C, H, W) of a tensor shape: rank 4 as is, lower ranks padded with 1s, higher
    /// ranks fold the trailing axes into W.
    static func nchw(_ s: [Int]) -> (Int, Int, Int, Int) {
        switch s.count {
        case 0: return (1, 1, 1, 1)
        case 1: return (1, s[0], 1, 1)
        case 2: return (s[0], s[1], 1, 1)
        case 3: return (s[0], s[1], s[2], 1)
        default: return (s[0], s[1], s[2], s[3...].reduce(1, *))
        }
    }

    static func shape(of step: InferenceSession.Step, operands: [Tensor], output: Tensor) throws -> OperatorShape {
        var activationWords = 0, constantWords = 0
        for (operand, t) in zip(step.operands, operands) {
            if case .activation = operand { activationWords += t.elementCount } else { constantWords += t.elementCount }
        }
        let fused = step.activation.traceName
        let fusedOps = step.activation == .none ? 0 : output.elementCount
        let x = operands.first?.shape ?? []
        switch step.op {
        case .conv(let a):
            let g = try ConvGeometry(input: x, filter: operands[1].shape, attributes: a, node: step.name)
            let nest = LoopNest(N: g.batch, M: g.outChannels, C: g.inChannels, H: g.height, W: g.width, P: g.outHeight, Q: g.outWidth,
                                R: g.kernelHeight, S: g.kernelWidth, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH,
                                dilationW: g.dilationW, padTop: g.padTop, padLeft: g.padLeft, padBottom: g.padBottom, padRight: g.padRight,
                                groups: g.groups)
            var shape = OperatorShape.convolution(name: step.name, loopNest: nest, hasBias: operands.count > 2,
                                                  foldedBatchNorm: step.foldedBatchNorm, fusedActivation: fused)
            shape.otherOperations = fusedOps
            return shape
        case .convTranspose(let a):
            let (n, c, h, w) = nchw(x)
            let (_, m, p, q) = nchw(output.shape)
            let nest = LoopNest(N: n, M: m, C: c, H: h, W: w, P: p, Q: q, R: a.kernel.height, S: a.kernel.width,
                                strideH: a.stride.height, strideW: a.stride.width, dilationH: a.dilation.height, dilationW: a.dilation.width,
                                padTop: a.pads.top, padLeft: a.pads.left, padBottom: a.pads.bottom, padRight: a.pads.right, groups: a.groups)
            // Every input word meets every (M/groups)·R·S filter tap once.
            let macs = n * c * h * w * (m / max(a.groups, 1)) * a.kernel.height * a.kernel.width
            return OperatorShape(name: step.name, kind: .transposedConv, loopNest: nest, macs: macs, weightWords: constantWords,
                                 inputWords: activationWords, outputWords: output.elementCount)
        case .gemm, .matMul:
            var transA = false
            if case .gemm(let t, _, _, _) = step.op { transA = t }
            let k = transA ? x[0] : (x.last ?? 1)
            let m = output.shape.last ?? 1
            let rows = output.elementCount / max(m, 1)
            var shape = OperatorShape.fullyConnected(name: step.name, batch: rows, inputChannels: k, outputFeatures: m, hasBias: false, fusedActivation: fused)
            shape.weightWords = constantWords
            shape.inputWords = activationWords
            shape.otherOperations = fusedOps
            return shape
        default:
            break
        }
        let (n, c, h, w) = nchw(x)
        let (_, oc, p, q) = nchw(output.shape)
        var nest = LoopNest(N: n, M: oc, C: c, H: h, W: w, P: p, Q: q)
        let kind: OperatorKind
        var ops = 0
        let words = output.elementCount
        switch step.op {
        case .maxPool(let a), .averagePool(let a):
            if case .maxPool = step.op { kind = .maxPool } else { kind = .averagePool }
            nest.R = a.kernel.height; nest.S = a.kernel.width; nest.strideH = a.stride.height; nest.strideW = a.stride.width
            nest.padTop = a.pads.top; nest.padLeft = a.pads.left; nest.padBottom = a.pads.bottom; nest.padRight = a.pads.right
            ops = words * a.kernel.height * a.kernel.width
        case .globalAveragePool, .globalMaxPool:
            if case .globalMaxPool = step.op { kind = .globalMaxPool } else { kind = .globalAveragePool }
            nest.R = h; nest.S = w; ops = n * c * h * w
        case .relu: kind = .relu; ops = words
        case .leakyRelu: kind = .leakyRelu; ops = words
        case .clip(let lo, let hi): kind = lo == 0 && hi == 6 ? .relu6 : .clip; ops = words
        case .sigmoid: kind = .sigmoid; ops = 4 * words
        case .hardSigmoid: kind = .hardSigmoid; ops = 3 * words
        case .hardSwish: kind = .hardSwish; ops = 5 * words
        case .batchNorm: kind = .batchNorm; ops = 2 * words
        case .localResponseNorm(let size, _, _, _): kind = .localResponseNorm; ops = (size + 3) * words
        case .add: kind = .add; ops = words
        case .sub: kind = OperatorKind("sub", .elementwise); ops = words
        case .mul: kind = .mul; ops = words
        case .div: kind = OperatorKind("div", .elementwise); ops = words
        case .softmax: kind = .softmax; ops = 3 * words
        case .concat: kind = .concat
        case .resize(let mode, _, _): kind = mode == .nearest ? .upsampleNearest : .upsampleBilinear; ops = mode == .nearest ? 0 : 3 * words
        case .reshape: kind = .reshape
        case .flatten: kind = .flatten
        case .transpose: kind = .transpose
        case .pad: kind = .pad
        case .dropout, .identity: kind = .identity
        case .conv, .convTranspose, .gemm, .matMul: fatalError("handled above")
        }
        return OperatorShape(name: step.name, kind: kind, loopNest: nest, macs: 0, otherOperations: ops, weightWords: constantWords,
                             inputWords: activationWords, outputWords: words)
    }
}
