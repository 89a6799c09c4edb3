import Workloads

/// Pooling window geometry over NCHW (ONNX `MaxPool`/`AveragePool` semantics, including
/// `ceil_mode` and `count_include_pad`).
struct PoolGeometry {
    var planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
    var attributes: PoolAttributes

    init(input x: [Int], attributes a: PoolAttributes, node: String) throws {
        guard x.count == 4, x.allSatisfy({ $0 >= 1 }) else { throw ExecutorError(node: node, reason: "pooling input must be a non-empty NCHW tensor, got \(x)") }
        guard a.kernel.height >= 1, a.kernel.width >= 1, a.stride.height >= 1, a.stride.width >= 1,
              a.pads.top >= 0, a.pads.left >= 0, a.pads.bottom >= 0, a.pads.right >= 0 else {
            throw ExecutorError(node: node, reason: "invalid pooling attributes")
        }
        planes = x[0] * x[1]; height = x[2]; width = x[3]; attributes = a
        outHeight = PoolGeometry.extent(x[2], a.kernel.height, a.stride.height, a.pads.top, a.pads.bottom, a.ceilMode)
        outWidth = PoolGeometry.extent(x[3], a.kernel.width, a.stride.width, a.pads.left, a.pads.right, a.ceilMode)
        guard outHeight >= 1, outWidth >= 1 else {
            throw ExecutorError(node: node, reason: "the \(a.kernel.height)×\(a.kernel.width) window does not fit the \(x[2])×\(x[3]) input")
        }
    }

    /// Output extent; in ceil mode the last window must start inside the input or its
    /// leading padding (the PyTorch/ONNX rule).
    static func extent(_ input: Int, _ k: Int, _ s: Int, _ before: Int, _ after: Int, _ ceil: Bool) -> Int {
        let span = input + before + after - k
        guard span >= 0 else { return 0 }
        var out = (ceil ? (span + s - 1) / s : span / s) + 1
        if ceil && (out - 1) * s >= input + before { out -= 1 }
        return out
    }
}

enum PoolingKernel {
    static func max(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        window(g, input: input, output: output, average: false)
    }

    static func average(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        window(g, input: input, output: output, average: true)
    }

    private static func window(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, average: Bool) {
        let a = g.attributes
        let (kh, kw, sh, sw) = (a.kernel.height, a.kernel.width, a.stride.height, a.stride.width)
        // Output columns whose window lies inside the input row: no bounds checks there.
        let qFirst = Swift.min(g.outWidth, (a.pads.left + sw - 1) / sw)
        let qEnd = Swift.max(qFirst, Swift.min(g.outWidth, (g.width + a.pads.left - kw) / sw + 1))
        let ranges = splitRange(g.planes, parts: g.planes * g.outHeight * g.outWidth > 1 << 14 ? GEMM.threadCount : 1, quantum: 1)
        parallelFor(ranges.count) { t in
            for plane in ranges[t] {
                let x = input + plane * g.height * g.width
                let y = output + plane * g.outHeight * g.outWidth
                for p in 0..<g.outHeight {
                    let h0 = p * sh - a.pads.top
                    let hs = Swift.max(h0, 0), he = Swift.min(h0 + kh, g.height)
                    let rowsInside = h0 >= 0 && h0 + kh <= g.height
                    // The padded window (for count_include_pad) stops at the padded edge.
                    let paddedRows = Swift.min(h0 + kh, g.height + a.pads.bottom) - h0
                    let target = y + p * g.outWidth
                    @inline(__always) func edge(_ q: Int) {
                        let w0 = q * sw - a.pads.left
                        let ws = Swift.max(w0, 0), we = Swift.min(w0 + kw, g.width)
                        var acc: Float = average ? 0 : -.infinity
                        if hs < he && ws < we {
                            for h in hs..<he {
                                let row = x + h * g.width
                                for w in ws..<we { acc = average ? acc + row[w] : Swift.max(acc, row[w]) }
                            }
                        }
                        if average {
                            let paddedColumns = Swift.min(w0 + kw, g.width + a.pads.right) - w0
                            let count = a.countIncludePad ? paddedRows * paddedColumns : Swift.max(he - hs, 0) * Swift.max(we - ws, 0)
                            acc = count > 0 ? acc / Float(count) : 0
                        }
                        target[q] = acc
                    }
                    guard rowsInside else { for q in 0..<g.outWidth { edge(q) }; continue }
                    for q in 0..<qFirst { edge(q) }
                    let top = x + h0 * g.width - a.pads.left
                    if average {
                        let scale = 1 / Float(kh * kw)
                        for q in qFirst..<qEnd {
                            var acc: Float = 0
                            for r in 0..<kh { let row = top + r * g.width + q * sw; for s in 0..<kw { acc += row[s] } }
                            target[q] = acc * scale
                        }
                    } else if kh == 2 && kw == 2 && sw == 2 {
                        // VGG's 2×2/2: the common case, written out.
                        let r0 = top, r1 = top + g.width
                        for q in qFirst..<qEnd {
                            target[q] = Swift.max(Swift.max(r0[2 * q], r0[2 * q + 1]), Swift.max(r1[2 * q], r1[2 * q + 1]))
                        }
                    } else {
                        for q in qFirst..<qEnd {
                            var acc = -Float.infinity
                            for r in 0..<kh { let row = top + r * g.width + q * sw; for s in 0..<kw { acc = Swift.max(acc, row[s]) } }
                            target[q] = acc
                        }
                    }
                    for q in qEnd..<g.outWidth { edge(q) }
                }
            }
        }
    }

    /// Global average (or max) over each H×W plane.
    static func global(planes: Int, pixels: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, average: Bool) {
        for plane in 0..<planes {
            let x = input + plane * pixels
            if average {
                var sum: Float = 0
                for i in 0..<pixels { sum += x[i] }
                output[plane] = sum / Float(pixels)
            } else {
                var m = -Float.infinity
                for i in 0..<pixels { m = Swift.max(m, x[i]) }
                output[plane] = m
            }
        }
    }
}
