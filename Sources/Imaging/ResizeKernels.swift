// Unsafe resize kernels behind Image.resized(width:height:interpolation:). Each one takes
// contiguous interleaved buffers (no row padding) and is tested against OpenCV's output
// and a naive reference in ImagingTests.

enum ResizeKernels {
    /// OpenCV INTER_LINEAR fixed-point weight scale: 2^11 (`INTER_RESIZE_COEF_SCALE`).
    static let coefficientScale: Float = 2048

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

    /// The per-component horizontal taps of OpenCV INTER_LINEAR (8-bit): left component
    /// offset, right component offset, and 11-bit weights (each rounded separately, as
    /// OpenCV's `saturate_cast<short>` does).
    struct FixedTaps {
        var left: [Int32]
        var right: [Int32]
        var weightLeft: [Int32]
        var weightRight: [Int32]
    }

    static func fixedWeights(_ fraction: Float) -> (Int32, Int32) {
        let w0 = ((1 - fraction) * coefficientScale).rounded(.toNearestOrEven)
        let w1 = (fraction * coefficientScale).rounded(.toNearestOrEven)
        return (Int32(w0), Int32(w1))
    }

    /// OpenCV INTER_LINEAR geometry without clamping: floor index and float fraction.
    static func opencvSample(_ d: Int, scale: Double) -> (index: Int, fraction: Float) {
        let f = Float((Double(d) + 0.5) * scale - 0.5)
        let s = Int(f.rounded(.down))
        return (s, f - Float(s))
    }

    static func horizontalTaps(sourceWidth: Int, destinationWidth: Int, channels: Int) -> FixedTaps {
        let scale = 1.0 / (Double(destinationWidth) / Double(sourceWidth))
        let count = destinationWidth * channels
        var taps = FixedTaps(left: .init(repeating: 0, count: count), right: .init(repeating: 0, count: count),
                             weightLeft: .init(repeating: 0, count: count), weightRight: .init(repeating: 0, count: count))
        for dx in 0..<destinationWidth {
            var (sx, fx) = opencvSample(dx, scale: scale)
            var rightEdge = false
            if sx < 0 { sx = 0; fx = 0 }
            if sx >= sourceWidth - 1 { sx = sourceWidth - 1; fx = 0; rightEdge = true }
            let (w0, w1) = fixedWeights(fx)
            for c in 0..<channels {
                let k = dx * channels + c
                taps.left[k] = Int32(sx * channels + c)
                // At the right edge OpenCV multiplies the last pixel by the full weight only.
                taps.right[k] = rightEdge ? taps.left[k] : Int32((sx + 1) * channels + c)
                taps.weightLeft[k] = rightEdge ? 2048 : w0
                taps.weightRight[k] = rightEdge ? 0 : w1
            }
        }
        return taps
    }

