// pyrDown kernels behind Image.pyramidDown() (per-row arithmetic in CCodecs/kernels.c).
// Tested against OpenCV's output and a naive reference in ImagingTests.
import CCodecs

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
    /// pixels 2x−2…2x+2 (reflected at the borders), kept at scale 16 in UInt16 (max 4080).
    static func pyrDownRow8(_ s: UnsafePointer<UInt8>, width: Int, channels: Int, newWidth: Int,
                            _ out: UnsafeMutablePointer<UInt16>) {
        func scalar(_ x: Int) {
            for c in 0..<channels {
                let p0 = UInt16(s[reflect101(2 * x - 2, width) * channels + c])
                let p1 = UInt16(s[reflect101(2 * x - 1, width) * channels + c])
                let p2 = UInt16(s[reflect101(2 * x, width) * channels + c])
                let p3 = UInt16(s[reflect101(2 * x + 1, width) * channels + c])
                let p4 = UInt16(s[reflect101(2 * x + 2, width) * channels + c])
                out[x * channels + c] = p0 &+ p4 &+ 4 &* (p1 &+ p3) &+ 6 &* p2
            }
        }
        // Interior outputs need no reflection: 2x − 2 ≥ 0 and 2x + 2 ≤ width − 1.
        let interiorBegin = min(1, newWidth)
        let interiorEnd = max(interiorBegin, min(newWidth, (width - 3) / 2 + 1))
        for x in 0..<interiorBegin { scalar(x) }
        if interiorEnd > interiorBegin {
            cc_pyrdown_row8(s, Int32(channels), Int32(interiorBegin), Int32(interiorEnd), out)
        }
        for x in interiorEnd..<newWidth { scalar(x) }
    }

    /// Bit-exact OpenCV pyrDown on 8-bit interleaved data (see Image.pyramidDown()).
    /// Five filtered rows are kept in a ring indexed by source row modulo 5 (the rows one
    /// output row needs are at most five consecutive ones, so they never collide).
    static func pyrDown8(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                         _ dst: UnsafeMutablePointer<UInt8>) {
        let newWidth = (width + 1) / 2, newHeight = (height + 1) / 2
        let rowLength = newWidth * channels
        let ring = UnsafeMutablePointer<UInt16>.allocate(capacity: 5 * rowLength)
        defer { ring.deallocate() }
        var tags = (-1, -1, -1, -1, -1)
        func row(_ sourceRow: Int) -> UnsafeMutablePointer<UInt16> {
            let slot = sourceRow % 5
            let buffer = ring + slot * rowLength
            let tag: Int
            switch slot {
            case 0: tag = tags.0
            case 1: tag = tags.1
            case 2: tag = tags.2
            case 3: tag = tags.3
            default: tag = tags.4
            }
            if tag != sourceRow {
                pyrDownRow8(src + sourceRow * width * channels, width: width, channels: channels, newWidth: newWidth, buffer)
                switch slot {
                case 0: tags.0 = sourceRow
                case 1: tags.1 = sourceRow
                case 2: tags.2 = sourceRow
                case 3: tags.3 = sourceRow
                default: tags.4 = sourceRow
                }
            }
            return buffer
        }
        for y in 0..<newHeight {
            let r0 = row(reflect101(2 * y - 2, height)), r1 = row(reflect101(2 * y - 1, height))
            let r2 = row(reflect101(2 * y, height)), r3 = row(reflect101(2 * y + 1, height))
            let r4 = row(reflect101(2 * y + 2, height))
            cc_pyrdown_col8(r0, r1, r2, r3, r4, dst + y * rowLength, Int32(rowLength))
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
