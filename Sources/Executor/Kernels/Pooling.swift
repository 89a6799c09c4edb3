import Workloads

/// Pooling window geometry over NCHW (ONNX `MaxPool`/`AveragePool` semantics, including
/// `ceil_mode` and `count_include_pad`).
struct PoolGeometry {
    var planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
    var attributes: PoolAttributes

    init(input x: [Int], attributes a: PoolAttributes, node: String) throws {
        guard x.count == 4 else { throw ExecutorError(node: node, reason: "pooling input must be NCHW, got \(x)") }
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
        let ranges = splitRange(g.planes, parts: g.planes * g.outHeight * g.outWidth > 1 << 14 ? GEMM.threadCount : 1, quantum: 1)
        parallelFor(ranges.count) { t in
            for plane in ranges[t] {
                let x = input + plane * g.height * g.width
                let y = output + plane * g.outHeight * g.outWidth
                for p in 0..<g.outHeight {
                    let h0 = p * a.stride.height - a.pads.top
                    let hs = Swift.max(h0, 0), he = Swift.min(h0 + a.kernel.height, g.height)
                    // The padded window (for count_include_pad) stops at the padded edge.
                    let paddedRows = Swift.min(h0 + a.kernel.height, g.height + a.pads.bottom) - h0
                    for q in 0..<g.outWidth {
                        let w0 = q * a.stride.width - a.pads.left
                        let ws = Swift.max(w0, 0), we = Swift.min(w0 + a.kernel.width, g.width)
                        var acc: Float = average ? 0 : -.infinity
                        if hs < he && ws < we {
                            for h in hs..<he {
                                let row = x + h * g.width
                                for w in ws..<we { acc = average ? acc + row[w] : Swift.max(acc, row[w]) }
                            }
                        }
                        if average {
                            let paddedColumns = Swift.min(w0 + a.kernel.width, g.width + a.pads.right) - w0
                            let count = a.countIncludePad ? paddedRows * paddedColumns : Swift.max(he - hs, 0) * Swift.max(we - ws, 0)
                            acc = count > 0 ? acc / Float(count) : 0
                        }
                        y[p * g.outWidth + q] = acc
                    }
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
