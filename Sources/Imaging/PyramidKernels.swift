// Unsafe pyrDown kernels behind Image.pyramidDown(). Tested against OpenCV's output and a
// naive reference in ImagingTests.

enum PyramidKernels {
    /// OpenCV's BORDER_REFLECT_101 index (…, 2, 1 | 0, 1, 2, …, n−1 | n−2, …).
    @inline(__always)
    static func reflect101(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var i = i
        while i < 0 || i >= n {
            if i < 0 { i = -i }
            if i >= n { i = 2 * (n - 1) - i }
        }
        return i
    }

    /// A small cache of horizontally filtered rows, tagged by source row.
    struct RowCache<T> {
        var rows: [UnsafeMutablePointer<T>]
        var tags: [Int]

        init(count: Int, length: Int) {
            rows = (0..<count).map { _ in UnsafeMutablePointer<T>.allocate(capacity: max(length, 1)) }
            tags = Array(repeating: -1, count: count)
        }

        func deallocate() { rows.forEach { $0.deallocate() } }

        /// The row tagged `tag`, computing it with `fill` into a slot whose tag is not in
        /// `keep` when absent.
        mutating func row(_ tag: Int, keep: [Int], fill: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
            if let slot = tags.firstIndex(of: tag) { return rows[slot] }
            let slot = tags.firstIndex { !keep.contains($0) }!
            fill(rows[slot])
            tags[slot] = tag
            return rows[slot]
        }
    }

    /// Horizontal pass of 8-bit pyrDown for one source row: sums with weights 1 4 6 4 1 at
    /// columns 2x−2…2x+2 (reflected), kept at scale 16 in UInt16 (max 4080).
    static func pyrDownRow8(_ s: UnsafePointer<UInt8>, width: Int, channels: Int, newWidth: Int,
                            _ out: UnsafeMutablePointer<UInt16>) {
        @inline(__always) func scalar(_ x: Int) {
            for c in 0..<channels {
                let p0 = UInt16(s[reflect101(2 * x - 2, width) * channels + c])
                let p1 = UInt16(s[reflect101(2 * x - 1, width) * channels + c])
                let p2 = UInt16(s[reflect101(2 * x, width) * channels + c])
                let p3 = UInt16(s[reflect101(2 * x + 1, width) * channels + c])
                let p4 = UInt16(s[reflect101(2 * x + 2, width) * channels + c])
                out[x * channels + c] = p0 &+ p4 &+ 4 &* (p1 &+ p3) &+ 6 &* p2
            }
        }
        var x = 0
        if channels == 1 {
            // Interior, 16 outputs at a time from three 32-byte loads (even/odd lanes).
            if newWidth > 0 { scalar(0) }
            x = 1
            while 2 * x + 33 <= width - 1 {
                let a = UnsafeRawPointer(s + 2 * x - 2).loadUnaligned(as: SIMD32<UInt8>.self)
                let b = UnsafeRawPointer(s + 2 * x).loadUnaligned(as: SIMD32<UInt8>.self)
                let c = UnsafeRawPointer(s + 2 * x + 2).loadUnaligned(as: SIMD32<UInt8>.self)
                let m2 = SIMD16<UInt16>(truncatingIfNeeded: a.evenHalf)
                let m1 = SIMD16<UInt16>(truncatingIfNeeded: a.oddHalf)
                let z0 = SIMD16<UInt16>(truncatingIfNeeded: b.evenHalf)
                let p1 = SIMD16<UInt16>(truncatingIfNeeded: b.oddHalf)
                let p2 = SIMD16<UInt16>(truncatingIfNeeded: c.evenHalf)
                let sum = m2 &+ p2 &+ ((m1 &+ p1) &<< 2) &+ (z0 &* 6)
                UnsafeMutableRawPointer(out + x).storeBytes(of: sum, as: SIMD16<UInt16>.self)
                x += 16
            }
        } else if channels == 3 {
            // Interior pixels need no reflection: direct indexing.
            if newWidth > 0 { scalar(0) }
            x = 1
            while x < newWidth && 2 * x + 2 <= width - 1 {
                let base = (2 * x) * 3
                for c in 0..<3 {
                    let i = base + c
                    let sum = UInt16(s[i - 6]) &+ UInt16(s[i + 6]) &+ 4 &* (UInt16(s[i - 3]) &+ UInt16(s[i + 3])) &+ 6 &* UInt16(s[i])
                    out[x * 3 + c] = sum
                }
                x += 1
            }
        }
        while x < newWidth { scalar(x); x += 1 }
    }

