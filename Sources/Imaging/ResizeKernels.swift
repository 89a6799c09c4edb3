// Resize kernels behind Image.resized(width:height:interpolation:): the geometry and
// fixed-point weights of OpenCV's two 8-bit bilinear resizers, and the row loop that
// caches horizontally interpolated rows. The per-row arithmetic is in C
// (CCodecs/kernels.c). Tested bit-exact against OpenCV fixtures in ImagingTests.
import CCodecs

enum ResizeKernels {
    /// Exact 2× reduction: each output component is the rounded mean of a 2×2 block,
    /// `(a + b + c + d + 2) >> 2` (OpenCV's INTER_AREA fast path).
    static func halve8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                       _ dst: UnsafeMutablePointer<UInt8>) {
        let outWidth = width / 2, outHeight = height / 2
        let srcRow = width * channels, dstRow = outWidth * channels
        for y in 0..<outHeight {
            let s0 = src + 2 * y * srcRow, s1 = s0 + srcRow
            let d = dst + y * dstRow
            for x in 0..<outWidth {
                for c in 0..<channels {
                    let i = 2 * x * channels + c
                    let sum = UInt16(s0[i]) &+ UInt16(s0[i + channels]) &+ UInt16(s1[i]) &+ UInt16(s1[i + channels]) &+ 2
                    d[x * channels + c] = UInt8(truncatingIfNeeded: sum >> 2)
                }
            }
        }
    }

    /// Horizontal taps of one resize: per output component the left and right source
    /// component offsets and the two weights packed as (w0 | w1 << 16).
    struct HorizontalTaps {
        var left: [Int32]
        var right: [Int32]
        var weights: [Int32]
        /// One channel and right == left + 1 everywhere: the gather kernel applies.
        var adjacent: Bool
        /// Per block of 16 outputs the smallest left offset, or −1 when the block spans 64
        /// source bytes or more (see cc_hline_linear_c1 / _cn).
        var blockBase: [Int32] = []
        /// Per block, 32 byte-permute indices (left, right) relative to its base.
        var blockPermute: [UInt8] = []

        /// Builds taps from per-pixel (left pixel, w0, w1), normalising edge taps so that,
        /// for one channel and width ≥ 2, the right neighbour is always left + 1 (a tap
        /// "w·s[last]" becomes "0·s[last−1] + w·s[last]", the same value).
        init(pixels: [(offset: Int, w0: Int32, w1: Int32)], sourceWidth: Int, channels: Int) {
            let count = pixels.count * channels
            left = .init(repeating: 0, count: count)
            right = .init(repeating: 0, count: count)
            weights = .init(repeating: 0, count: count)
            adjacent = channels == 1 && sourceWidth >= 2
            for (d, tap) in pixels.enumerated() {
                var offset = tap.offset, w0 = tap.w0, w1 = tap.w1
                var rightOffset = min(offset + 1, sourceWidth - 1)
                if offset == sourceWidth - 1 {
                    precondition(w1 == 0, "a tap on the last pixel has no right weight")
                    if sourceWidth >= 2 { offset = sourceWidth - 2; rightOffset = sourceWidth - 1; w1 = w0; w0 = 0 }
                }
                for c in 0..<channels {
                    let k = d * channels + c
                    left[k] = Int32(offset * channels + c)
                    right[k] = Int32(rightOffset * channels + c)
                    weights[k] = (w0 & 0xFFFF) | (w1 << 16)
                }
            }
            // Blocks of 16 outputs whose source bytes lie within 64 of the block's smallest
            // offset: one load and one byte permute per block (cc_hline_linear_*).
            let blocks = count / 16
            blockBase = .init(repeating: -1, count: blocks)
            blockPermute = .init(repeating: 0, count: blocks * 32)
            for block in 0..<blocks {
                let range = (16 * block)..<(16 * block + 16)
                let base = left[range].min()!
                guard right[range].max()! - base < 64 else { continue }
                blockBase[block] = base
                for (j, k) in range.enumerated() {
                    blockPermute[32 * block + 2 * j] = UInt8(left[k] - base)
                    blockPermute[32 * block + 2 * j + 1] = UInt8(right[k] - base)
                }
            }
        }

        func apply(_ row: UnsafePointer<UInt8>, sourceWidth: Int, channels: Int, into out: UnsafeMutablePointer<Int32>) {
            left.withUnsafeBufferPointer { l in
            right.withUnsafeBufferPointer { r in
            weights.withUnsafeBufferPointer { w in
            blockBase.withUnsafeBufferPointer { base in
            blockPermute.withUnsafeBufferPointer { permute in
                if adjacent {
                    cc_hline_linear_c1(row, Int32(sourceWidth), l.baseAddress, w.baseAddress,
                                       base.baseAddress, permute.baseAddress, out, Int32(l.count))
                } else {
                    cc_hline_linear_cn(row, Int32(sourceWidth * channels), l.baseAddress, r.baseAddress, w.baseAddress,
                                       base.baseAddress, permute.baseAddress, out, Int32(l.count))
                }
            }}}}}
        }
    }

    /// How one output row is made from (at most) two interpolated source rows.
    struct VerticalTap {
        enum Kind { case linear, exact, exactCopy }
        var kind: Kind
        var row0: Int
        var row1: Int
        var w0: Int32
        var w1: Int32
    }

    // MARK: - OpenCV INTER_LINEAR (resizeGeneric, HResizeLinear / VResizeLinear<uchar, int, short>)

    /// `saturate_cast<short>(v * 2048)`: round half to even.
    static func fixed11(_ value: Float) -> Int32 { Int32((value * 2048).rounded(.toNearestOrEven)) }

    /// OpenCV INTER_LINEAR sample position: `fx = (float)((d + 0.5) * scale - 0.5)`, floor, fraction.
    static func opencvSample(_ d: Int, scale: Double) -> (index: Int, fraction: Float) {
        let f = Float((Double(d) + 0.5) * scale - 0.5)
        let s = Int(f.rounded(.down))
        return (s, f - Float(s))
    }

    static func linearTaps(source: Int, destination: Int, channels: Int) -> HorizontalTaps {
        let scale = 1.0 / (Double(destination) / Double(source))
        let pixels = (0..<destination).map { dx -> (offset: Int, w0: Int32, w1: Int32) in
            var (sx, fx) = opencvSample(dx, scale: scale)
            if sx < 0 { sx = 0; fx = 0 }
            if sx >= source - 1 { return (source - 1, 2048, 0) }
            return (sx, fixed11(1 - fx), fixed11(fx))
        }
        return HorizontalTaps(pixels: pixels, sourceWidth: source, channels: channels)
    }

    /// Rows are clamped but the fraction is kept (OpenCV clamps only the row index).
    static func linearRows(source: Int, destination: Int) -> [VerticalTap] {
        let scale = 1.0 / (Double(destination) / Double(source))
        return (0..<destination).map { dy in
            let (sy, fy) = opencvSample(dy, scale: scale)
            return VerticalTap(kind: .linear, row0: min(max(sy, 0), source - 1), row1: min(max(sy + 1, 0), source - 1),
                               w0: fixed11(1 - fy), w1: fixed11(fy))
        }
    }

    // MARK: - OpenCV INTER_LINEAR_EXACT (resize_bitExact, interpolationLinear, ufixedpoint16)

    /// One axis: per destination sample, the left source index and 8-bit weights;
    /// `before` = samples left of the source (copy sample 0), `after` = right of it.
    static func exactAxis(source: Int, destination: Int) -> (taps: [(offset: Int, w0: Int32, w1: Int32)], first: Int, end: Int) {
        let scale = 1.0 / (Double(destination) / Double(source))
        var taps: [(offset: Int, w0: Int32, w1: Int32)] = []
        var first = 0, end = destination
        for d in 0..<destination {
            let f = scale * (Double(d) + 0.5) - 0.5
            let i = Int(f.rounded(.down))
            if i >= 0 && source > 1 {
                if i < source - 1 {
                    let w1 = Int32(((f - Double(i)) * 256).rounded(.toNearestOrEven))
                    taps.append((i, 256 - w1, w1))
                    continue
                }
                end = min(end, d)
            } else {
                first = max(first, d + 1)
            }
            taps.append((0, 256, 0))  // replaced below
        }
        for d in 0..<destination {
            if d < first { taps[d] = (0, 256, 0) } else if d >= end { taps[d] = (source - 1, 256, 0) }
        }
        return (taps, first, end)
    }

    static func exactRows(source: Int, destination: Int) -> [VerticalTap] {
        let axis = exactAxis(source: source, destination: destination)
        return (0..<destination).map { dy in
            if dy < axis.first { return VerticalTap(kind: .exactCopy, row0: 0, row1: 0, w0: 256, w1: 0) }
            if dy >= axis.end { return VerticalTap(kind: .exactCopy, row0: source - 1, row1: source - 1, w0: 256, w1: 0) }
            let tap = axis.taps[dy]
            return VerticalTap(kind: .exact, row0: tap.offset, row1: tap.offset + 1, w0: tap.w0, w1: tap.w1)
        }
    }

    // MARK: - The row loop

    /// Resizes with the given taps, keeping the two most recent interpolated rows.
    static func resize(_ src: UnsafePointer<UInt8>, width: Int, channels: Int, horizontal: HorizontalTaps,
                       vertical: [VerticalTap], _ dst: UnsafeMutablePointer<UInt8>, newWidth: Int) {
        let rowLength = newWidth * channels
        let srcRowLength = width * channels
        let a = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)
        let b = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)
        defer { a.deallocate(); b.deallocate() }
        var rowA = -1, rowB = -1
        func obtain(_ y: Int, avoiding other: Int) -> UnsafeMutablePointer<Int32> {
            if rowA == y { return a }
            if rowB == y { return b }
            if rowA != other {
                horizontal.apply(src + y * srcRowLength, sourceWidth: width, channels: channels, into: a)
                rowA = y
                return a
            }
            horizontal.apply(src + y * srcRowLength, sourceWidth: width, channels: channels, into: b)
            rowB = y
            return b
        }
        for (dy, tap) in vertical.enumerated() {
            let out = dst + dy * rowLength
            let p0 = obtain(tap.row0, avoiding: tap.row1)
            switch tap.kind {
            case .linear:
                let p1 = obtain(tap.row1, avoiding: tap.row0)
                cc_vline_linear8(p0, p1, tap.w0, tap.w1, out, Int32(rowLength))
            case .exact:
                let p1 = obtain(tap.row1, avoiding: tap.row0)
                cc_vline_exact8(p0, p1, UInt32(tap.w0), UInt32(tap.w1), out, Int32(rowLength))
            case .exactCopy:
                cc_vline_exact8_copy(p0, out, Int32(rowLength))
            }
        }
    }

    /// Bit-exact OpenCV `INTER_LINEAR` on 8-bit data: rows interpolated to Int32 at scale
    /// 2^11, then `((b0 * (r0 >> 4)) >> 16 + (b1 * (r1 >> 4)) >> 16 + 2) >> 2`.
    static func linear8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                        _ dst: UnsafeMutablePointer<UInt8>, newWidth: Int, newHeight: Int) {
        resize(src, width: width, channels: channels,
               horizontal: linearTaps(source: width, destination: newWidth, channels: channels),
               vertical: linearRows(source: height, destination: newHeight), dst, newWidth: newWidth)
    }

    /// Bit-exact OpenCV `INTER_LINEAR_EXACT` on 8-bit data: rows interpolated to 8.8 fixed
    /// point, columns to 16.16, rounded; rows outside the source copy the edge row rounded.
    static func linearExact8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                             _ dst: UnsafeMutablePointer<UInt8>, newWidth: Int, newHeight: Int) {
        let axis = exactAxis(source: width, destination: newWidth)
        resize(src, width: width, channels: channels,
               horizontal: HorizontalTaps(pixels: axis.taps, sourceWidth: width, channels: channels),
               vertical: exactRows(source: height, destination: newHeight), dst, newWidth: newWidth)
    }
}
