import Foundation
import Imaging

/// The fixed geometry of OpenCV's default `HOGDescriptor` (Dalal & Triggs, CVPR 2005):
/// 64×128-pixel window, 8×8-pixel cells, 16×16-pixel blocks at an 8-pixel stride,
/// 9 unsigned orientation bins over 0–180°, Gaussian block window σ = 4, L2-Hys (clip 0.2).
public enum HOGGeometry {
    public static let windowWidthPixels = 64
    public static let windowHeightPixels = 128
    public static let cellSizePixels = 8
    public static let blockSizePixels = 16
    public static let blockStridePixels = 8
    public static let bins = 9
    /// Blocks per window: 7 across × 15 down.
    public static let blocksPerWindowX = (windowWidthPixels - blockSizePixels) / blockStridePixels + 1
    public static let blocksPerWindowY = (windowHeightPixels - blockSizePixels) / blockStridePixels + 1
    /// Values per block histogram: 2×2 cells × 9 bins.
    public static let blockHistogramLength = 4 * bins
    /// Values per window descriptor: 7 · 15 · 36 = 3780.
    public static let descriptorLength = blocksPerWindowX * blocksPerWindowY * blockHistogramLength
    /// Gaussian block window σ in pixels: (block width + block height) / 8 = 4.
    public static let blockSigmaPixels: Float = 4
    /// L2-Hys clipping threshold.
    public static let l2HysThreshold: Float = 0.2
}

/// Normalised block histograms of one image (one pyramid level), on the 8-pixel block
/// grid of the padded image: block (`bx`, `by`) covers padded pixels
/// `[8bx, 8bx + 16) × [8by, 8by + 16)`. Block values are in OpenCV's descriptor order
/// (cells x-major: (0,0), (0,1), (1,0), (1,1); bins inner), so the descriptor of the
/// window whose top-left block is (`bx`, `by`) is the concatenation, x outer and y inner,
/// of its 7×15 blocks.
struct HOGBlockMap {
    var blocksX: Int
    var blocksY: Int
    /// `blocksY * blocksX * 36` values plus 16 values of zero slack (SIMD over-read).
    var values: [Float]

    /// The 36 values of block (`bx`, `by`).
    func block(_ bx: Int, _ by: Int) -> ArraySlice<Float> {
        let start = (by * blocksX + bx) * HOGGeometry.blockHistogramLength
        return values[start..<(start + HOGGeometry.blockHistogramLength)]
    }

    /// The 3780-value descriptor of the window whose top-left block is (`bx`, `by`).
    func descriptor(windowBlockX bx: Int, windowBlockY by: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(HOGGeometry.descriptorLength)
        for i in 0..<HOGGeometry.blocksPerWindowX {
            for j in 0..<HOGGeometry.blocksPerWindowY { out += block(bx + i, by + j) }
        }
        return out
    }
}

/// What the feature stages of one level did, for the Trace.
struct HOGFeatureStats {
    var paddedWidth = 0
    var paddedHeight = 0
    var channels = 1
    /// Pixels of the padded image that lie in whole cells (the ones that are binned).
    var binnedPixels = 0
    var cellsX = 0
    var cellsY = 0
    var inputZeroComponents = 0
    var inputComponents = 0
    var zeroMagnitudes = 0
    var zeroBlockValues = 0
    var gradientSeconds = 0.0
    var binningSeconds = 0.0
    var normalisationSeconds = 0.0
}

/// Monotonic time in seconds.
@inline(__always) func hogNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// OpenCV's border rule for HOG gradients (`BORDER_REFLECT_101`): `…2 1 | 0 1 2 … n−1 | n−2 …`.
@inline(__always) func reflect101(_ index: Int, _ length: Int) -> Int {
    if length == 1 { return 0 }
    var p = index
    while p < 0 || p >= length {
        p = p < 0 ? -p : 2 * length - 2 - p
    }
    return p
}

