/// An 8-bit image as HOG reads it: `height` rows of `width` pixels, `channels` (1 or 3)
/// interleaved components per pixel, row-major, no row padding — the layout of
/// `Imaging.Image8` and of a continuous OpenCV `Mat`. Colour pixels are in R, G, B order.
///
/// An RGBA buffer is accepted by ``init(width:height:channels:pixels:)`` with
/// `channels == 4`: the alpha channel is dropped (OpenCV's HOG accepts only 1- and
/// 3-channel images, so an RGBA picture is detected on its colour channels).
public struct HOGRaster: Sendable, Hashable {
    public let width: Int
    public let height: Int
    /// 1 (gray) or 3 (R, G, B).
    public let channels: Int
    /// `width * height * channels` components.
    public let pixels: [UInt8]

    /// Wraps an interleaved 8-bit buffer of 1 (gray), 3 (RGB) or 4 (RGBA) channels.
    /// Throws ``HOGError`` when the sizes and the buffer disagree.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(HOGError) {
        guard width >= 1, height >= 1 else {
            throw HOGError(.invalidImage, "image is \(width)×\(height) pixels; both sides must be at least 1")
        }
        guard [1, 3, 4].contains(channels) else {
            throw HOGError(.invalidImage, "image has \(channels) channels; HOG reads gray (1), RGB (3) or RGBA (4)")
        }
        guard pixels.count == width * height * channels else {
            throw HOGError(.invalidImage, "buffer holds \(pixels.count) components, a \(width)×\(height)×\(channels) image needs \(width * height * channels)")
        }
        self.width = width; self.height = height
        if channels == 4 {
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                rgb[3 * i] = pixels[4 * i]; rgb[3 * i + 1] = pixels[4 * i + 1]; rgb[3 * i + 2] = pixels[4 * i + 2]
            }
            self.channels = 3; self.pixels = rgb
        } else {
            self.channels = channels; self.pixels = pixels
        }
    }

    /// Internal initialiser for buffers already known to be consistent (1 or 3 channels).
    init(unchecked width: Int, _ height: Int, _ channels: Int, _ pixels: [UInt8]) {
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
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
