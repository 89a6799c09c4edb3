// Binary PGM/PPM (Netpbm) and PFM (portable float map) reading and writing.
import Foundation

/// Tokenizer for Netpbm-style headers: whitespace-separated ASCII tokens, `#` comments
/// running to the end of the line, and exactly one whitespace byte before the raster.
struct NetpbmHeaderReader {
    let bytes: [UInt8]
    let name: String
    let format: ImageFormat
    var offset = 2  // after the two magic bytes

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    mutating func token(_ field: String) throws(DecodeError) -> String {
        while offset < bytes.count {
            if Self.isSpace(bytes[offset]) {
                offset += 1
            } else if bytes[offset] == UInt8(ascii: "#") {
                while offset < bytes.count, bytes[offset] != 0x0A, bytes[offset] != 0x0D { offset += 1 }
            } else {
                break
            }
        }
        let start = offset
        while offset < bytes.count, !Self.isSpace(bytes[offset]), offset - start < 64 { offset += 1 }
        guard offset > start else {
            throw DecodeError(path: name, format: format, reason: .truncated("header ends before the \(field)"))
        }
        guard offset < bytes.count else {
            throw DecodeError(path: name, format: format, reason: .truncated("header ends inside the \(field)"))
        }
        guard Self.isSpace(bytes[offset]) else {
            throw DecodeError(path: name, format: format, reason: .corrupt("\(field) is not a number"))
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    mutating func integer(_ field: String, range: ClosedRange<Int>) throws(DecodeError) -> Int {
        let text = try token(field)
        guard let value = Int(text), range.contains(value) else {
            throw DecodeError(path: name, format: format, reason: .corrupt("\(field) '\(text)' is not an integer in \(range)"))
        }
        return value
    }

    /// Skips the single whitespace byte that separates the header from the raster and
    /// returns the raster's offset.
    mutating func rasterOffset() -> Int {
        offset + 1
    }
}

enum PNMCodec {
    static func decode(_ bytes: [UInt8], name: String, format: ImageFormat, limits: DecodeLimits) throws(DecodeError) -> DecodedImage {
        guard bytes.count >= 2 else { throw DecodeError(path: name, format: format, reason: .truncated("no header")) }
        let kind = bytes[1]
        guard kind == UInt8(ascii: "5") || kind == UInt8(ascii: "6") else {
            throw DecodeError(path: name, format: format,
                              reason: .unsupported("ASCII or bitmap Netpbm (P\(Character(UnicodeScalar(kind)))); only binary P5/P6 are read"))
        }
        let layout: ChannelLayout = kind == UInt8(ascii: "5") ? .gray : .rgb
        var header = NetpbmHeaderReader(bytes: bytes, name: name, format: format)
        let width = try header.integer("width", range: 1...Int(Int32.max))
        let height = try header.integer("height", range: 1...Int(Int32.max))
        let maxValue = try header.integer("maxval", range: 1...65535)
        try limits.check(width: width, height: height, path: name, format: format)
        let start = header.rasterOffset()
        let bytesPerSample = maxValue > 255 ? 2 : 1
        let sampleCount = width * height * layout.channelCount
        let needed = sampleCount * bytesPerSample
        guard bytes.count - start >= needed else {
            throw DecodeError(path: name, format: format,
                              reason: .truncated("raster has \(max(0, bytes.count - start)) bytes, \(needed) expected"))
        }
        let bitDepth = Int.bitWidth - maxValue.leadingZeroBitCount
        if bytesPerSample == 1 {
            let image = Image<UInt8>(width: width, height: height, layout: layout,
                                     components: Array(bytes[start..<(start + needed)]))
            return DecodedImage(format: format, sourceChannels: layout.channelCount, sourceBitDepth: bitDepth, pixels: .uint8(image))
        }
        // 16-bit samples are big-endian (Netpbm).
        let image = Image<UInt16>(width: width, height: height, layout: layout) { buffer in
            bytes.withUnsafeBufferPointer { source in
                for i in 0..<sampleCount {
                    buffer[i] = UInt16(source[start + 2 * i]) << 8 | UInt16(source[start + 2 * i + 1])
                }
            }
        }
        return DecodedImage(format: format, sourceChannels: layout.channelCount, sourceBitDepth: bitDepth, pixels: .uint16(image))
    }
}

/// Portable float maps, the format of Middlebury's disparity ground truth.
///
/// Header `PF` (RGB) or `Pf` (gray), width, height, then a scale whose sign gives the
/// byte order (negative: little-endian, positive: big-endian); rows are stored from the
/// BOTTOM of the image to the top. Decoding returns rows top to bottom and keeps `inf`
/// (Middlebury: unknown disparity) and the stored values unchanged (the scale's
/// magnitude is not applied).
public enum PFMCodec {
    static func decode(_ bytes: [UInt8], name: String, limits: DecodeLimits) throws(DecodeError) -> DecodedImage {
        let layout: ChannelLayout = bytes[1] == UInt8(ascii: "F") ? .rgb : .gray
        var header = NetpbmHeaderReader(bytes: bytes, name: name, format: .pfm)
        let width = try header.integer("width", range: 1...Int(Int32.max))
        let height = try header.integer("height", range: 1...Int(Int32.max))
        let scaleText = try header.token("scale")
        guard let scale = Double(scaleText), scale.isFinite, scale != 0 else {
            throw DecodeError(path: name, format: .pfm, reason: .corrupt("scale '\(scaleText)' is not a non-zero number"))
        }
        try limits.check(width: width, height: height, path: name, format: .pfm)
        let littleEndian = scale < 0
        let start = header.rasterOffset()
        let rowLength = width * layout.channelCount
        let needed = rowLength * height * 4
        guard bytes.count - start >= needed else {
            throw DecodeError(path: name, format: .pfm,
                              reason: .truncated("raster has \(max(0, bytes.count - start)) bytes, \(needed) expected"))
        }
        let image = Image<Float>(width: width, height: height, layout: layout) { buffer in
            bytes.withUnsafeBytes { source in
                for y in 0..<height {
                    let storedRow = height - 1 - y
                    let rowStart = start + storedRow * rowLength * 4
                    for i in 0..<rowLength {
                        let raw = source.loadUnaligned(fromByteOffset: rowStart + 4 * i, as: UInt32.self)
                        let bits = littleEndian ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
                        buffer[y * rowLength + i] = Float(bitPattern: bits)
                    }
                }
            }
        }
        return DecodedImage(format: .pfm, sourceChannels: layout.channelCount, sourceBitDepth: 32, pixels: .float32(image))
    }

    /// The PFM encoding of `image` (rows bottom to top, scale ∓1 for little/big endian).
    public static func encode(_ image: Image<Float>, littleEndian: Bool = true) -> [UInt8] {
        let magic = image.layout == .rgb ? "PF" : "Pf"
        var bytes = Array("\(magic)\n\(image.width) \(image.height)\n\(littleEndian ? "-1.0" : "1.0")\n".utf8)
        bytes.reserveCapacity(bytes.count + image.components.count * 4)
        let rowLength = image.rowLength
        for y in stride(from: image.height - 1, through: 0, by: -1) {
            for i in 0..<rowLength {
                let bits = image.components[y * rowLength + i].bitPattern
                let ordered = littleEndian ? bits.littleEndian : bits.bigEndian
                withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }

    /// Writes `image` as PFM to `url` atomically (`FileOutput.writeAtomically`: a temporary
    /// file, then renamed): a failed write never leaves a half-written file, and the error
    /// names the file and the cause in plain words.
    public static func write(_ image: Image<Float>, to url: URL, littleEndian: Bool = true) throws(FileWriteError) {
        try FileOutput.writeAtomically(encode(image, littleEndian: littleEndian), to: url, what: "PFM")
    }
}
