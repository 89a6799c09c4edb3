import Foundation

/// A minimal PNG writer: 8-bit gray or RGB, filter 0, the zlib stream made of stored
/// (uncompressed) deflate blocks — valid PNG that every decoder reads, without a
/// compressor (files are about the raw size).
public enum PNGWriter {
    /// The PNG bytes of `image`.
    public static func encode(_ image: Image<UInt8>) -> [UInt8] {
        let cn = image.channelCount
        var raw: [UInt8] = []
        raw.reserveCapacity((image.width * cn + 1) * image.height)
        image.withUnsafeBufferPointer { p in
            let rowLength = image.width * cn
            for y in 0..<image.height {
                raw.append(0)  // filter type None
                raw.append(contentsOf: p[(y * rowLength)..<((y + 1) * rowLength)])
            }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, raw.count - offset)
            let last: UInt8 = offset + n == raw.count ? 1 : 0
            zlib.append(last)
            zlib.append(UInt8(n & 0xFF)); zlib.append(UInt8(n >> 8))
            zlib.append(UInt8(~n & 0xFF)); zlib.append(UInt8((~n >> 8) & 0xFF))
            zlib.append(contentsOf: raw[offset..<(offset + n)])
            offset += n
        } while offset < raw.count
        appendBigEndian(adler32(raw), to: &zlib)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = []
        appendBigEndian(UInt32(image.width), to: &ihdr)
        appendBigEndian(UInt32(image.height), to: &ihdr)
        ihdr += [8, cn == 3 ? 2 : 0, 0, 0, 0]
        chunk("IHDR", ihdr, into: &png)
        chunk("IDAT", zlib, into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    /// Writes `image` as PNG to `url` atomically (`FileOutput.writeAtomically`: a temporary
    /// file in the same folder, then renamed), so a failure never leaves a half-written file.
    /// The error names the file and the cause in plain words ("the folder out does not exist").
    public static func write(_ image: Image<UInt8>, to url: URL) throws(FileWriteError) {
        try FileOutput.writeAtomically(encode(image), to: url, what: "PNG")
    }

    static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &png)
        let typed = Array(type.utf8) + data
        png += typed
        appendBigEndian(crc32(typed), to: &png)
    }

    static func appendBigEndian(_ v: UInt32, to out: inout [UInt8]) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO 3309, as PNG specifies).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// Adler-32 (RFC 1950).
    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let end = min(i + 5552, bytes.count)
            while i < end { a &+= UInt32(bytes[i]); b &+= a; i += 1 }
            a %= 65521; b %= 65521
        }
        return (b << 16) | a
    }
}
