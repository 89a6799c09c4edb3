// Image pyramids: the octave (Gaussian, pyrDown) pyramid and the fine-scale pyramid that
// multi-scale detectors (HOG) scan. Each reports the pixels it adds: multi-scale processing
// multiplies the pixels a pipeline touches, and that is part of its energy.

/// A pyramid: level 0 is the base image, each further level smaller.
public struct ImagePyramid<Component: PixelComponent>: Sendable {
    /// The levels, base first.
    public let levels: [Image<Component>]
    /// For each level, how many times smaller than the base it nominally is (1 for the
    /// base; 2^k for octave level k; step^k for a fine-scale pyramid). Sizes are rounded,
    /// so `base.width / scale` is within one pixel of the level's width.
    public let scales: [Double]

    public init(levels: [Image<Component>], scales: [Double]) {
        precondition(levels.count == scales.count && !levels.isEmpty, "one scale per level, at least one level")
        self.levels = levels
        self.scales = scales
    }

    /// Octave pyramid: `base`, then `down` of the previous level, `levels` levels in all,
    /// stopping early when a level is 1×1.
    init(octavesOf base: Image<Component>, levels: Int, down: (Image<Component>) -> Image<Component>) {
        precondition(levels >= 1, "a pyramid has at least one level")
        var images = [base]
        var scales = [1.0]
        while images.count < levels, images.last!.width > 1 || images.last!.height > 1 {
            images.append(down(images.last!))
            scales.append(scales.last! * 2)
        }
        self.init(levels: images, scales: scales)
    }

    /// Fine-scale pyramid: `resize(base, width, height)` for each level of `schedule`.
    init(scalesOf base: Image<Component>, _ schedule: ScaleSchedule, resize: (Image<Component>, Int, Int) -> Image<Component>) {
        let plan = schedule.levels(width: base.width, height: base.height)
        self.init(levels: plan.map { resize(base, $0.width, $0.height) }, scales: plan.map(\.scale))
    }

    /// Pixels (width × height) of each level, base first.
    public var pixelsPerLevel: [Int] { levels.map(\.pixelCount) }

    /// Pixels of all levels together, base included.
    public var totalPixels: Int { pixelsPerLevel.reduce(0, +) }

    /// Data expansion relative to the base image: total pixels of all levels divided by
    /// the base's pixels (≈ 4/3 for an octave pyramid, ≈ 1/(1 − step⁻²) for a deep
    /// fine-scale pyramid: about 10.8 for step 1.05).
    public var expansionFactor: Double { Double(totalPixels) / Double(levels[0].pixelCount) }
}

/// The levels' sizes of a fine-scale pyramid, the way OpenCV's
/// `HOGDescriptor::detectMultiScale` chooses them: scale_0 = 1 and scale_{k+1} =
/// scale_k × step (repeated multiplication), level size (round(W / scale), round(H / scale))
/// with round-half-to-even (`cvRound`); levels continue while both sides are at least the
/// minimum size, up to `maxLevels` (HOG's `nlevels`, 64).
public struct ScaleSchedule: Sendable, Hashable {
    /// Size ratio between consecutive levels, > 1 (HOG: 1.05; also 1.1, 1.2, 2^(1/k)).
    public let step: Double
    /// Smallest level width and height, pixels (HOG: the window, 64 × 128).
    public let minimumWidth: Int
    public let minimumHeight: Int
    /// Largest number of levels, base included.
    public let maxLevels: Int

    public init(step: Double, minimumWidth: Int, minimumHeight: Int, maxLevels: Int = 64) {
        precondition(step > 1 && step.isFinite, "scale step must be > 1")
        precondition(minimumWidth >= 1 && minimumHeight >= 1 && maxLevels >= 1, "minimum size and level count must be positive")
        self.step = step
        self.minimumWidth = minimumWidth
        self.minimumHeight = minimumHeight
        self.maxLevels = maxLevels
    }

    /// (scale, width, height) of each level for a `width` × `height` base. The base is
    /// always level 0, even when smaller than the minimum (as in OpenCV).
    public func levels(width: Int, height: Int) -> [(scale: Double, width: Int, height: Int)] {
        var result: [(scale: Double, width: Int, height: Int)] = []
        var scale = 1.0
        while result.count < maxLevels {
            let w = Int((Double(width) / scale).rounded(.toNearestOrEven))
            let h = Int((Double(height) / scale).rounded(.toNearestOrEven))
            if !result.isEmpty && (w < minimumWidth || h < minimumHeight) { break }
            result.append((scale, w, h))
            if w < minimumWidth || h < minimumHeight { break }
            scale *= step
        }
        return result
    }
}

extension Image where Component == UInt8 {
    /// OpenCV `pyrDown`, bit-exact: 5×5 binomial blur ([1 4 6 4 1]/16 in each direction,
    /// border BORDER_REFLECT_101), keep every other row and column; output
    /// ((width + 1) / 2) × ((height + 1) / 2).
    public func pyramidDown() -> Image<UInt8> {
        let newWidth = (width + 1) / 2, newHeight = (height + 1) / 2
        let channels = channelCount
        return Image<UInt8>(width: newWidth, height: newHeight, layout: layout) { out in
            withUnsafeBufferPointer { source in
                PyramidKernels.pyrDown8(source.baseAddress!, width: width, height: height, channels: channels, out.baseAddress!)
            }
        }
    }

    /// Octave Gaussian pyramid: the base, then `pyramidDown()` of the previous level,
    /// `levels` levels in all (base included), stopping early when a level would be 1×1.
    public func octavePyramid(levels: Int) -> ImagePyramid<UInt8> {
        ImagePyramid(octavesOf: self, levels: levels) { $0.pyramidDown() }
    }

    /// Fine-scale pyramid: each level resized from the ORIGINAL image (not the previous
    /// level, as `HOGDescriptor::detectMultiScale` does) to the sizes of `schedule`, with
    /// bilinear `interpolation` (bit-exact with cv2.resize's).
    public func scalePyramid(_ schedule: ScaleSchedule, interpolation: ResizeInterpolation = .linear) -> ImagePyramid<UInt8> {
        ImagePyramid(scalesOf: self, schedule) { $0.resized(width: $1, height: $2, interpolation: interpolation) }
    }
}

extension Image where Component == Float {
    /// `pyrDown` in float: the same 5×5 binomial kernel and border rule as the 8-bit one,
    /// without rounding (OpenCV's CV_32F pyrDown to float rounding).
    public func pyramidDown() -> Image<Float> {
        let newWidth = (width + 1) / 2, newHeight = (height + 1) / 2
        let channels = channelCount
        return Image<Float>(width: newWidth, height: newHeight, layout: layout) { out in
            withUnsafeBufferPointer { source in
                PyramidKernels.pyrDownFloat(source.baseAddress!, width: width, height: height, channels: channels, out.baseAddress!)
            }
        }
    }

    /// Octave pyramid of a float image (see the 8-bit `octavePyramid`).
    public func octavePyramid(levels: Int) -> ImagePyramid<Float> {
        ImagePyramid(octavesOf: self, levels: levels) { $0.pyramidDown() }
    }

    /// Fine-scale pyramid of a float image: each level resized bilinearly from the original.
    public func scalePyramid(_ schedule: ScaleSchedule) -> ImagePyramid<Float> {
        ImagePyramid(scalesOf: self, schedule) { $0.resized(width: $1, height: $2) }
    }
}
