import Workloads
@testable import Executor

/// Straightforward loops, one output element at a time, written from the ONNX operator
/// definitions: the oracles the kernels are compared with.
enum Naive {
    static func gemm(m: Int, n: Int, k: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { var s: Double = 0; for p in 0..<k { s += Double(a(i, p)) * Double(b(p, j)) }; c[i * n + j] = Float(s) } }
        return c
    }

    static func conv(_ x: Tensor, _ w: Tensor, _ bias: [Float]?, _ a: ConvAttributes) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, r, s) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let p = (h + a.pads.top + a.pads.bottom - a.dilation.height * (r - 1) - 1) / a.stride.height + 1
        let q = (wd + a.pads.left + a.pads.right - a.dilation.width * (s - 1) - 1) / a.stride.width + 1
        let mg = m / a.groups
        var out = Tensor(shape: [n, m, p, q])
        for b in 0..<n { for f in 0..<m { for y in 0..<p { for xo in 0..<q {
            let g = f / mg
            var acc = Double(bias?[f] ?? 0)
            for ci in 0..<cg { for ky in 0..<r { for kx in 0..<s {
                let iy = y * a.stride.height + ky * a.dilation.height - a.pads.top
                let ix = xo * a.stride.width + kx * a.dilation.width - a.pads.left
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                let cin = g * cg + ci
                acc += Double(x.values[((b * c + cin) * h + iy) * wd + ix]) * Double(w.values[((f * cg + ci) * r + ky) * s + kx])
            } } }
            out.values[((b * m + f) * p + y) * q + xo] = Float(acc)
        } } } }
        return out
    }

    /// ConvTranspose by its definition: each input pixel scatters filter-weighted copies.
    static func convTranspose(_ x: Tensor, _ w: Tensor, _ bias: [Float]?, _ a: ConvAttributes) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (mg, r, s) = (w.shape[1], w.shape[2], w.shape[3])
        let m = mg * a.groups, cg = c / a.groups
        let oh = (h - 1) * a.stride.height - a.pads.top - a.pads.bottom + a.dilation.height * (r - 1) + 1 + a.outputPadding.height
        let ow = (wd - 1) * a.stride.width - a.pads.left - a.pads.right + a.dilation.width * (s - 1) + 1 + a.outputPadding.width
        var acc = [Double](repeating: 0, count: n * m * oh * ow)
        for b in 0..<n { for ci in 0..<c { for iy in 0..<h { for ix in 0..<wd {
            let g = ci / cg
            for fm in 0..<mg { for ky in 0..<r { for kx in 0..<s {
                let oy = iy * a.stride.height + ky * a.dilation.height - a.pads.top
                let ox = ix * a.stride.width + kx * a.dilation.width - a.pads.left
                if oy < 0 || oy >= oh || ox < 0 || ox >= ow { continue }
                let f = g * mg + fm
                acc[((b * m + f) * oh + oy) * ow + ox] += Double(x.values[((b * c + ci) * h + iy) * wd + ix]) * Double(w.values[((ci * mg + fm) * r + ky) * s + kx])
            } } }
        } } } }
        var out = Tensor(shape: [n, m, oh, ow])
        for i in acc.indices { out.values[i] = Float(acc[i]) + (bias?[(i / (oh * ow)) % m] ?? 0) }
        return out
    }

    static func pool(_ x: Tensor, _ a: PoolAttributes, average: Bool) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        func extent(_ i: Int, _ k: Int, _ s: Int, _ pb: Int, _ pa: Int) -> Int {
            let span = Double(i + pb + pa - k) / Double(s)
            var o = Int(a.ceilMode ? span.rounded(.up) : span.rounded(.down)) + 1
            if a.ceilMode && (o - 1) * s >= i + pb { o -= 1 }
            return o
        }
        let p = extent(h, a.kernel.height, a.stride.height, a.pads.top, a.pads.bottom)
        let q = extent(w, a.kernel.width, a.stride.width, a.pads.left, a.pads.right)
        var out = Tensor(shape: [n, c, p, q])
        for plane in 0..<(n * c) { for y in 0..<p { for xo in 0..<q {
            var best = -Float.infinity, sum: Float = 0, valid = 0, padded = 0
            for ky in 0..<a.kernel.height { for kx in 0..<a.kernel.width {
                let iy = y * a.stride.height + ky - a.pads.top, ix = xo * a.stride.width + kx - a.pads.left
                if iy < h + a.pads.bottom && ix < w + a.pads.right { padded += 1 }
                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                let v = x.values[(plane * h + iy) * w + ix]
                best = max(best, v); sum += v; valid += 1
            } }
            out.values[(plane * p + y) * q + xo] = average ? sum / Float(a.countIncludePad ? padded : valid) : best
        } } }
        return out
    }

    /// A deterministic test tensor with a sprinkling of exact zeros.
    static func tensor(_ shape: [Int], seed: Int) -> Tensor {
        var t = Tensor(shape: shape)
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        for i in t.values.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24)
            t.values[i] = u < 0.1 ? 0 : u * 2 - 1
        }
        return t
    }

    /// Largest |a − b| relative to max(1, |b|).
    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "count \(a.count) vs \(b.count)")
        var e: Float = 0
        for (x, y) in zip(a, b) { e = max(e, abs(x - y) / max(1, abs(y))) }
        return e
    }
}
