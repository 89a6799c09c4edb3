// Colour and component-type conversions.

/// RGB → gray weights (ITU-R BT.601 luma), the ones OpenCV's `cvtColor(…, COLOR_RGB2GRAY)`
/// uses: Y = 0.299 R + 0.587 G + 0.114 B.
public enum GrayWeights {
    /// Float weights, used for float images: 0.299, 0.587, 0.114.
    public static let red: Float = 0.299
    public static let green: Float = 0.587
    public static let blue: Float = 0.114

    /// Fixed-point weights for 8-bit images, scaled by 2^15 and summing to 32768:
    /// 9798, 19235, 3735. Y = (9798 R + 19235 G + 3735 B + 16384) >> 15, bit-exact with
    /// OpenCV 4's 8-bit `COLOR_RGB2GRAY` (and `COLOR_BGR2GRAY` on BGR data).
    public static let redQ15: Int32 = 9798
    public static let greenQ15: Int32 = 19235
    public static let blueQ15: Int32 = 3735
    /// The fixed-point shift: 15.
    public static let shift: Int32 = 15
}

extension Image {
    /// The RGB version of this image: itself when already RGB; gray replicated to R, G, B.
    public func rgb() -> Image<Component> {
        guard layout == .gray else { return self }
        return Image(width: width, height: height, layout: .rgb) { out in
            for (i, value) in components.enumerated() {
                out[3 * i] = value
                out[3 * i + 1] = value
                out[3 * i + 2] = value
            }
        }
    }
}

extension Image where Component == UInt8 {
    /// The gray version of this image: itself when already gray; RGB reduced with
    /// ``GrayWeights`` in fixed point (bit-exact with OpenCV's 8-bit RGB2GRAY).
    public func grayscale() -> Image<UInt8> {
        guard layout == .rgb else { return self }
        return Image<UInt8>(width: width, height: height, layout: .gray) { out in
            components.withUnsafeBufferPointer { rgb in
                rgbToGray8(rgb.baseAddress!, out.baseAddress!, count: width * height)
            }
        }
    }

    /// The same pixels as floats, multiplied by `scale` (default 1: values 0…255).
    public func floats(scale: Float = 1) -> Image<Float> {
        map { Float($0) * scale }
    }
}

extension Image where Component == Float {
    /// The gray version: itself when gray; RGB reduced with the float ``GrayWeights``.
    public func grayscale() -> Image<Float> {
        guard layout == .rgb else { return self }
        return Image<Float>(width: width, height: height, layout: .gray) { out in
            for i in 0..<(width * height) {
                out[i] = GrayWeights.red * components[3 * i] + GrayWeights.green * components[3 * i + 1]
                    + GrayWeights.blue * components[3 * i + 2]
            }
        }
    }

    /// 8-bit version: `value * scale` rounded half to even and saturated to 0…255
    /// (OpenCV `convertTo(CV_8U, scale)`); NaN → 0.
    public func uint8(scale: Float = 1) -> Image<UInt8> {
        map { saturatingUInt8($0 * scale) }
    }
}

/// Kernel: interleaved RGB → gray, 8-bit fixed point (see ``GrayWeights``).
@inline(__always)
func rgbToGray8(_ rgb: UnsafePointer<UInt8>, _ gray: UnsafeMutablePointer<UInt8>, count: Int) {
    let r = GrayWeights.redQ15, g = GrayWeights.greenQ15, b = GrayWeights.blueQ15
    let half: Int32 = 1 << (GrayWeights.shift - 1)
    for i in 0..<count {
        let sum = Int32(rgb[3 * i]) &* r &+ Int32(rgb[3 * i + 1]) &* g &+ Int32(rgb[3 * i + 2]) &* b &+ half
        gray[i] = UInt8(truncatingIfNeeded: sum >> GrayWeights.shift)
    }
}
