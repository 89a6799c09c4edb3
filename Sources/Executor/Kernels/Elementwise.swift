import Foundation

/// Element-wise and normalisation kernels. Each borrows its buffers for the call.
enum ElementwiseKernel {
    /// Unary functions applied word by word.
    enum Unary: Hashable {
        case relu, leakyRelu(Float), clip(Float, Float), sigmoid, hardSigmoid(Float, Float), hardSwish

        @inline(__always) func apply(_ x: Float) -> Float {
            switch self {
            case .relu: return max(x, 0)
            case .leakyRelu(let a): return x >= 0 ? x : a * x
            case .clip(let lo, let hi): return min(max(x, lo), hi)
            case .sigmoid: return 1 / (1 + exp(-x))
            case .hardSigmoid(let a, let b): return max(0, min(1, a * x + b))
            case .hardSwish: return x * min(max(x + 3, 0), 6) / 6
            }
        }
    }

    static func unary(_ f: Unary, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        let n = x.count
        let ranges = splitRange(n, parts: n > 1 << 16 ? GEMM.threadCount : 1, quantum: 16)
        parallelFor(ranges.count) { t in
            switch f {
            case .relu: for i in ranges[t] { y[i] = max(x[i], 0) }
            case .clip(let lo, let hi): for i in ranges[t] { y[i] = min(max(x[i], lo), hi) }
            default: for i in ranges[t] { y[i] = f.apply(x[i]) }
            }
        }
    }

    enum Binary: Hashable {
        case add, sub, mul, div
        @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
            switch self {
            case .add: return a + b
            case .sub: return a - b
            case .mul: return a * b
            case .div: return a / b
            }
        }
    }


    /// Row-major strides of `shape` aligned to `rank` axes, 0 where the axis is broadcast.
    static func broadcastStrides(_ shape: [Int], rank: Int, outShape: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: rank - shape.count) + shape
        var strides = Array(repeating: 0, count: rank)
        var step = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 && outShape[axis] != 1 ? 0 : step
            step *= padded[axis]
        }
        return strides
    }

    /// out = a ∘ b with broadcasting; `outShape` from `broadcastShape`.
    static func binary(_ f: Binary, a: UnsafeBufferPointer<Float>, aShape: [Int], b: UnsafeBufferPointer<Float>, bShape: [Int],
                       outShape: [Int], out: UnsafeMutableBufferPointer<Float>) {
        let n = out.count
        if a.count == n && b.count == n {
            for i in 0..<n { out[i] = f.apply(a[i], b[i]) }
            return
        }
        let rank = outShape.count
        let sa = broadcastStrides(aShape, rank: rank, outShape: outShape)
        let sb = broadcastStrides(bShape, rank: rank, outShape: outShape)
        guard rank > 0 else { out[0] = f.apply(a[0], b[0]); return }
        // Walk the output row by row along the last axis.
        let inner = outShape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
        var index = Array(repeating: 0, count: rank)
        var offset = 0
        while offset < n {
            var oa = 0, ob = 0
            for axis in 0..<(rank - 1) { oa += index[axis] * sa[axis]; ob += index[axis] * sb[axis] }
            for j in 0..<inner { out[offset + j] = f.apply(a[oa + j * ia], b[ob + j * ib]) }
            offset += inner
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outShape[axis] { break }
                index[axis] = 0; axis -= 1
            }
        }
    }

    /// Inference batch-norm over axis 1: y = (x − mean) / √(var + ε) · scale + bias.
    static func batchNorm(_ x: UnsafeBufferPointer<Float>, shape: [Int], scale: [Float], bias: [Float], mean: [Float], variance: [Float],
                          epsilon: Float, _ y: UnsafeMutableBufferPointer<Float>) {
        let channels = shape.count > 1 ? shape[1] : 1
        let inner = shape.count > 2 ? shape[2...].reduce(1, *) : 1
        let outer = shape.first ?? 1
        for n in 0..<outer {
            for c in 0..<channels {
                let k = scale[c] / (variance[c] + epsilon).squareRoot()
                let shift = bias[c] - mean[c] * k
                let base = (n * channels + c) * inner
                for i in base..<(base + inner) { y[i] = x[i] * k + shift }
            }
        }
    }

    /// ONNX LRN across channels: y = x / (bias + alpha/size · Σ x²)^beta over the window
    /// [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉].
    static func localResponseNorm(_ x: UnsafeBufferPointer<Float>, shape: [Int], size: Int, alpha: Float, beta: Float, bias: Float,
                                  _ y: UnsafeMutableBufferPointer<Float>) {
        let batch = shape[0], channels = shape[1], pixels = shape[2...].reduce(1, *)
        let below = (size - 1) / 2, above = size - 1 - below
        let scale = alpha / Float(size)
        var squares = [Float](repeating: 0, count: pixels)
        for n in 0..<batch {
            // Sliding window over channels: add the channel entering, drop the one leaving.
            for i in 0..<pixels { squares[i] = 0 }
            for c2 in 0..<min(channels, above) {
                let base = (n * channels + c2) * pixels
                for i in 0..<pixels { squares[i] += x[base + i] * x[base + i] }
            }
            for c in 0..<channels {
                let entering = c + above, leaving = c - below - 1
                if entering < channels {
                    let base = (n * channels + entering) * pixels
                    for i in 0..<pixels { squares[i] += x[base + i] * x[base + i] }
                }
                if leaving >= 0 {
                    let base = (n * channels + leaving) * pixels
                    for i in 0..<pixels { squares[i] -= x[base + i] * x[base + i] }
                }
                let base = (n * channels + c) * pixels
                if beta == 0.75 {
                    // AlexNet's and GoogLeNet's β: d^0.75 = √d · ⁴√d, far cheaper than pow.
                    for i in 0..<pixels {
                        let d = bias + scale * max(squares[i], 0)
                        let r = d.squareRoot()
                        y[base + i] = x[base + i] / (r * r.squareRoot())
                    }
                } else {
                    for i in 0..<pixels { y[base + i] = x[base + i] / pow(bias + scale * max(squares[i], 0), beta) }
                }
            }
        }
    }

    /// Softmax along `axis` of `shape` (max-subtracted for stability).
    static func softmax(_ x: UnsafeBufferPointer<Float>, shape: [Int], axis: Int, _ y: UnsafeMutableBufferPointer<Float>) {
        let extent = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *), outer = shape[..<axis].reduce(1, *)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * extent * inner + i
                var m = -Float.infinity
                for k in 0..<extent { m = max(m, x[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<extent { let e = exp(x[base + k * inner] - m); y[base + k * inner] = e; sum += e }
                for k in 0..<extent { y[base + k * inner] /= sum }
            }
        }
    }
}
