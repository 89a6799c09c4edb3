// Bilinear resampling, bit-exact with OpenCV's cv::resize on 8-bit images.

/// Bilinear variants, named after the OpenCV flags they reproduce bit for bit on 8-bit
/// images (any channel count).
public enum ResizeInterpolation: String, Sendable, Hashable, CaseIterable {
    /// `cv2.INTER_LINEAR`: half-pixel-centre sampling, 11-bit fixed-point weights
    /// (`INTER_RESIZE_COEF_BITS`), edges clamped; an exact 2× reduction is the 2×2 mean
    /// (OpenCV switches to INTER_AREA there).
    case linear
    /// `cv2.INTER_LINEAR_EXACT`: the same geometry with 8-bit weights computed in exact
    /// double arithmetic and rounding at the end — what OpenCV ≥ 4.10's
    /// `HOGDescriptor::detectMultiScale` uses by default to build its scales.
    case linearExact
}

extension Image where Component == UInt8 {
    /// This image resampled to `width` × `height` pixels, bit-exact with
    /// `cv2.resize(img, (width, height), interpolation=INTER_LINEAR)` (or
    /// `INTER_LINEAR_EXACT`). Same size returns a copy. Precondition: sizes ≥ 1.
    public func resized(width newWidth: Int, height newHeight: Int,
                        interpolation: ResizeInterpolation = .linear) -> Image<UInt8> {
        precondition(newWidth >= 1 && newHeight >= 1 && width >= 1 && height >= 1, "resize needs non-empty images")
        if newWidth == width && newHeight == height { return self }
        let channels = channelCount
        return Image<UInt8>(width: newWidth, height: newHeight, layout: layout) { out in
            components.withUnsafeBufferPointer { source in
                let src = source.baseAddress!, dst = out.baseAddress!
                // OpenCV: an exact 2× reduction in both directions is the 2×2 mean (INTER_AREA),
                // for INTER_LINEAR always and for INTER_LINEAR_EXACT unless 2 channels.
                if width == 2 * newWidth && height == 2 * newHeight && (interpolation == .linear || channels != 2) {
                    ResizeKernels.halve8(src, width: width, height: height, channels: channels, dst)
                    return
                }
                switch interpolation {
                case .linear:
                    ResizeKernels.linear8(src, width: width, height: height, channels: channels,
                                          dst, newWidth: newWidth, newHeight: newHeight)
                case .linearExact:
                    ResizeKernels.linearExact8(src, width: width, height: height, channels: channels,
                                               dst, newWidth: newWidth, newHeight: newHeight)
                }
            }
        }
    }
}

extension Image where Component == Float {
    /// Bilinear resampling of a float image with `cv2.INTER_LINEAR`'s geometry (half-pixel
    /// centres, edges clamped) in float arithmetic; agrees with OpenCV to float rounding.
    public func resized(width newWidth: Int, height newHeight: Int) -> Image<Float> {
        precondition(newWidth >= 1 && newHeight >= 1 && width >= 1 && height >= 1, "resize needs non-empty images")
        if newWidth == width && newHeight == height { return self }
        let channels = channelCount
        let xTaps = LinearTaps.opencvLinear(source: width, destination: newWidth)
        let yTaps = LinearTaps.opencvLinear(source: height, destination: newHeight)
        return Image<Float>(width: newWidth, height: newHeight, layout: layout) { out in
            for dy in 0..<newHeight {
                let y0 = min(max(yTaps.offset[dy], 0), height - 1)
                let y1 = min(max(yTaps.offset[dy] + 1, 0), height - 1)
                let b1 = yTaps.fraction[dy], b0 = 1 - b1
                for dx in 0..<newWidth {
                    let x0 = xTaps.offset[dx]
                    let x1 = min(x0 + 1, width - 1)
                    let a1 = xTaps.fraction[dx], a0 = 1 - a1
                    for c in 0..<channels {
                        let top = components[(y0 * width + x0) * channels + c] * a0 + components[(y0 * width + x1) * channels + c] * a1
                        let bottom = components[(y1 * width + x0) * channels + c] * a0 + components[(y1 * width + x1) * channels + c] * a1
                        out[(dy * newWidth + dx) * channels + c] = top * b0 + bottom * b1
                    }
                }
            }
        }
    }
}

/// Source positions and fractional weights along one axis.
struct LinearTaps {
    /// Left/top source index of each destination sample.
    var offset: [Int]
    /// Weight of the right/bottom neighbour, 0…1.
    var fraction: [Float]

    /// OpenCV INTER_LINEAR geometry (float fractions, edge samples clamped with weight 0).
    static func opencvLinear(source: Int, destination: Int) -> LinearTaps {
        let scale = 1.0 / (Double(destination) / Double(source))
        var offset = [Int](repeating: 0, count: destination)
        var fraction = [Float](repeating: 0, count: destination)
        for d in 0..<destination {
            var f = Float((Double(d) + 0.5) * scale - 0.5)
            var s = Int(f.rounded(.down))
            f -= Float(s)
            if s < 0 { s = 0; f = 0 }
            if s >= source - 1 { s = source - 1; f = 0 }
            offset[d] = s
            fraction[d] = f
        }
        return LinearTaps(offset: offset, fraction: fraction)
    }
}