/// The per-pixel weight tables of the cell-histogram kernel.
///
/// OpenCV spreads each pixel of a block over the block's 2×2 cells with weight
/// `g(i) g(j) t_cy(i) t_cx(j)`, where `g(k) = exp(−(k − 8)² / (2σ²))` is the Gaussian block
/// window (k = pixel index inside the block) and `t_c(k) = max(0, 1 − |k + ½ − (4 + 8c)| / 8)`
/// the bilinear spatial weight toward cell `c`. Both factors are separable, so a pixel at
/// offset (u, v) in an 8×8 image cell that sits in half (sx, sy) of a block contributes to
/// that block's cell (cx, cy) with `W[sx,cx](u) · W[sy,cy](v)`, independent of the block.
/// Each image cell therefore keeps 16 partial histograms (one per (sx,cx,sy,cy), lane
/// `(2sx + cx)·4 + 2sy + cy` of a SIMD16), computed once and shared by the four blocks
/// (and all windows) that cover the cell.
enum HOGWeights {
    /// `table[v * 8 + u]`: the 16 lane weights of pixel (u, v) of a cell.
    static let table: [SIMD16<Float>] = {
        let sigma = HOGGeometry.blockSigmaPixels
        let scale: Float = 1 / (sigma * sigma * 2)
        func axis(_ k: Int) -> (gauss: Float, tent0: Float, tent1: Float) {
            let d = Float(k) - 8
            let g = Float(exp(Double(-(d * d) * scale)))
            let t0 = max(0, 1 - abs(Float(k) + 0.5 - 4) / 8)
            let t1 = max(0, 1 - abs(Float(k) + 0.5 - 12) / 8)
            return (g, t0, t1)
        }
        // axisWeight[variant][u] with variant = 2·s + c.
        var axisWeight = [[Float]](repeating: [Float](repeating: 0, count: 8), count: 4)
        for s in 0..<2 {
            for u in 0..<8 {
                let a = axis(u + 8 * s)
                axisWeight[2 * s][u] = a.gauss * a.tent0
                axisWeight[2 * s + 1][u] = a.gauss * a.tent1
            }
        }
        var table: [SIMD16<Float>] = []
        for v in 0..<8 {
            for u in 0..<8 {
                var w = SIMD16<Float>()
                for xv in 0..<4 { for yv in 0..<4 { w[xv * 4 + yv] = axisWeight[xv][u] * axisWeight[yv][v] } }
                table.append(w)
            }
        }
        return table
    }()
}

