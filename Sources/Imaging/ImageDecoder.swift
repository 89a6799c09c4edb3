// Decoding entry point: format by magic bytes, limits checked from the header before
// any pixel buffer is allocated.
import CCodecs
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
    /// Most bytes read from a file that is not a regular file (a pipe such as
    /// `/dev/stdin` or `<(cat a.jpg)`, a character device), whose size is unknown until its
    /// end. Default 1 GiB (2^30 bytes): more than any encoded image within the default
    /// 100 MP except a colour PFM above 89 MP. Regular files are read at their size.
    public var maxStreamBytes: Int

    public init(maxMegapixels: Double = 100, maxStreamBytes: Int = 1 << 30) {
        self.maxMegapixels = maxMegapixels
        self.maxStreamBytes = maxStreamBytes
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
    /// naming the file; nothing crashes on bad input. To decode many files, a ``Session``
    /// avoids re-allocating the decoder and the buffers for each.
    public static func decode(contentsOf url: URL, limits: DecodeLimits = .default) throws(DecodeError) -> DecodedImage {
        try Session(limits: limits).decode(contentsOf: url)
    }

    /// Decodes an encoded image held in memory; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String, limits: DecodeLimits = .default) throws(DecodeError) -> DecodedImage {
        var storage: [UInt8] = []
        var jpeg: OpaquePointer?
        defer { if let jpeg { cc_jpeg_destroy(jpeg) } }
        let result: Result<DecodedImage, DecodeError> = bytes.withUnsafeBufferPointer { encoded in
            Result { () throws(DecodeError) in
                try decode(encoded, array: bytes, name: name, limits: limits, jpeg: &jpeg, storage: &storage)
            }
        }
        return try result.get()
    }

    /// Format detection and dispatch. `array`, when given, holds the same bytes as
    /// `encoded` (spares the Netpbm/PFM parsers a copy); `jpeg` is created on first use and
    /// kept by the caller; `storage` is the reusable 8-bit pixel buffer (see `fill`).
    fileprivate static func decode(_ encoded: UnsafeBufferPointer<UInt8>, array: [UInt8]?, name: String,
                                   limits: DecodeLimits, jpeg: inout OpaquePointer?,
                                   storage: inout [UInt8]) throws(DecodeError) -> DecodedImage {
        guard !encoded.isEmpty else { throw DecodeError(path: name, format: nil, reason: .empty) }
        guard let format = ImageFormat.detect(magic: encoded.prefix(8)) else {
            throw DecodeError(path: name, format: nil, reason: .unknownFormat(magic: Array(encoded.prefix(8))))
        }
        switch format {
        case .jpeg:
            if jpeg == nil { jpeg = try JPEGCodec.makeDecoder(name: name) }
            return try JPEGCodec.decode(encoded, name: name, limits: limits, decoder: jpeg!, storage: &storage)
        case .png:
            return try PNGCodec.decode(encoded, name: name, limits: limits, storage: &storage)
        case .pgm, .ppm:
            return try PNMCodec.decode(array ?? Array(encoded), name: name, format: format, limits: limits)
        case .pfm:
            return try PFMCodec.decode(array ?? Array(encoded), name: name, limits: limits)
        }
    }

    /// Decodes file after file with the same resources, as a harness decoding a folder or a
    /// camera stream would: one read buffer for the encoded bytes (grown as needed; each
    /// file read with `read(2)` into it, no per-file allocation), one libjpeg-turbo
    /// decompressor (reset between images with `jpeg_abort_decompress`, as TurboJPEG reuses
    /// a handle), and one spare 8-bit pixel buffer that ``recycle(_:)`` hands back and the
    /// next JPEG/8-bit PNG decode of the same size writes into (no allocation, no page
    /// faults, no zero-fill).
    ///
    /// Not thread-safe: use one session per thread. Results are ordinary values: an image
    /// returned by ``decode(contentsOf:)`` is never overwritten by a later decode.
    public final class Session {
        /// Limits applied to every file.
        public let limits: DecodeLimits
        private var jpeg: OpaquePointer?
        private var readBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        private var spare: [UInt8] = []

        public init(limits: DecodeLimits = .default) {
            self.limits = limits
        }

        deinit {
            if let jpeg { cc_jpeg_destroy(jpeg) }
            readBuffer.deallocate()
        }

        /// Reads and decodes the file at `url` (same contract as
        /// ``ImageDecoder/decode(contentsOf:limits:)``).
        public func decode(contentsOf url: URL) throws(DecodeError) -> DecodedImage {
            let path = url.path
            let size = try readFile(path)
            let encoded = UnsafeBufferPointer(start: readBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: size)
            return try ImageDecoder.decode(encoded, array: nil, name: path, limits: limits, jpeg: &jpeg, storage: &spare)
        }

        /// Hands `image`'s 8-bit pixel buffer back to the session for the next decode of an
        /// image of the same size. Pass only images you no longer use: if a copy of `image`
        /// is still alive, the next decode copies the buffer before writing (correct, but
        /// the saving is lost). 16-bit and float images are ignored.
        public func recycle(_ image: consuming DecodedImage) {
            if case .uint8(let pixels) = image.pixels {
                spare = []
                spare = pixels.storage
            }
        }

        /// Reads the whole file into `readBuffer`, returns its size in bytes. A regular file
        /// is read at the size `fstat` gives (the buffer grown to it once); anything else
        /// (pipe, character device, socket: `st_size` says 0) is read until end of file, up
        /// to `limits.maxStreamBytes`.
        private func readFile(_ path: String) throws(DecodeError) -> Int {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw Self.unreadable(path, errno) }
            defer { close(fd) }
            var status = stat()
            guard fstat(fd, &status) == 0 else { throw Self.unreadable(path, errno) }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                throw DecodeError(path: path, format: nil, reason: .unreadable("is a directory"))
            case S_IFREG:
                break
            default:
                return try readStream(fd, path: path)
            }
            let size = Int(status.st_size)
            if size == 0 { throw DecodeError(path: path, format: nil, reason: .empty) }
            reserve(size, keeping: 0)
            var offset = 0
            while offset < size {
                let n = readRetryingInterrupts(fd, readBuffer.baseAddress! + offset, size - offset)
                if n < 0 { throw Self.unreadable(path, errno) }
                if n == 0 { break }  // the file shrank while being read: decode what is there
                offset += n
            }
            if offset == 0 { throw DecodeError(path: path, format: nil, reason: .empty) }
            return offset
        }

        /// Reads `fd` until end of file into `readBuffer` (doubling it from 1 MiB as
        /// needed), returns the bytes read. More than `limits.maxStreamBytes` bytes is a
        /// ``DecodeError/Reason/streamTooLong(limitBytes:)`` error, found by one more read
        /// after the limit, so `/dev/zero` ends with it after reading the limit once.
        private func readStream(_ fd: Int32, path: String) throws(DecodeError) -> Int {
            let limit = max(limits.maxStreamBytes, 0)
            var offset = 0
            while true {
                if offset == min(readBuffer.count, limit) {
                    if offset == limit {
                        // Full to the limit: one byte more means the stream is too long.
                        var probe: UInt8 = 0
                        let n = readRetryingInterrupts(fd, &probe, 1)
                        if n < 0 { throw Self.unreadable(path, errno) }
                        if n > 0 { throw DecodeError(path: path, format: nil, reason: .streamTooLong(limitBytes: limit)) }
                        break
                    }
                    reserve(min(max(2 * readBuffer.count, 1 << 20), limit), keeping: offset)
                }
                let n = readRetryingInterrupts(fd, readBuffer.baseAddress! + offset, min(readBuffer.count, limit) - offset)
                if n < 0 { throw Self.unreadable(path, errno) }
                if n == 0 { break }
                offset += n
            }
            if offset == 0 { throw DecodeError(path: path, format: nil, reason: .empty) }
            return offset
        }

        /// The error for a failed open/stat/read of `path`, with the OS's reason for `code`.
        private static func unreadable(_ path: String, _ code: Int32) -> DecodeError {
            DecodeError(path: path, format: nil, reason: .unreadable(String(cString: strerror(code))))
        }

        /// Grows `readBuffer` to at least `byteCount` bytes, keeping its first `keeping` bytes.
        private func reserve(_ byteCount: Int, keeping: Int) {
            guard readBuffer.count < byteCount else { return }
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 64)
            grown.bindMemory(to: UInt8.self)
            if keeping > 0 { grown.baseAddress!.copyMemory(from: readBuffer.baseAddress!, byteCount: keeping) }
            readBuffer.deallocate()
            readBuffer = grown
        }
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