    /// Bit-exact OpenCV `INTER_LINEAR` on 8-bit data (resizeGeneric with HResizeLinear and
    /// VResizeLinear<uchar, int, short>): rows interpolated to Int32 at scale 2^11, then
    /// `((b0 * (r0 >> 4)) >> 16 + (b1 * (r1 >> 4)) >> 16 + 2) >> 2`.
    static func linear8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                        _ dst: UnsafeMutablePointer<UInt8>, newWidth: Int, newHeight: Int) {
        let taps = horizontalTaps(sourceWidth: width, destinationWidth: newWidth, channels: channels)
        let rowLength = newWidth * channels
        let srcRowLength = width * channels
        let scaleY = 1.0 / (Double(newHeight) / Double(height))
        var rowA = [Int32](repeating: 0, count: rowLength)
        var rowB = [Int32](repeating: 0, count: rowLength)
        var rowAIndex = -1, rowBIndex = -1
        taps.left.withUnsafeBufferPointer { left in
        taps.right.withUnsafeBufferPointer { right in
        taps.weightLeft.withUnsafeBufferPointer { wl in
        taps.weightRight.withUnsafeBufferPointer { wr in
        rowA.withUnsafeMutableBufferPointer { bufferA in
        rowB.withUnsafeMutableBufferPointer { bufferB in
            func horizontal(_ sy: Int, into out: UnsafeMutablePointer<Int32>) {
                let s = src + sy * srcRowLength
                for k in 0..<rowLength {
                    out[k] = Int32(s[Int(left[k])]) &* wl[k] &+ Int32(s[Int(right[k])]) &* wr[k]
                }
            }
            let a = bufferA.baseAddress!, b = bufferB.baseAddress!
            func obtain(_ y: Int, avoiding other: Int) -> UnsafeMutablePointer<Int32> {
                if rowAIndex == y { return a }
                if rowBIndex == y { return b }
                if rowAIndex != other { horizontal(y, into: a); rowAIndex = y; return a }
                horizontal(y, into: b); rowBIndex = y; return b
            }
            for dy in 0..<newHeight {
                let (sy, fy) = opencvSample(dy, scale: scaleY)
                let (b0, b1) = fixedWeights(fy)
                let y0 = min(max(sy, 0), height - 1), y1 = min(max(sy + 1, 0), height - 1)
                // Keep the two most recent interpolated rows; compute only what is missing.
                let p0 = obtain(y0, avoiding: y1)
                let p1 = obtain(y1, avoiding: y0)
                verticalLinear8(p0, p1, b0, b1, dst + dy * rowLength, count: rowLength)
            }
        }}}}}}
    }

    /// OpenCV's VResizeLinear for 8-bit output, 16 lanes at a time.
    @inline(__always)
    static func verticalLinear8(_ r0: UnsafePointer<Int32>, _ r1: UnsafePointer<Int32>, _ b0: Int32, _ b1: Int32,
                                _ out: UnsafeMutablePointer<UInt8>, count: Int) {
        var k = 0
        let vb0 = SIMD16<Int32>(repeating: b0), vb1 = SIMD16<Int32>(repeating: b1)
        let two = SIMD16<Int32>(repeating: 2)
        while k + 16 <= count {
            let a = UnsafeRawPointer(r0 + k).loadUnaligned(as: SIMD16<Int32>.self)
            let b = UnsafeRawPointer(r1 + k).loadUnaligned(as: SIMD16<Int32>.self)
            let v = (((vb0 &* (a &>> 4)) &>> 16) &+ ((vb1 &* (b &>> 4)) &>> 16) &+ two) &>> 2
            let bytes = SIMD16<UInt8>(truncatingIfNeeded: v)
            UnsafeMutableRawPointer(out + k).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
            k += 16
        }
        while k < count {
            let v = (((b0 &* (r0[k] &>> 4)) &>> 16) &+ ((b1 &* (r1[k] &>> 4)) &>> 16) &+ 2) &>> 2
            out[k] = UInt8(truncatingIfNeeded: v)
            k += 1
        }
    }

    /// One axis of OpenCV's bit-exact linear interpolation (`interpolationLinear` with
    /// `ufixedpoint16` weights, 8 fractional bits): per destination sample the left source
    /// index and the right weight; samples before `first` copy source 0, samples from
    /// `end` on copy the last source sample.
    struct ExactAxis {
        var offset: [Int]
        var weightRight: [UInt32]
        var first: Int
        var end: Int

        init(source: Int, destination: Int) {
            let scale = 1.0 / (Double(destination) / Double(source))
            offset = .init(repeating: 0, count: destination)
            weightRight = .init(repeating: 0, count: destination)
            first = 0
            end = destination
            for d in 0..<destination {
                let f = scale * (Double(d) + 0.5) - 0.5
                let i = Int(f.rounded(.down))
                if i >= 0 && source > 1 {
                    if i < source - 1 {
                        offset[d] = i
                        weightRight[d] = UInt32(((f - Double(i)) * 256).rounded(.toNearestOrEven))
                    } else {
                        offset[d] = source - 1
                        end = min(end, d)
                    }
                } else {
                    first = max(first, d + 1)
                }
            }
        }
    }

    /// Bit-exact OpenCV `INTER_LINEAR_EXACT` on 8-bit data (resize_bitExact): rows
    /// interpolated to 16-bit fixed point (8 fractional bits), then columns to 16 fractional
    /// bits, rounded; rows outside the source copy the edge row rounded to 8 bits.
    static func linearExact8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                             _ dst: UnsafeMutablePointer<UInt8>, newWidth: Int, newHeight: Int) {
        let xAxis = ExactAxis(source: width, destination: newWidth)
        let yAxis = ExactAxis(source: height, destination: newHeight)
        let rowLength = newWidth * channels
        let srcRowLength = width * channels
        var line0 = [UInt32](repeating: 0, count: rowLength)
        var line1 = [UInt32](repeating: 0, count: rowLength)
        func horizontal(_ sy: Int, into out: inout [UInt32]) {
            let s = src + sy * srcRowLength
            var dx = 0
            while dx < min(xAxis.first, newWidth) {
                for c in 0..<channels { out[dx * channels + c] = UInt32(s[c]) << 8 }
                dx += 1
            }
            while dx < xAxis.end {
                let o = xAxis.offset[dx] * channels
                let w1 = xAxis.weightRight[dx], w0 = 256 - w1
                for c in 0..<channels {
                    out[dx * channels + c] = UInt32(s[o + c]) * w0 + UInt32(s[o + channels + c]) * w1
                }
                dx += 1
            }
            let last = (width - 1) * channels
            while dx < newWidth {
                for c in 0..<channels { out[dx * channels + c] = UInt32(s[last + c]) << 8 }
                dx += 1
            }
        }
        func setRow(_ line: [UInt32], _ dy: Int) {
            let d = dst + dy * rowLength
            for k in 0..<rowLength { d[k] = UInt8(truncatingIfNeeded: (line[k] + 128) >> 8) }
        }
        var dy = 0
        if yAxis.first > 0 {
            horizontal(0, into: &line0)
            while dy < min(yAxis.first, newHeight) { setRow(line0, dy); dy += 1 }
        }
        var cached0 = -1, cached1 = -1
        while dy < yAxis.end {
            let sy = yAxis.offset[dy]
            if cached0 != sy {
                if cached1 == sy { swap(&line0, &line1); cached0 = sy; cached1 = -1 }
                else { horizontal(sy, into: &line0); cached0 = sy }
            }
            if cached1 != sy + 1 { horizontal(sy + 1, into: &line1); cached1 = sy + 1 }
            let w1 = yAxis.weightRight[dy], w0 = 256 - w1
            let d = dst + dy * rowLength
            for k in 0..<rowLength {
                d[k] = UInt8(truncatingIfNeeded: (line0[k] * w0 + line1[k] * w1 + 32768) >> 16)
            }
            dy += 1
        }
        if dy < newHeight {
            horizontal(height - 1, into: &line0)
            while dy < newHeight { setRow(line0, dy); dy += 1 }
        }
    }
}
