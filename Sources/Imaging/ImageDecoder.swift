// Decoding entry point: format by magic bytes, limits checked from the header before
// any pixel buffer is allocated.
import Foundation

/// Image file formats JouleBench reads, detected from the first bytes, never the extension.
public enum ImageFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// JPEG (`FF D8 FF`), through libjpeg-turbo.
    case jpeg
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`), through libpng.
    case png
    /// Binary PGM (`P5`), 8 or 16 bit.
    case pgm
    /// Binary PPM (`P6`), 8 or 16 bit.
    case ppm
    /// Portable float map (`PF` colour, `Pf` gray), either endianness.
    case pfm

    /// Upper-case name for messages ("JPEG", "PNG" …).
    public var displayName: String { rawValue.uppercased() }

    /// The format whose magic bytes start `bytes`, or nil. ASCII PNM (`P1`–`P4`) is
    /// detected as PGM/PPM so that the decoder can refuse it with a clear message.
    public static func detect<Bytes: Collection>(magic bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count >= 8, head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 2, head[0] == UInt8(ascii: "P") {
            switch head[1] {
            case UInt8(ascii: "5"), UInt8(ascii: "2"), UInt8(ascii: "1"), UInt8(ascii: "4"): return .pgm
            case UInt8(ascii: "6"), UInt8(ascii: "3"): return .ppm
            case UInt8(ascii: "F"), UInt8(ascii: "f"): return .pfm
            default: return nil
            }
        }
        return nil
    }
}

/// Limits checked against the header before any pixel buffer is allocated.
public struct DecodeLimits: Sendable, Hashable {
    /// Largest accepted image, in megapixels (10^6 pixels). Default 100 MP.
    public var maxMegapixels: Double

    public init(maxMegapixels: Double = 100) {
        self.maxMegapixels = maxMegapixels
    }

    /// 100 megapixels.
    public static let `default` = DecodeLimits()

    func check(width: Int, height: Int, path: String, format: ImageFormat) throws(DecodeError) {
        guard width > 0, height > 0 else {
            throw DecodeError(path: path, format: format, reason: .corrupt("image dimensions \(width)×\(height)"))
        }
        if Double(width) * Double(height) > maxMegapixels * 1e6 {
            throw DecodeError(path: path, format: format,
                              reason: .tooLarge(width: width, height: height, limitMegapixels: maxMegapixels))
        }
    }
}

/// The pixels of a decoded file, in the component type the file stores.
public enum DecodedPixels: Sendable, Hashable {
    /// JPEG, PNG of bit depth ≤ 8, 8-bit PNM.
    case uint8(Image<UInt8>)
    /// 16-bit PNG and PNM (maxval > 255), samples as stored.
    case uint16(Image<UInt16>)
    /// PFM, values as stored (`inf` kept: Middlebury's "unknown").
    case float32(Image<Float>)
}

/// A decoded file: its pixels and what the file said about them.
public struct DecodedImage: Sendable, Hashable {
    /// Detected format.
    public let format: ImageFormat
    /// Channels in the file, alpha included (PNG gray+alpha: 2, RGBA: 4; palette: 3,
    /// or 4 with a tRNS chunk). The pixels themselves are gray or RGB: alpha is dropped.
    public let sourceChannels: Int
    /// Bits per sample in the file (1, 2, 4, 8, 16 for PNG; 8 for JPEG; 32 for PFM; for PNM
    /// the bits needed for its maxval).
    public let sourceBitDepth: Int
    /// The pixels.
    public let pixels: DecodedPixels

    public init(format: ImageFormat, sourceChannels: Int, sourceBitDepth: Int, pixels: DecodedPixels) {
        self.format = format
        self.sourceChannels = sourceChannels
        self.sourceBitDepth = sourceBitDepth
        self.pixels = pixels
    }

    /// Width in pixels.
    public var width: Int {
        switch pixels {
        case .uint8(let image): image.width
        case .uint16(let image): image.width
        case .float32(let image): image.width
        }
    }

    /// Height in pixels.
    public var height: Int {
        switch pixels {
        case .uint8(let image): image.height
        case .uint16(let image): image.height
        case .float32(let image): image.height
        }
    }

    /// Gray or RGB.
    public var layout: ChannelLayout {
        switch pixels {
        case .uint8(let image): image.layout
        case .uint16(let image): image.layout
        case .float32(let image): image.layout
        }
    }

    /// The pixels as 8-bit: 8-bit unchanged; 16-bit rescaled with rounding,
    /// `(v * 255 + 32767) / 65535` (libpng's `png_set_scale_16`); float rounded half to even
    /// and saturated to 0…255 (OpenCV `convertTo(CV_8U)`; PFM `inf` → 255, NaN → 0).
    public func image8() -> Image<UInt8> {
        switch pixels {
        case .uint8(let image): image
        case .uint16(let image): image.map { UInt8((UInt32($0) * 255 + 32767) / 65535) }
        case .float32(let image): image.map(saturatingUInt8)
        }
    }

    /// The pixels as float, values as stored (8-bit: 0…255, 16-bit: 0…65535, PFM unchanged).
    public func imageFloat() -> Image<Float> {
        switch pixels {
        case .uint8(let image): image.map { Float($0) }
        case .uint16(let image): image.map { Float($0) }
        case .float32(let image): image
        }
    }
}

/// Decodes JPEG, PNG, PNM and PFM files.
public enum ImageDecoder {
    /// Reads and decodes the file at `url`.
    ///
    /// The format comes from the magic bytes. The header's dimensions are checked against
    /// `limits` before any pixel buffer is allocated. Every failure (unreadable, empty,
    /// unknown format, truncated, corrupt, unsupported, too large) is a ``DecodeError``
    /// naming the file; nothing crashes on bad input.
    public static func decode(contentsOf url: URL, limits: DecodeLimits = .default) throws(DecodeError) -> DecodedImage {
        let path = url.path
        let bytes = try readFile(path)
        return try decode(bytes, name: path, limits: limits)
    }

    /// Decodes an encoded image held in memory; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String, limits: DecodeLimits = .default) throws(DecodeError) -> DecodedImage {
        guard !bytes.isEmpty else { throw DecodeError(path: name, format: nil, reason: .empty) }
        guard let format = ImageFormat.detect(magic: bytes) else {
            throw DecodeError(path: name, format: nil, reason: .unknownFormat(magic: Array(bytes.prefix(8))))
        }
        switch format {
        case .jpeg: return try JPEGCodec.decode(bytes, name: name, limits: limits)
        case .png: return try PNGCodec.decode(bytes, name: name, limits: limits)
        case .pgm, .ppm: return try PNMCodec.decode(bytes, name: name, format: format, limits: limits)
        case .pfm: return try PFMCodec.decode(bytes, name: name, limits: limits)
        }
    }

    /// Reads a whole file with POSIX calls (one allocation, errno reported on failure).
    static func readFile(_ path: String) throws(DecodeError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DecodeError(path: path, format: nil, reason: .unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw DecodeError(path: path, format: nil, reason: .unreadable(String(cString: strerror(errno))))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw DecodeError(path: path, format: nil, reason: .unreadable("is a directory"))
        }
        let size = Int(status.st_size)
        if size == 0 { throw DecodeError(path: path, format: nil, reason: .empty) }
        var readError: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var offset = 0
            while offset < size {
                let n = read(fd, buffer.baseAddress! + offset, size - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if n == 0 { break }
                offset += n
            }
            count = offset
        }
        if readError != 0 {
            throw DecodeError(path: path, format: nil, reason: .unreadable(String(cString: strerror(readError))))
        }
        if bytes.isEmpty { throw DecodeError(path: path, format: nil, reason: .empty) }
        return bytes
    }
}

/// Round half to even, then clamp to 0…255; NaN → 0 (OpenCV's `saturate_cast<uchar>(float)`).
@inlinable func saturatingUInt8(_ value: Float) -> UInt8 {
    if value.isNaN { return 0 }
    let rounded = value.rounded(.toNearestOrEven)
    if rounded <= 0 { return 0 }
    if rounded >= 255 { return 255 }
    return UInt8(rounded)
}