/// Gradient orientation as OpenCV's `cartToPolar` computes it (the polynomial
/// arctangent of `fastAtan32f`, about 1e-4° accurate), in degrees in [0, 360].
@inline(__always) func hogAtanDegrees(_ y: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> {
    let p1: Float = 0.9997878412794807 * Float(180 / Double.pi)
    let p3: Float = -0.3258083974640975 * Float(180 / Double.pi)
    let p5: Float = 0.1555786518463281 * Float(180 / Double.pi)
    let p7: Float = -0.04432655554792128 * Float(180 / Double.pi)
    let ax = x.replacing(with: -x, where: x .< 0), ay = y.replacing(with: -y, where: y .< 0)
    let xMajor = ax .>= ay
    let num = ax.replacing(with: ay, where: xMajor)
    let den = ay.replacing(with: ax, where: xMajor) + SIMD16(repeating: Float(Double.ulpOfOne))
    let c = num / den
    let c2 = c * c
    var a = (((p7 * c2 + p5) * c2 + p3) * c2 + p1) * c
    a = (90 - a).replacing(with: a, where: xMajor)
    a = a.replacing(with: 180 - a, where: x .< 0)
    a = a.replacing(with: 360 - a, where: y .< 0)
    return a
}

/// Scalar reference of ``hogAtanDegrees(_:_:)`` (tests).
func hogAtanDegreesScalar(_ y: Float, _ x: Float) -> Float {
    hogAtanDegrees(SIMD16(repeating: y), SIMD16(repeating: x))[0]
}

enum HOGFeatureKernel {
    /// `sqrt(i)` for every 8-bit value: OpenCV's gamma correction.
    static let gammaTable: [Float] = (0..<256).map { Float($0).squareRoot() }

    /// Gradients, cell histograms and L2-Hys block normalisation of `image` padded by
    /// `padding` pixels on every side (padded pixels come from `BORDER_REFLECT_101`).
    /// Streams one 8-row band of cells at a time; the block row ending at each band is
    /// normalised as soon as its second cell row is complete.
    static func blockMap(of image: Image<UInt8>, padding: Int, stats: inout HOGFeatureStats) -> HOGBlockMap {
        let cn = image.channelCount
        let pw = image.width + 2 * padding, ph = image.height + 2 * padding
        let ncx = pw / 8, ncy = ph / 8
        stats.paddedWidth = pw; stats.paddedHeight = ph; stats.channels = cn
        stats.cellsX = ncx; stats.cellsY = ncy
        stats.binnedPixels = ncx * ncy * 64
        stats.inputComponents = image.components.count
        stats.inputZeroComponents = image.withUnsafeBufferPointer { p in
            var n = 0
            for v in p where v == 0 { n &+= 1 }
            return n
        }
        let nbx = max(ncx - 1, 0), nby = max(ncy - 1, 0)
        var map = HOGBlockMap(blocksX: nbx, blocksY: nby, values: [Float](repeating: 0, count: nbx * nby * 36 + 16))
        guard nbx > 0 && nby > 0 else { return map }

        let cols = ncx * 8  // columns that are binned
        // xmap[k] = source column of padded column k − 1, for k in 0 ..< cols + 2.
        let xmap = (0..<(cols + 2)).map { reflect101($0 - 1 - padding, image.width) }
        let rowStride = cols + 2 + 16  // + SIMD slack
        // Four cached gamma rows (one plane per channel each), tagged by source row.
        let slotFloats = rowStride * cn
        let gammaRows = UnsafeMutablePointer<Float>.allocate(capacity: 4 * slotFloats)
        gammaRows.initialize(repeating: 0, count: 4 * slotFloats)
        var slotTag = [-1, -1, -1, -1]
        // One band of per-pixel results: weights to the lower and upper bin, lower bin.
        let bandW0 = UnsafeMutablePointer<Float>.allocate(capacity: 8 * (cols + 16))
        let bandW1 = UnsafeMutablePointer<Float>.allocate(capacity: 8 * (cols + 16))
        let bandBin0 = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * (cols + 16))
        let bandBin1 = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * (cols + 16))
        // Partial histograms of two cell rows (previous, current): per cell 4 interleaved
        // sets of 9 SIMD16 (pixel column u & 3 picks the set, so consecutive pixels do not
        // wait on each other's read-modify-write), summed into set 0 when the band is done.
        let accA = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: ncx * 36)
        let accB = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: ncx * 36)
        defer {
            gammaRows.deallocate(); bandW0.deallocate(); bandW1.deallocate(); bandBin0.deallocate(); bandBin1.deallocate()
            accA.deallocate(); accB.deallocate()
        }
        var accPrev = accA, accCur = accB
        let weights = HOGWeights.table

        image.withUnsafeBufferPointer { src in
        gammaTable.withUnsafeBufferPointer { lut in
        xmap.withUnsafeBufferPointer { xm in
        weights.withUnsafeBufferPointer { wtab in
        map.values.withUnsafeMutableBufferPointer { out in
            let srcRowLength = image.width * cn

            func gammaRow(_ sy: Int) -> UnsafeMutablePointer<Float> {
                let slot = sy & 3
                let row = gammaRows + slot * slotFloats
                if slotTag[slot] == sy { return row }
                slotTag[slot] = sy
                let s = src.baseAddress! + sy * srcRowLength
                let l = lut.baseAddress!
                // Columns whose source is in the image without mirroring: direct reads.
                let inner0 = max(0, min(cols + 2, padding + 1))
                let inner1 = max(inner0, min(cols + 2, padding + 1 + image.width))
                if cn == 1 {
                    for k in 0..<inner0 { row[k] = l[Int(s[xm[k]])] }
                    let d = s - (padding + 1)
                    for k in inner0..<inner1 { row[k] = l[Int(d[k])] }
                    for k in inner1..<(cols + 2) { row[k] = l[Int(s[xm[k]])] }
                } else {
                    let r = row, g = row + rowStride, b = row + 2 * rowStride
                    func mirrored(_ k: Int) {
                        let p = s + xm[k] * 3
                        r[k] = l[Int(p[0])]; g[k] = l[Int(p[1])]; b[k] = l[Int(p[2])]
                    }
                    for k in 0..<inner0 { mirrored(k) }
                    let d = s - 3 * (padding + 1)
                    for k in inner0..<inner1 {
                        let p = d + 3 * k
                        r[k] = l[Int(p[0])]; g[k] = l[Int(p[1])]; b[k] = l[Int(p[2])]
                    }
                    for k in inner1..<(cols + 2) { mirrored(k) }
                }
                return row
            }

            var zeroMagnitudes = 0
            var zeroBlockValues = 0
            for cy in 0..<ncy {
                // 1. Gradients of the band's 8 rows.
                var t0 = hogNow()
                for v in 0..<8 {
                    let y = cy * 8 + v
                    let prev = gammaRow(reflect101(y - 1 - padding, image.height))
                    let next = gammaRow(reflect101(y + 1 - padding, image.height))
                    let mid = gammaRow(reflect101(y - padding, image.height))
                    let o = v * (cols + 16)
                    zeroMagnitudes &+= gradientRow(
                        prev: prev, mid: mid, next: next, rowStride: rowStride, channels: cn,
                        count: cols, w0: bandW0 + o, w1: bandW1 + o, bin0: bandBin0 + o, bin1: bandBin1 + o)
                }
                var t1 = hogNow()
                stats.gradientSeconds += t1 - t0
                // 2. Cell histograms (16 partial histograms per cell).
                accCur.initialize(repeating: SIMD16<Float>(), count: ncx * 36)
                for v in 0..<8 {
                    let o = v * (cols + 16)
                    let w0 = bandW0 + o, w1 = bandW1 + o, bins0 = bandBin0 + o, bins1 = bandBin1 + o
                    let wrow = wtab.baseAddress! + v * 8
                    for cx in 0..<ncx {
                        let cell = accCur + cx * 36
                        for u in 0..<8 {
                            let acc = cell + (u & 3) * 9
                            let x = cx * 8 + u
                            let b0 = Int(bins0[x]), b1 = Int(bins1[x])
                            let w = wrow[u]
                            acc[b0] = acc[b0] + w * w0[x]
                            acc[b1] = acc[b1] + w * w1[x]
                        }
                    }
                }
                for cx in 0..<ncx {
                    let cell = accCur + cx * 36
                    for b in 0..<9 { cell[b] = (cell[b] + cell[9 + b]) + (cell[18 + b] + cell[27 + b]) }
                }
                t0 = hogNow()
                stats.binningSeconds += t0 - t1
                // 3. Blocks of the row that ends with this band, L2-Hys normalised.
                if cy >= 1 {
                    let by = cy - 1
                    for bx in 0..<nbx {
                        let dst = out.baseAddress! + (by * nbx + bx) * 36
                        zeroBlockValues &+= assembleBlock(
                            top: accPrev + bx * 36, bottom: accCur + bx * 36, into: dst)
                    }
                }
                t1 = hogNow()
                stats.normalisationSeconds += t1 - t0
                swap(&accPrev, &accCur)
            }
            stats.zeroMagnitudes = zeroMagnitudes
            stats.zeroBlockValues = zeroBlockValues
        }}}}}
        return map
    }

    /// One row of gradients: for each of `count` pixels, the channel with the largest
    /// gradient magnitude (ties keep R over G over B, as OpenCV's BGR scan keeps its
    /// channel 2 first), its magnitude split between the two nearest of 9 orientation bins
    /// (bin centres at 10°, 30°, … 170°). `prev`, `mid`, `next` hold `channels` planes of
    /// `rowStride` gamma values each, index k = padded column k − 1. Returns the number of
    /// zero magnitudes.
    @inline(__always)
    static func gradientRow(
        prev: UnsafeMutablePointer<Float>, mid: UnsafeMutablePointer<Float>, next: UnsafeMutablePointer<Float>,
        rowStride: Int, channels: Int, count: Int,
        w0: UnsafeMutablePointer<Float>, w1: UnsafeMutablePointer<Float>,
        bin0: UnsafeMutablePointer<UInt32>, bin1: UnsafeMutablePointer<UInt32>
    ) -> Int {
        typealias V = SIMD16<Float>
        @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> V {
            UnsafeRawPointer(p).loadUnaligned(as: V.self)
        }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
        }
        let toRadians = Float(Double.pi / 180)
        let angleScale = Float(9 / Double.pi)
        var zeroCount = V()  // exact: counts stay far below 2²⁴ per lane
        var x = 0
        while x < count {
            // Colour: scan B, G, R (OpenCV's BGR channels 0, 1, 2 in its vector path),
            // replacing only on a strictly larger magnitude.
            let first = channels == 3 ? 2 * rowStride : 0
            var dx = load(mid + first + x + 2) - load(mid + first + x)
            var dy = load(next + first + x + 1) - load(prev + first + x + 1)
            var mag2 = dx * dx + dy * dy
            if channels == 3 {
                // G (plane 1), then R (plane 0).
                @inline(__always) func consider(_ o: Int) {
                    let dxc = load(mid + o + x + 2) - load(mid + o + x)
                    let dyc = load(next + o + x + 1) - load(prev + o + x + 1)
                    let m2 = dxc * dxc + dyc * dyc
                    let larger = mag2 .< m2
                    dx.replace(with: dxc, where: larger)
                    dy.replace(with: dyc, where: larger)
                    mag2.replace(with: m2, where: larger)
                }
                consider(rowStride)
                consider(0)
            }
            let mag = mag2.squareRoot()
            let angle = (hogAtanDegrees(dy, dx) * toRadians) * angleScale - 0.5
            let lower = angle.rounded(.down)
            let frac = angle - lower
            var bin = lower
            bin.replace(with: lower + 9, where: lower .< 0)
            bin.replace(with: lower - 9, where: lower .>= 9)
            store(mag * (1 - frac), w0 + x)
            store(mag * frac, w1 + x)
            // Bins are exact small integers: adding 2²³ puts them in the low mantissa bits.
            var upper = bin + 1
            upper.replace(with: 0, where: upper .>= 9)
            UnsafeMutableRawPointer(bin0 + x).storeBytes(of: unsafeBitCast(bin + 8_388_608, to: SIMD16<UInt32>.self) & 15, as: SIMD16<UInt32>.self)
            UnsafeMutableRawPointer(bin1 + x).storeBytes(of: unsafeBitCast(upper + 8_388_608, to: SIMD16<UInt32>.self) & 15, as: SIMD16<UInt32>.self)
            if count - x >= 16 {
                zeroCount += V().replacing(with: 1, where: mag .== 0)
            } else {
                for i in 0..<(count - x) where mag[i] == 0 { zeroCount[0] += 1 }
            }
            x += 16
        }
        return Int(zeroCount.sum())
    }

    /// Sums the 16 partial histograms of the block's four cells into its 2×2×9 histogram
    /// and normalises it as OpenCV does: `v / (‖v‖₂ + 0.1·36)`, clip at 0.2, then
    /// `v / (‖v‖₂ + 10⁻³)`. Returns the number of zero values written.
    @inline(__always)
    static func assembleBlock(
        top: UnsafeMutablePointer<SIMD16<Float>>, bottom: UnsafeMutablePointer<SIMD16<Float>>,
        into dst: UnsafeMutablePointer<Float>
    ) -> Int {
        // Cell (sx, sy) of the block is top[sx*36 + b] (sy = 0) or bottom[sx*36 + b] (sy = 1).
        var sum: Float = 0
        for cxr in 0..<2 {
            for cyr in 0..<2 {
                for b in 0..<9 {
                    let h = top[b][cxr * 4 + cyr]                  // sx = 0, sy = 0
                        + top[36 + b][(2 + cxr) * 4 + cyr]         // sx = 1, sy = 0
                        + bottom[b][cxr * 4 + 2 + cyr]             // sx = 0, sy = 1
                        + bottom[36 + b][(2 + cxr) * 4 + 2 + cyr]  // sx = 1, sy = 1
                    dst[(cxr * 2 + cyr) * 9 + b] = h
                    sum += h * h
                }
            }
        }
        var scale = 1 / (sum.squareRoot() + Float(HOGGeometry.blockHistogramLength) * 0.1)
        sum = 0
        for k in 0..<36 {
            let v = min(dst[k] * scale, HOGGeometry.l2HysThreshold)
            dst[k] = v
            sum += v * v
        }
        scale = 1 / (sum.squareRoot() + 1e-3)
        var zeros = 0
        for k in 0..<36 {
            dst[k] *= scale
            if dst[k] == 0 { zeros &+= 1 }
        }
        return zeros
    }
}