    /// Bit-exact OpenCV pyrDown on 8-bit interleaved data (see Image.pyramidDown()).
    static func pyrDown8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                         _ dst: UnsafeMutablePointer<UInt8>) {
        let newWidth = (width + 1) / 2, newHeight = (height + 1) / 2
        let rowLength = newWidth * channels
        var cache = RowCache<UInt16>(count: 5, length: rowLength)
        defer { cache.deallocate() }
        for y in 0..<newHeight {
            let needed = (0..<5).map { reflect101(2 * y - 2 + $0, height) }
            var r: [UnsafeMutablePointer<UInt16>] = []
            r.reserveCapacity(5)
            for tag in needed {
                r.append(cache.row(tag, keep: needed) { out in
                    pyrDownRow8(src + tag * width * channels, width: width, channels: channels, newWidth: newWidth, out)
                })
            }
            let r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4]
            let d = dst + y * rowLength
            var k = 0
            let rounding = SIMD16<UInt16>(repeating: 128)
            while k + 16 <= rowLength {
                @inline(__always) func load(_ p: UnsafeMutablePointer<UInt16>) -> SIMD16<UInt16> {
                    UnsafeRawPointer(p + k).loadUnaligned(as: SIMD16<UInt16>.self)
                }
                let sum = load(r0) &+ load(r4) &+ ((load(r1) &+ load(r3)) &<< 2) &+ (load(r2) &* 6) &+ rounding
                UnsafeMutableRawPointer(d + k).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: sum &>> 8), as: SIMD16<UInt8>.self)
                k += 16
            }
            while k < rowLength {
                let sum = r0[k] &+ r4[k] &+ 4 &* (r1[k] &+ r3[k]) &+ 6 &* r2[k] &+ 128
                d[k] = UInt8(truncatingIfNeeded: sum >> 8)
                k += 1
            }
        }
    }

    /// Float pyrDown: the same kernel and border, sums scaled by 1/256 at the end.
    static func pyrDownFloat(_ src: UnsafePointer<Float>, width: Int, height: Int, channels: Int,
                             _ dst: UnsafeMutablePointer<Float>) {
        let newWidth = (width + 1) / 2, newHeight = (height + 1) / 2
        let rowLength = newWidth * channels
        var cache = RowCache<Float>(count: 5, length: rowLength)
        defer { cache.deallocate() }
        for y in 0..<newHeight {
            let needed = (0..<5).map { reflect101(2 * y - 2 + $0, height) }
            let r = needed.map { tag in
                cache.row(tag, keep: needed) { out in
                    let s = src + tag * width * channels
                    for x in 0..<newWidth {
                        for c in 0..<channels {
                            let p0 = s[reflect101(2 * x - 2, width) * channels + c]
                            let p1 = s[reflect101(2 * x - 1, width) * channels + c]
                            let p2 = s[reflect101(2 * x, width) * channels + c]
                            let p3 = s[reflect101(2 * x + 1, width) * channels + c]
                            let p4 = s[reflect101(2 * x + 2, width) * channels + c]
                            out[x * channels + c] = p0 + p4 + 4 * (p1 + p3) + 6 * p2
                        }
                    }
                }
            }
            let d = dst + y * rowLength
            for k in 0..<rowLength {
                d[k] = (r[0][k] + r[4][k] + 4 * (r[1][k] + r[3][k]) + 6 * r[2][k]) * (1.0 / 256)
            }
        }
    }
}
