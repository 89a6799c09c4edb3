import Imaging

extension Image where Component == UInt8 {
    /// An 8-bit image for HOG from an interleaved buffer of 1 (gray), 3 (R, G, B) or
    /// 4 (R, G, B, A) channels, row-major without row padding. Alpha is dropped: OpenCV's
    /// HOG reads only 1- and 3-channel images, so an RGBA picture is detected on its colour.
    /// Throws ``HOGError`` when the sizes and the buffer disagree.
    public static func hogInput(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(HOGError) -> Image<UInt8> {
        guard width >= 1, height >= 1 else {
            throw HOGError(.invalidImage, "image is \(width)×\(height) pixels; both sides must be at least 1")
        }
        guard [1, 3, 4].contains(channels) else {
            throw HOGError(.invalidImage, "image has \(channels) channels; HOG reads gray (1), RGB (3) or RGBA (4)")
        }
        guard pixels.count == width * height * channels else {
            throw HOGError(.invalidImage, "buffer holds \(pixels.count) components, a \(width)×\(height)×\(channels) image needs \(width * height * channels)")
        }
        switch channels {
        case 1: return Image<UInt8>(width: width, height: height, layout: .gray, components: pixels)
        case 3: return Image<UInt8>(width: width, height: height, layout: .rgb, components: pixels)
        default:
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                rgb[3 * i] = pixels[4 * i]; rgb[3 * i + 1] = pixels[4 * i + 1]; rgb[3 * i + 2] = pixels[4 * i + 2]
            }
            return Image<UInt8>(width: width, height: height, layout: .rgb, components: rgb)
        }
    }
}

/// Why HOG could not run, with what was wrong.
public struct HOGError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable, Equatable {
        /// The image buffer is inconsistent (sizes, channels).
        case invalidImage
        /// The detector file cannot be read or has the wrong number of coefficients.
        case invalidDetector
        /// A detection parameter is out of range.
        case invalidParameter
        /// The image, padded, is smaller than the 64×128 window: no window can be scored, so
        /// a run has nothing to trace (refused when a trace is asked for).
        case imageSmallerThanWindow
    }
    public var code: Code
    /// The file or parameter concerned, when there is one.
    public var subject: String?
    public var reason: String

    public init(_ code: Code, _ reason: String, subject: String? = nil) {
        self.code = code; self.reason = reason; self.subject = subject
    }

    public var description: String {
        if let subject { return "\(subject): \(reason)" }
        return reason
    }
}
