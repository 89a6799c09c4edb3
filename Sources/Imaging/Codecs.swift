// One wrapper per C codec: the only place the Imaging module calls libjpeg/libpng
// (through the CCodecs shim, which catches library errors with setjmp in C).
import CCodecs

enum JPEGCodec {
    static func decode(_ bytes: [UInt8], name: String, limits: DecodeLimits) throws(DecodeError) -> DecodedImage {
        guard let decoder = cc_jpeg_create() else {
            throw DecodeError(path: name, format: .jpeg, reason: .unsupported("cannot allocate a JPEG decoder"))
        }
        defer { cc_jpeg_destroy(decoder) }
        func failure(_ status: Int) -> DecodeError {
            let message = String(cString: cc_jpeg_error_message(decoder))
            return DecodeError(path: name, format: .jpeg, reason: reason(status: status, message: message))
        }
        // The encoded bytes must stay pinned from header to decode: one closure holds both.
        let result: Result<DecodedImage, DecodeError> = bytes.withUnsafeBufferPointer { encoded in
            var info = cc_jpeg_info()
            let headerStatus = Int(cc_jpeg_read_header(decoder, encoded.baseAddress, encoded.count, &info))
            guard headerStatus == CC_OK else { return .failure(failure(headerStatus)) }
            let width = Int(info.width), height = Int(info.height)
            do throws(DecodeError) {
                try limits.check(width: width, height: height, path: name, format: .jpeg)
            } catch { return .failure(error) }
            let colorSpace = Int(info.color_space)
            if colorSpace == Int(CC_JPEG_CS_CMYK) || colorSpace == Int(CC_JPEG_CS_YCCK) {
                return .failure(DecodeError(path: name, format: .jpeg,
                                            reason: .unsupported("CMYK/YCCK colour space (\(info.components) components)")))
            }
            let layout: ChannelLayout = info.components == 1 ? .gray : .rgb
            var status = CC_OK
            let image = Image<UInt8>(width: width, height: height, layout: layout) { buffer in
                status = Int(cc_jpeg_decode(decoder, buffer.baseAddress, width * layout.channelCount, Int32(layout.channelCount)))
            }
            guard status == CC_OK else { return .failure(failure(status)) }
            return .success(DecodedImage(format: .jpeg, sourceChannels: Int(info.components), sourceBitDepth: 8,
                                         pixels: .uint8(image)))
        }
        return try result.get()
    }
}

enum PNGCodec {
    static func decode(_ bytes: [UInt8], name: String, limits: DecodeLimits) throws(DecodeError) -> DecodedImage {
        guard let decoder = cc_png_create() else {
            throw DecodeError(path: name, format: .png, reason: .unsupported("cannot allocate a PNG decoder"))
        }
        defer { cc_png_destroy(decoder) }
        func failure(_ status: Int) -> DecodeError {
            let message = String(cString: cc_png_error_message(decoder))
            return DecodeError(path: name, format: .png, reason: reason(status: status, message: message))
        }
        let result: Result<DecodedImage, DecodeError> = bytes.withUnsafeBufferPointer { encoded in
            var info = cc_png_info()
            let headerStatus = Int(cc_png_read_header(decoder, encoded.baseAddress, encoded.count, &info))
            guard headerStatus == CC_OK else { return .failure(failure(headerStatus)) }
            let width = Int(info.width), height = Int(info.height)
            do throws(DecodeError) {
                try limits.check(width: width, height: height, path: name, format: .png)
            } catch { return .failure(error) }
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
                let image = Image<UInt8>(width: width, height: height, layout: layout) { buffer in
                    status = Int(cc_png_decode(decoder, buffer.baseAddress, width * layout.channelCount))
                }
                pixels = .uint8(image)
            }
            guard status == CC_OK else { return .failure(failure(status)) }
            return .success(DecodedImage(format: .png, sourceChannels: sourceChannels,
                                         sourceBitDepth: Int(info.bit_depth), pixels: pixels))
        }
        return try result.get()
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
