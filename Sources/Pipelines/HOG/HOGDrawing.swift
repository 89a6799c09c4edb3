import Foundation
import Imaging

/// Draws detection boxes on a copy of an image (gray input becomes RGB).
public enum HOGDrawing {
    /// The image with each box outlined `thicknessPixels` wide (inside the box, clipped to
    /// the image) in `color` (R, G, B).
    public static func draw(_ boxes: [HOGDetection], on image: Image<UInt8>, thicknessPixels: Int = 2,
                            color: (UInt8, UInt8, UInt8) = (0, 255, 0)) -> Image<UInt8> {
        let w = image.width, h = image.height
        var rgb: [UInt8]
        if image.channelCount == 3 { rgb = image.components } else {
            rgb = [UInt8](repeating: 0, count: w * h * 3)
            for i in 0..<(w * h) { let v = image.components[i]; rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v }
        }
        func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) {
            let xa = max(x0, 0), ya = max(y0, 0), xb = min(x1, w), yb = min(y1, h)
            guard xa < xb, ya < yb else { return }
            for y in ya..<yb {
                for x in xa..<xb {
                    let k = (y * w + x) * 3
                    rgb[k] = color.0; rgb[k + 1] = color.1; rgb[k + 2] = color.2
                }
            }
        }
        let t = max(thicknessPixels, 1)
        for b in boxes {
            fill(b.x, b.y, b.x + b.width, b.y + t)                        // top
            fill(b.x, b.y + b.height - t, b.x + b.width, b.y + b.height)  // bottom
            fill(b.x, b.y, b.x + t, b.y + b.height)                       // left
            fill(b.x + b.width - t, b.y, b.x + b.width, b.y + b.height)   // right
        }
        return Image<UInt8>(width: w, height: h, layout: .rgb, components: rgb)
    }
}

/// A minimal PNG writer: 8-bit gray or RGB, filter 0, the zlib stream made of stored
/// (uncompressed) deflate blocks — valid PNG that every decoder reads, without a
/// compressor (files are about the raw size).
public enum PNGWriter {
    /// Why a PNG could not be written.
    public struct WriteError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): cannot write PNG: \(reason)" }
    }

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

    /// Writes `image` as PNG to `url` atomically (temporary file, then rename), so a
    /// failure never leaves a half-written file.
    public static func write(_ image: Image<UInt8>, to url: URL) throws(WriteError) {
        do { try Data(encode(image)).write(to: url, options: .atomic) } catch {
            throw WriteError(path: url.path, reason: error.localizedDescription)
        }
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
