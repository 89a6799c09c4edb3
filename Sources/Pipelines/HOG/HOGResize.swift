/// The bilinear resize `HOGDescriptor::detectMultiScale` uses for each pyramid level:
/// OpenCV's bit-exact `INTER_LINEAR_EXACT` for 8-bit images, which is a different
/// rounding from `INTER_LINEAR` (so the level images, and hence the scores, agree with
/// OpenCV's to the last bit).
///
/// Per axis, destination coordinate `d` samples source position
/// `f = (d + 0.5) · (srcSize / dstSize) − 0.5` (IEEE double); with `i = ⌊f⌋`, the two
/// taps `i`, `i + 1` get weights `256 − c` and `c = round_half_even((f − i) · 256)`
/// (8 fractional bits). Positions left of the first pixel (`f < 0`) take pixel 0 alone,
/// positions at or beyond the last pixel take the last pixel alone. The horizontal pass
/// keeps 8 fractional bits exactly; rows in the vertical border take the horizontal
/// result rounded half up (`(h + 128) >> 8`), inner rows `(c0·h0 + c1·h1 + 2¹⁵) >> 16`.
enum HOGResize {
    /// Per-axis taps: source index and 8-bit-fraction weights of the two taps.
    struct Taps {
        var index: [Int32]
        var weight0: [Int32]
        var weight1: [Int32]
        /// True where only `index` is used (weight0 = 256, weight1 = 0, index + 1 not read).
        var single: [Bool]
    }

    static func taps(source: Int, destination: Int) -> Taps {
        let scale = 1.0 / (Double(destination) / Double(source))
        var taps = Taps(index: [], weight0: [], weight1: [], single: [])
        taps.index.reserveCapacity(destination)
        for d in 0..<destination {
            let f = scale * (Double(d) + 0.5) - 0.5
            let i = Int(f.rounded(.down))
            if i >= 0 && source > 1 && i < source - 1 {
                let c = Int32(((f - Double(i)) * 256).rounded(.toNearestOrEven))
                taps.index.append(Int32(i)); taps.weight0.append(256 - c); taps.weight1.append(c)
                taps.single.append(false)
            } else {
                let edge = (i >= 0 && source > 1) ? source - 1 : 0
                taps.index.append(Int32(edge)); taps.weight0.append(256); taps.weight1.append(0)
                taps.single.append(true)
            }
        }
        return taps
    }

    /// Resizes `image` to `width`×`height` (both ≥ 1) with OpenCV's `INTER_LINEAR_EXACT`.
    static func resize(_ image: HOGRaster, width: Int, height: Int) -> HOGRaster {
        if width == image.width && height == image.height { return image }
        let cn = image.channels
        let xt = taps(source: image.width, destination: width)
        let yt = taps(source: image.height, destination: height)
        // Horizontal taps expanded per component so the inner loop is channel-free.
        let rowLength = width * cn
        var hIndex = [Int32](repeating: 0, count: rowLength)
        var hIndex1 = [Int32](repeating: 0, count: rowLength)
        var hW0 = [Int32](repeating: 0, count: rowLength)
        var hW1 = [Int32](repeating: 0, count: rowLength)
        for x in 0..<width {
            for c in 0..<cn {
                let k = x * cn + c
                hIndex[k] = xt.index[x] * Int32(cn) + Int32(c)
                hIndex1[k] = xt.single[x] ? hIndex[k] : hIndex[k] + Int32(cn)
                hW0[k] = xt.weight0[x]; hW1[k] = xt.weight1[x]
            }
        }
        var out = [UInt8](repeating: 0, count: rowLength * height)
        // Two horizontally resampled source rows, cached by source row index.
        var lineA = [Int32](repeating: 0, count: rowLength), lineB = lineA
        var rowA = -1, rowB = -1
        image.pixels.withUnsafeBufferPointer { src in
            hIndex.withUnsafeBufferPointer { hi in
            hIndex1.withUnsafeBufferPointer { hi1 in
            hW0.withUnsafeBufferPointer { w0 in
            hW1.withUnsafeBufferPointer { w1 in
            out.withUnsafeMutableBufferPointer { dst in
                let srcRowLength = image.width * cn
                func horizontal(_ sy: Int, into line: UnsafeMutablePointer<Int32>) {
                    let s = src.baseAddress! + sy * srcRowLength
                    for k in 0..<rowLength {
                        line[k] = Int32(s[Int(hi[k])]) &* w0[k] &+ Int32(s[Int(hi1[k])]) &* w1[k]
                    }
                }
                for y in 0..<height {
                    let sy0 = Int(yt.index[y])
                    let sy1 = yt.single[y] ? sy0 : sy0 + 1
                    // Keep lineA = row sy0 and lineB = row sy1, reusing what is cached.
                    if rowA != sy0 {
                        if rowB == sy0 { swap(&lineA, &lineB); swap(&rowA, &rowB) } else {
                            lineA.withUnsafeMutableBufferPointer { horizontal(sy0, into: $0.baseAddress!) }
                            rowA = sy0
                        }
                    }
                    let d = dst.baseAddress! + y * rowLength
                    if yt.single[y] {
                        lineA.withUnsafeBufferPointer { a in
                            for k in 0..<rowLength { d[k] = UInt8(truncatingIfNeeded: (a[k] &+ 128) >> 8) }
                        }
                        continue
                    }
                    if rowB != sy1 {
                        lineB.withUnsafeMutableBufferPointer { horizontal(sy1, into: $0.baseAddress!) }
                        rowB = sy1
                    }
                    let c0 = yt.weight0[y], c1 = yt.weight1[y]
                    lineA.withUnsafeBufferPointer { a in
                        lineB.withUnsafeBufferPointer { b in
                            for k in 0..<rowLength {
                                d[k] = UInt8(truncatingIfNeeded: (a[k] &* c0 &+ b[k] &* c1 &+ 32768) >> 16)
                            }
                        }
                    }
                }
            }}}}}
        }
        return HOGRaster(unchecked: width, height, cn, out)
    }
}
