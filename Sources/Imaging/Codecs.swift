// One wrapper per C codec: the only place the Imaging module calls libjpeg/libpng
// (through the CCodecs shim, which catches library errors with setjmp in C).
import CCodecs

enum JPEGCodec {
    /// A libjpeg-turbo decompressor for one decode (the one-shot API).
    static func makeDecoder(name: String) throws(DecodeError) -> OpaquePointer {
        guard let decoder = cc_jpeg_create() else {
            throw DecodeError(path: name, format: .jpeg, reason: .unsupported("cannot allocate a JPEG decoder"))
        }
        return decoder
    }

    /// Decodes `encoded` with `decoder` (a `cc_jpeg_decoder`, reusable across images) into
    /// `storage`: reused as is when it already holds exactly `width × height × channels`
    /// components (copied first if shared: copy-on-write), replaced by a new uninitialised
    /// buffer otherwise. No zero-fill either way: libjpeg writes every component.
    static func decode(_ encoded: UnsafeBufferPointer<UInt8>, name: String, limits: DecodeLimits,
                       decoder: OpaquePointer, storage: inout [UInt8]) throws(DecodeError) -> DecodedImage {
        func failure(_ status: Int) -> DecodeError {
            let message = String(cString: cc_jpeg_error_message(decoder))
            return DecodeError(path: name, format: .jpeg, reason: reason(status: status, message: message))
        }
        var info = cc_jpeg_info()
        let headerStatus = Int(cc_jpeg_read_header(decoder, encoded.baseAddress, encoded.count, &info))
        guard headerStatus == CC_OK else { throw failure(headerStatus) }
        let width = Int(info.width), height = Int(info.height)
        try limits.check(width: width, height: height, path: name, format: .jpeg)
        let colorSpace = Int(info.color_space)
        if colorSpace == Int(CC_JPEG_CS_CMYK) || colorSpace == Int(CC_JPEG_CS_YCCK) {
            throw DecodeError(path: name, format: .jpeg,
                              reason: .unsupported("CMYK/YCCK colour space (\(info.components) components)"))
        }
        let layout: ChannelLayout = info.components == 1 ? .gray : .rgb
        let status = fill(&storage, count: width * height * layout.channelCount) { destination in
            Int(cc_jpeg_decode(decoder, destination, width * layout.channelCount, Int32(layout.channelCount)))
        }
        guard status == CC_OK else { throw failure(status) }
        let image = Image<UInt8>(width: width, height: height, layout: layout, components: storage)
        storage = []  // the image owns the buffer now (unique: no copy on the caller's side)
        return DecodedImage(format: .jpeg, sourceChannels: Int(info.components), sourceBitDepth: 8, pixels: .uint8(image))
    }
}

/// Runs `decode` on a destination of exactly `count` bytes held by `storage`: the existing
/// buffer when its count matches, else a new one left uninitialised for `decode` to write
/// (the decoders write every byte or fail; on failure the bytes are unspecified but
/// initialised memory, as `UInt8` is trivial). Returns `decode`'s status.
func fill(_ storage: inout [UInt8], count: Int, _ decode: (UnsafeMutablePointer<UInt8>) -> Int) -> Int {
    var status = Int(CC_OK)
    if storage.count == count {
        storage.withUnsafeMutableBufferPointer { buffer in status = decode(buffer.baseAddress!) }
    } else {
        storage = []  // release the old buffer before allocating the new one
        storage = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = decode(buffer.baseAddress!)
            initialized = count
        }
    }
    return status
}

enum PNGCodec {
    /// Decodes `encoded`; 8-bit output goes into `storage` as for ``JPEGCodec`` (reused
    /// when its count matches), 16-bit output into a new buffer.
    static func decode(_ encoded: UnsafeBufferPointer<UInt8>, name: String, limits: DecodeLimits,
                       storage: inout [UInt8]) throws(DecodeError) -> DecodedImage {
        guard let decoder = cc_png_create() else {
            throw DecodeError(path: name, format: .png, reason: .unsupported("cannot allocate a PNG decoder"))
        }
        defer { cc_png_destroy(decoder) }
        func failure(_ status: Int) -> DecodeError {
            let message = String(cString: cc_png_error_message(decoder))
            return DecodeError(path: name, format: .png, reason: reason(status: status, message: message))
        }
        var info = cc_png_info()
        let headerStatus = Int(cc_png_read_header(decoder, encoded.baseAddress, encoded.count, &info))
        guard headerStatus == CC_OK else { throw failure(headerStatus) }
        let width = Int(info.width), height = Int(info.height)
        try limits.check(width: width, height: height, path: name, format: .png)
        let layout: ChannelLayout = info.out_channels == 1 ? .gray : .rgb
        let sourceChannels: Int
        switch info.color_type {
        case 0: sourceChannels = 1
        case 2: sourceChannels = 3
        case 3: sourceChannels = info.has_transparency != 0 ? 4 : 3
        case 4: sourceChannels = 2
        default: sourceChannels = 4
        }
        var status = CC_OK
        let pixels: DecodedPixels
        if info.out_bit_depth == 16 {
            let image = Image<UInt16>(width: width, height: height, layout: layout) { buffer in
                status = buffer.withMemoryRebound(to: UInt8.self) { raw in
                    Int(cc_png_decode(decoder, raw.baseAddress, width * layout.channelCount * 2))
                }
            }
            pixels = .uint16(image)
        } else {
            status = fill(&storage, count: width * height * layout.channelCount) { destination in
                Int(cc_png_decode(decoder, destination, width * layout.channelCount))
            }
            pixels = .uint8(Image<UInt8>(width: width, height: height, layout: layout, components: storage))
            storage = []
        }
        guard status == CC_OK else { throw failure(status) }
        return DecodedImage(format: .png, sourceChannels: sourceChannels,
                            sourceBitDepth: Int(info.bit_depth), pixels: pixels)
    }
}

private func reason(status: Int, message: String) -> DecodeError.Reason {
    switch status {
    case CC_ERR_TRUNCATED: .truncated(message.isEmpty ? "unexpected end of data" : message)
    case CC_ERR_UNSUPPORTED: .unsupported(message)
    case CC_ERR_NOMEM: .unsupported("out of memory: \(message)")
    default: .corrupt(message.isEmpty ? "decoder error \(status)" : message)
    }
}
