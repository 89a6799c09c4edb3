import Imaging

/// The pyramid resize of `HOGDescriptor::detectMultiScale`: OpenCV's bit-exact
/// `INTER_LINEAR_EXACT` on 8-bit images — the same result as Imaging's
/// `resized(width:height:interpolation: .linearExact)` (the test suite checks it bit for
/// bit), in a pointer kernel about as fast as the rest of a HOG level needs: every level
/// is resampled from the input, so the resize touches ≈ 10× the input's pixels.
///
/// Per axis, destination coordinate `d` samples `f = (d + 0.5) · (src / dst) − 0.5`
/// (IEEE double); with `i = ⌊f⌋` the taps `i`, `i + 1` get 8-bit weights `256 − c`, `c`,
/// `c = round_half_even((f − i) · 256)`; positions before the first pixel or at/after the
/// last take that pixel alone. Horizontal results keep 8 fractional bits; border rows are
/// rounded `(h + 128) >> 8`, inner rows `(c0·h0 + c1·h1 + 2¹⁵) >> 16`.
enum HOGResize {
    static func resize(_ image: Image<UInt8>, width: Int, height: Int) -> Image<UInt8> {
        if width == image.width && height == image.height { return image }
        // OpenCV takes an exact 2× reduction as the 2×2 mean (INTER_AREA): Imaging has it.
        if image.width == 2 * width && image.height == 2 * height {
            return image.resized(width: width, height: height, interpolation: .linearExact)
        }
        let cn = image.channelCount
        let rowLength = width * cn
        let srcRowLength = image.width * cn
        // Horizontal taps per destination component.
        let hIndex0 = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)
        let hIndex1 = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)
        let hWeight0 = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)
        let hWeight1 = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)
        let column = UnsafeMutablePointer<Int32>.allocate(capacity: srcRowLength)
        defer {
            hIndex0.deallocate(); hIndex1.deallocate(); hWeight0.deallocate(); hWeight1.deallocate()
            column.deallocate()
        }
        let xTaps = taps(source: image.width, destination: width)
        for x in 0..<width {
            for c in 0..<cn {
                let k = x * cn + c
                hIndex0[k] = Int32(xTaps.index0[x] * cn + c)
                hIndex1[k] = Int32(xTaps.index1[x] * cn + c)
                hWeight0[k] = xTaps.weight0[x]; hWeight1[k] = xTaps.weight1[x]
            }
        }
        let yTaps = taps(source: image.height, destination: height)
        // OpenCV resamples rows first, then columns; all sums are exact integers (8 + 8
        // fractional bits), so taking columns first gives the same bits — and needs one
        // gather pass per destination row instead of one per source row. A border row
        // (weights 256, 0) ends as (256·h + 2¹⁵) >> 16 = (h + 128) >> 8, as in OpenCV.
        return Image<UInt8>(width: width, height: height, layout: image.layout) { out in
            image.withUnsafeBufferPointer { source in
                let src = source.baseAddress!
                let dst = out.baseAddress!
                for y in 0..<height {
                    let r0 = src + yTaps.index0[y] * srcRowLength, r1 = src + yTaps.index1[y] * srcRowLength
                    let c0 = yTaps.weight0[y], c1 = yTaps.weight1[y]
                    for k in 0..<srcRowLength {
                        column[k] = Int32(r0[k]) &* c0 &+ Int32(r1[k]) &* c1
                    }
                    let d = dst + y * rowLength
                    for k in 0..<rowLength {
                        let v = column[Int(hIndex0[k])] &* hWeight0[k] &+ column[Int(hIndex1[k])] &* hWeight1[k]
                        d[k] = UInt8(truncatingIfNeeded: (v &+ 32768) &>> 16)
                    }
                }
            }
        }
    }

    /// Per-axis taps: the two source indices and their 8-bit-fraction weights; a single
    /// tap (border) has `index1 == index0`, weights 256 and 0.
    static func taps(source: Int, destination: Int) -> (index0: [Int], index1: [Int], weight0: [Int32], weight1: [Int32]) {
        let scale = 1.0 / (Double(destination) / Double(source))
        var i0 = [Int](), i1 = [Int](), w0 = [Int32](), w1 = [Int32]()
        for d in 0..<destination {
            let f = scale * (Double(d) + 0.5) - 0.5
            let i = Int(f.rounded(.down))
            if i >= 0 && source > 1 && i < source - 1 {
                let c = Int32(((f - Double(i)) * 256).rounded(.toNearestOrEven))
                i0.append(i); i1.append(i + 1); w0.append(256 - c); w1.append(c)
            } else {
                let edge = (i >= 0 && source > 1) ? source - 1 : 0
                i0.append(edge); i1.append(edge); w0.append(256); w1.append(0)
            }
        }
        return (i0, i1, w0, w1)
    }
}
