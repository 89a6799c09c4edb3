import Workloads

/// The executor's operators on safe `Tensor` values: each validates its shapes (throwing an
/// `ExecutorError` naming `node`), allocates its output, and calls a pointer kernel from
/// Kernels/. The graph runner calls these; the tests compare each with a naive reference.
public enum Operators {
    /// ONNX `Conv`: x [N, C, H, W], filter [M, C/groups, R, S], bias [M] → [N, M, P, Q].
    public static func conv(_ x: Tensor, filter: Tensor, bias: Tensor?, attributes: ConvAttributes, activation: FusedActivation = .none,
                            backend: GEMMBackend = .simd, node: String = "conv") throws -> Tensor {
        try conv(x, filter: filter, winogradFilter: nil, packedFilter: nil, bias: bias, attributes: attributes, activation: activation,
                 backend: backend, node: node)
    }

    /// `conv` with the filter's Winograd transform (`WinogradKernel.transformedFilters`) or
    /// its GEMM row panels (`ConvolutionKernel.packedFilter`) computed ahead, as the session
    /// caches them.
    static func conv(_ x: Tensor, filter: Tensor, winogradFilter: Tensor?, packedFilter: Tensor?, bias: Tensor?, attributes: ConvAttributes, activation: FusedActivation,
                     backend: GEMMBackend, node: String) throws -> Tensor {
        let g = try ConvGeometry(input: x.shape, filter: filter.shape, attributes: attributes, node: node)
        if let bias, bias.elementCount != g.outChannels {
            throw ExecutorError(node: node, reason: "bias has \(bias.elementCount) values for \(g.outChannels) filters")
        }
        if backend == .oneDNN {
            // A one-off oneDNN primitive in NCHW (sessions prepare theirs once, in nChw16c).
            let primitive = try OneDNNPrimitive.convolution(g, filter: filter.values, bias: bias?.values, source: .plain, destination: .plain,
                                                            activation: activation, node: node)
            return try Tensor(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth], values: try primitive.run([x.values], node: node))
        }
        return Tensor(uninitializedShape: [g.batch, g.outChannels, g.outHeight, g.outWidth]) { out in
            x.values.withUnsafeBufferPointer { xp in
                filter.values.withUnsafeBufferPointer { wp in
                    withOptionalPointer(bias) { bp in
                        withOptionalPointer(winogradFilter) { up in
                            withOptionalPointer(packedFilter) { pp in
                                ConvolutionKernel.forward(g, input: xp.baseAddress!, filter: wp.baseAddress!, bias: bp, activation: activation,
                                                          backend: backend, output: out.baseAddress!, winogradFilter: up, packedFilter: pp)
                            }
                        }
                    }
                }
            }
        }
    }

    /// ONNX `ConvTranspose`: x [N, C, H, W], filter [C, M/groups, R, S], bias [M] → [N, M, Ho, Wo]
    /// with Ho = (H − 1)·stride − padTop − padBottom + dilation·(R − 1) + 1 + outputPadding.
    public static func convTranspose(_ x: Tensor, filter: Tensor, bias: Tensor?, attributes a: ConvAttributes,
                                     backend: GEMMBackend = .simd, node: String = "convTranspose") throws -> Tensor {
        guard x.rank == 4, filter.rank == 4, x.elementCount > 0, filter.elementCount > 0 else {
            throw ExecutorError(node: node, reason: "ConvTranspose needs non-empty NCHW input and a 4-D filter, got \(x.shape) and \(filter.shape)")
        }
        let groups = a.groups
        guard groups >= 1, filter.shape[0] == x.shape[1], x.shape[1] % groups == 0 else {
            throw ExecutorError(node: node, reason: "filter \(filter.shape) with groups \(groups) does not fit input channels \(x.shape[1])")
        }
        guard filter.shape[2] == a.kernel.height, filter.shape[3] == a.kernel.width else {
            throw ExecutorError(node: node, reason: "filter \(filter.shape) disagrees with kernel \(a.kernel.height)×\(a.kernel.width)")
        }
        let m = filter.shape[1] * groups
        let outH = (x.shape[2] - 1) * a.stride.height - a.pads.top - a.pads.bottom + a.dilation.height * (a.kernel.height - 1) + 1 + a.outputPadding.height
        let outW = (x.shape[3] - 1) * a.stride.width - a.pads.left - a.pads.right + a.dilation.width * (a.kernel.width - 1) + 1 + a.outputPadding.width
        let g = try ConvGeometry(batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3], outChannels: m,
                                 attributes: a, outHeight: outH, outWidth: outW, node: node)
        if let bias, bias.elementCount != m { throw ExecutorError(node: node, reason: "bias has \(bias.elementCount) values for \(m) outputs") }
        return Tensor(uninitializedShape: [g.batch, m, outH, outW]) { out in
            x.values.withUnsafeBufferPointer { xp in
                filter.values.withUnsafeBufferPointer { wp in
                    withOptionalPointer(bias) { bp in
                        ConvolutionKernel.transposed(g, input: xp.baseAddress!, filter: wp.baseAddress!, bias: bp, backend: backend, output: out.baseAddress!)
                    }
                }
            }
        }
    }

    /// ONNX `Gemm`: Y = alpha·op(A)·op(B) + beta·C, A and B 2-D, C broadcast to [N, M].
    public static func gemm(_ a: Tensor, _ b: Tensor, _ c: Tensor?, transA: Bool, transB: Bool, alpha: Float, beta: Float,
                            activation: FusedActivation = .none, backend: GEMMBackend = .simd, node: String = "gemm") throws -> Tensor {
        guard a.rank == 2, b.rank == 2, a.elementCount > 0, b.elementCount > 0 else {
            throw ExecutorError(node: node, reason: "Gemm needs non-empty 2-D operands, got \(a.shape) and \(b.shape)")
        }
        let (n, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, m) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw ExecutorError(node: node, reason: "inner dimensions differ: A \(a.shape) (transA \(transA)), B \(b.shape) (transB \(transB))") }
        var result = Tensor(uninitializedShape: [n, m]) { out in
            a.values.withUnsafeBufferPointer { ap in
                b.values.withUnsafeBufferPointer { bp in
                    GEMM.multiply(backend: backend, m: n, n: m, k: k, alpha: alpha,
                                  a: MatrixView(ap.baseAddress!, ld: a.shape[1], transposed: transA),
                                  b: MatrixView(bp.baseAddress!, ld: b.shape[1], transposed: transB),
                                  beta: 0, c: out.baseAddress!, ldc: m)
                }
            }
        }
        if let c, beta != 0 {
            guard Broadcasting.shape([n, m], c.shape) == [n, m] else {
                throw ExecutorError(node: node, reason: "C of shape \(c.shape) does not broadcast to [\(n), \(m)]")
            }
            let scaled = beta == 1 ? c : Tensor(uninitializedShape: c.shape) { out in for i in 0..<out.count { out[i] = beta * c.values[i] } }
            result = try binary(.add, result, scaled, node: node)
        }
        if activation != .none { for i in result.values.indices { result.values[i] = activation.apply(result.values[i]) } }
        return result
    }

    /// ONNX `MatMul` (NumPy semantics): 1-D operands are promoted; leading axes broadcast.
    public static func matMul(_ a: Tensor, _ b: Tensor, backend: GEMMBackend = .simd, node: String = "matmul") throws -> Tensor {
        guard a.rank >= 1, b.rank >= 1, a.elementCount > 0, b.elementCount > 0 else {
            throw ExecutorError(node: node, reason: "MatMul needs non-empty operands of rank ≥ 1, got \(a.shape) and \(b.shape)")
        }
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let (n, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (kb, m) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        guard k == kb else { throw ExecutorError(node: node, reason: "inner dimensions differ: \(a.shape) × \(b.shape)") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = Broadcasting.shape(aBatch, bBatch) else {
            throw ExecutorError(node: node, reason: "batch axes \(aBatch) and \(bBatch) do not broadcast")
        }
        let count = batch.reduce(1, *)
        let sa = ElementwiseKernel.broadcastStrides(aBatch, rank: batch.count, outShape: batch)
        let sb = ElementwiseKernel.broadcastStrides(bBatch, rank: batch.count, outShape: batch)
        var outShape = batch + [n, m]
        let result = Tensor(uninitializedShape: outShape) { out in
            a.values.withUnsafeBufferPointer { ap in
                b.values.withUnsafeBufferPointer { bp in
                    for index in 0..<count {
                        var rest = index, oa = 0, ob = 0
                        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                            let i = rest % batch[axis]; rest /= batch[axis]
                            oa += i * sa[axis]; ob += i * sb[axis]
                        }
                        GEMM.multiply(backend: backend, m: n, n: m, k: k, a: MatrixView(ap.baseAddress! + oa * n * k, ld: k),
                                      b: MatrixView(bp.baseAddress! + ob * k * m, ld: m), beta: 0, c: out.baseAddress! + index * n * m, ldc: m)
                    }
                }
            }
        }
        if a.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if b.rank == 1 { outShape.removeLast() }
        return try result.reshaped(outShape)
    }

    public static func maxPool(_ x: Tensor, _ attributes: PoolAttributes, node: String = "maxpool") throws -> Tensor {
        let g = try PoolGeometry(input: x.shape, attributes: attributes, node: node)
        return Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outHeight, g.outWidth]) { out in
            x.values.withUnsafeBufferPointer { PoolingKernel.max(g, input: $0.baseAddress!, output: out.baseAddress!) }
        }
    }

    public static func averagePool(_ x: Tensor, _ attributes: PoolAttributes, node: String = "avgpool") throws -> Tensor {
        let g = try PoolGeometry(input: x.shape, attributes: attributes, node: node)
        return Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outHeight, g.outWidth]) { out in
            x.values.withUnsafeBufferPointer { PoolingKernel.average(g, input: $0.baseAddress!, output: out.baseAddress!) }
        }
    }

    /// Global average or max pooling: [N, C, H, W] → [N, C, 1, 1].
    public static func globalPool(_ x: Tensor, average: Bool, node: String = "globalpool") throws -> Tensor {
        guard x.rank >= 3, x.elementCount > 0 else { throw ExecutorError(node: node, reason: "global pooling needs N×C×spatial input, got \(x.shape)") }
        let pixels = x.shape[2...].reduce(1, *)
        return Tensor(uninitializedShape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2)) { out in
            x.values.withUnsafeBufferPointer {
                PoolingKernel.global(planes: x.shape[0] * x.shape[1], pixels: pixels, input: $0.baseAddress!, output: out.baseAddress!, average: average)
            }
        }
    }

    public enum UnaryFunction: Hashable, Sendable {
        case relu, leakyRelu(alpha: Float), clip(min: Float, max: Float), sigmoid, hardSigmoid(alpha: Float, beta: Float), hardSwish
        var kernel: ElementwiseKernel.Unary {
            switch self {
            case .relu: return .relu
            case .leakyRelu(let a): return .leakyRelu(a)
            case .clip(let lo, let hi): return .clip(lo, hi)
            case .sigmoid: return .sigmoid
            case .hardSigmoid(let a, let b): return .hardSigmoid(a, b)
            case .hardSwish: return .hardSwish
            }
        }
    }

    public static func unary(_ f: UnaryFunction, _ x: Tensor) -> Tensor {
        Tensor(uninitializedShape: x.shape) { out in
            x.values.withUnsafeBufferPointer { ElementwiseKernel.unary(f.kernel, $0, out) }
        }
    }

    public enum BinaryFunction: Hashable, Sendable { case add, sub, mul, div }

    /// Element-wise a ∘ b with NumPy broadcasting.
    public static func binary(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor, node: String = "binary") throws -> Tensor {
        guard let shape = Broadcasting.shape(a.shape, b.shape) else {
            throw ExecutorError(node: node, reason: "shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let kernel: ElementwiseKernel.Binary = switch f { case .add: .add; case .sub: .sub; case .mul: .mul; case .div: .div }
        return Tensor(uninitializedShape: shape) { out in
            a.values.withUnsafeBufferPointer { ap in
                b.values.withUnsafeBufferPointer { bp in
                    ElementwiseKernel.binary(kernel, a: ap, aShape: a.shape, b: bp, bShape: b.shape, outShape: shape, out: out)
                }
            }
        }
    }

    /// Inference batch-norm over axis 1.
    public static func batchNorm(_ x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float, node: String = "batchnorm") throws -> Tensor {
        let channels = x.rank > 1 ? x.shape[1] : 1
        for (name, t) in [("scale", scale), ("bias", bias), ("mean", mean), ("variance", variance)] where t.elementCount != channels {
            throw ExecutorError(node: node, reason: "\(name) has \(t.elementCount) values for \(channels) channels")
        }
        return Tensor(uninitializedShape: x.shape) { out in
            x.values.withUnsafeBufferPointer {
                ElementwiseKernel.batchNorm($0, shape: x.shape, scale: scale.values, bias: bias.values, mean: mean.values,
                                            variance: variance.values, epsilon: epsilon, out)
            }
        }
    }

    public static func localResponseNorm(_ x: Tensor, size: Int, alpha: Float, beta: Float, bias: Float, node: String = "lrn") throws -> Tensor {
        guard x.rank >= 3, size >= 1 else { throw ExecutorError(node: node, reason: "LRN needs N×C×spatial input and size ≥ 1, got \(x.shape), size \(size)") }
        return Tensor(uninitializedShape: x.shape) { out in
            x.values.withUnsafeBufferPointer {
                ElementwiseKernel.localResponseNorm($0, shape: x.shape, size: size, alpha: alpha, beta: beta, bias: bias, out)
            }
        }
    }

    public static func softmax(_ x: Tensor, axis: Int, node: String = "softmax") throws -> Tensor {
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0, a < x.rank else { throw ExecutorError(node: node, reason: "softmax axis \(axis) out of range for \(x.shape)") }
        return Tensor(uninitializedShape: x.shape) { out in
            x.values.withUnsafeBufferPointer { ElementwiseKernel.softmax($0, shape: x.shape, axis: a, out) }
        }
    }

    public static func concat(_ parts: [Tensor], axis: Int, node: String = "concat") throws -> Tensor {
        guard let first = parts.first else { throw ExecutorError(node: node, reason: "concat of no tensors") }
        let a = axis < 0 ? axis + first.rank : axis
        guard a >= 0, a < first.rank else { throw ExecutorError(node: node, reason: "concat axis \(axis) out of range for \(first.shape)") }
        for p in parts where p.rank != first.rank || (0..<first.rank).contains(where: { $0 != a && p.shape[$0] != first.shape[$0] }) {
            throw ExecutorError(node: node, reason: "cannot concatenate \(p.shape) with \(first.shape) on axis \(a)")
        }
        var shape = first.shape
        shape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        let outer = first.shape[..<a].reduce(1, *)
        return Tensor(uninitializedShape: shape) { out in
            // Borrow every part's storage for the copy.
            func borrow(_ i: Int, _ acc: [(UnsafePointer<Float>, Int)]) {
                if i == parts.count {
                    DataMovementKernel.concat(acc.map { (pointer: $0.0, chunk: $0.1) }, outer: outer, out: out.baseAddress!)
                    return
                }
                parts[i].values.withUnsafeBufferPointer { p in
                    borrow(i + 1, acc + [(p.baseAddress!, parts[i].elementCount / max(outer, 1))])
                }
            }
            if out.count > 0 { borrow(0, []) }
        }
    }

    /// Resize (upsample) the last two axes by the scale factors; output extent ⌊in · scale⌋.
    public static func resize(_ x: Tensor, mode: ResizeMode, scaleHeight: Float, scaleWidth: Float, node: String = "resize") throws -> Tensor {
        guard x.rank == 4, scaleHeight > 0, scaleWidth > 0 else {
            throw ExecutorError(node: node, reason: "resize needs NCHW input and positive scales, got \(x.shape), \(scaleHeight)×\(scaleWidth)")
        }
        let outH = Int((Float(x.shape[2]) * scaleHeight).rounded(.down)), outW = Int((Float(x.shape[3]) * scaleWidth).rounded(.down))
        guard outH >= 1, outW >= 1, outH * outW <= 1 << 28, x.elementCount > 0 else {
            throw ExecutorError(node: node, reason: "resize of \(x.shape) by \(scaleHeight)×\(scaleWidth) gives an empty or absurd \(outH)×\(outW)")
        }
        return Tensor(uninitializedShape: [x.shape[0], x.shape[1], outH, outW]) { out in
            x.values.withUnsafeBufferPointer {
                DataMovementKernel.resize(mode, planes: x.shape[0] * x.shape[1], height: x.shape[2], width: x.shape[3], outHeight: outH, outWidth: outW,
                                          scaleHeight: scaleHeight, scaleWidth: scaleWidth, input: $0.baseAddress!, output: out.baseAddress!)
            }
        }
    }

    /// ONNX Reshape: 0 copies the input's extent, one −1 is inferred.
    public static func reshape(_ x: Tensor, to target: [Int], node: String = "reshape") throws -> Tensor {
        var shape = target.enumerated().map { $0.element == 0 && $0.offset < x.rank ? x.shape[$0.offset] : $0.element }
        let unknown = shape.indices.filter { shape[$0] == -1 }
        guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else { throw ExecutorError(node: node, reason: "invalid target shape \(target)") }
        if let i = unknown.first {
            let known = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            guard known > 0, x.elementCount % known == 0 else { throw ExecutorError(node: node, reason: "cannot reshape \(x.shape) to \(target)") }
            shape[i] = x.elementCount / known
        }
        guard shape.reduce(1, *) == x.elementCount else { throw ExecutorError(node: node, reason: "cannot reshape \(x.shape) to \(target)") }
        return try x.reshaped(shape)
    }

    public static func flatten(_ x: Tensor, axis: Int, node: String = "flatten") throws -> Tensor {
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0, a <= x.rank else { throw ExecutorError(node: node, reason: "flatten axis \(axis) out of range for \(x.shape)") }
        return try x.reshaped([x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)])
    }

    public static func transpose(_ x: Tensor, perm: [Int], node: String = "transpose") throws -> Tensor {
        let p = perm.isEmpty ? Array((0..<x.rank).reversed()) : perm
        guard p.sorted() == Array(0..<x.rank) else { throw ExecutorError(node: node, reason: "perm \(perm) is not a permutation of \(x.rank) axes") }
        return Tensor(uninitializedShape: p.map { x.shape[$0] }) { out in
            x.values.withUnsafeBufferPointer { DataMovementKernel.transpose($0, shape: x.shape, perm: p, out: out) }
        }
    }

    /// Constant padding with ONNX `pads` = [begins…, ends…].
    public static func pad(_ x: Tensor, pads: [Int], value: Float, node: String = "pad") throws -> Tensor {
        guard pads.count == 2 * x.rank, pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else {
            throw ExecutorError(node: node, reason: "pads \(pads) do not fit rank \(x.rank) (non-negative, begins then ends)")
        }
        let shape = (0..<x.rank).map { x.shape[$0] + pads[$0] + pads[x.rank + $0] }
        return Tensor(uninitializedShape: shape) { out in
            x.values.withUnsafeBufferPointer { DataMovementKernel.pad($0, shape: x.shape, pads: pads, value: value, out: out) }
        }
    }
}

/// Calls `body` with the tensor's base address, or `nil` without a tensor.
func withOptionalPointer<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.values.withUnsafeBufferPointer { body($0.baseAddress) }
}
