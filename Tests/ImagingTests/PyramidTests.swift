import Testing
@testable import Imaging

/// Naive pyrDown: the full 5×5 binomial kernel [1 4 6 4 1]ᵀ[1 4 6 4 1] / 256 with
/// BORDER_REFLECT_101, evaluated at even positions, rounded half up.
func naivePyrDown(_ image: Image<UInt8>) -> Image<UInt8> {
    let weights = [1, 4, 6, 4, 1]
    func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
        return i
    }
    var out = Image<UInt8>(width: (image.width + 1) / 2, height: (image.height + 1) / 2, layout: image.layout)
    for y in 0..<out.height {
        for x in 0..<out.width {
            for c in 0..<image.channelCount {
                var sum = 0
                for j in 0..<5 {
                    for i in 0..<5 {
                        let sx = reflect(2 * x + i - 2, image.width), sy = reflect(2 * y + j - 2, image.height)
                        sum += weights[j] * weights[i] * Int(image[x: sx, y: sy, channel: c])
                    }
                }
                out[x: x, y: y, channel: c] = UInt8((sum + 128) >> 8)
            }
        }
    }
    return out
}

@Test(arguments: try! Fixtures.table("pyramid/chains.txt"))
func octavePyramidMatchesOpenCVPyrDownChain(_ names: [String]) throws {
    let expected = try names.map { try Fixtures.image8("pyramid/" + $0) }
    let pyramid = expected[0].octavePyramid(levels: 5)
    #expect(pyramid.levels.count == 5)
    for (level, reference) in zip(pyramid.levels, expected) {
        #expect(level.width == reference.width && level.height == reference.height)
        #expect(level == reference, "\(names[0]) level of \(level.width)×\(level.height) differs from cv2.pyrDown")
    }
    #expect(pyramid.scales == [1, 2, 4, 8, 16])
}

@Test(arguments: [(1, 1), (2, 1), (3, 2), (5, 7), (34, 4), (67, 5), (100, 3), (129, 6)], [ChannelLayout.gray, .rgb])
func pyramidDownMatchesNaiveReference(_ size: (Int, Int), _ layout: ChannelLayout) {
    var generator = SplitMix64(seed: UInt64(size.0 * 1000 + size.1))
    let count = size.0 * size.1 * layout.channelCount
    let image = Image<UInt8>(width: size.0, height: size.1, layout: layout,
                             components: (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    let fast = image.pyramidDown()
    #expect(fast.width == (size.0 + 1) / 2 && fast.height == (size.1 + 1) / 2)
    #expect(fast == naivePyrDown(image))
    let floatDown = image.floats().pyramidDown()
    let maxError = zip(floatDown.components, naivePyrDown(image).components).map { abs($0 - Float($1)) }.max() ?? 0
    #expect(maxError <= 0.5 + 1e-4)
}

@Test func octavePyramidReportsPixelsAndExpansion() {
    let image = Image<UInt8>(width: 64, height: 48, layout: .gray, repeating: 9)
    let pyramid = image.octavePyramid(levels: 5)
    #expect(pyramid.pixelsPerLevel == [3072, 768, 192, 48, 12])
    #expect(pyramid.totalPixels == 4092)
    #expect(abs(pyramid.expansionFactor - 4092.0 / 3072.0) < 1e-12)
    #expect(pyramid.levels.allSatisfy { $0.components.allSatisfy { $0 == 9 } })
    // Stops at 1×1.
    #expect(Image<UInt8>(width: 4, height: 4, layout: .gray).octavePyramid(levels: 10).levels.map(\.width) == [4, 2, 1])
}

/// HOG's rule (OpenCV `detectMultiScale`): scales 1, s, s², … by repeated multiplication,
/// size cvRound(W / scale), stop before the first level smaller than the window.
@Test(arguments: [1.05, 1.1, 1.2, 1.0905077326652577 /* 2^(1/8) */])
func scaleScheduleFollowsHOGRule(_ step: Double) {
    let schedule = ScaleSchedule(step: step, minimumWidth: 64, minimumHeight: 128)
    let levels = schedule.levels(width: 640, height: 480)
    var scale = 1.0
    for (k, level) in levels.enumerated() {
        #expect(level.scale == scale, "level \(k)")
        #expect(level.width == Int((640 / scale).rounded(.toNearestOrEven)))
        #expect(level.height == Int((480 / scale).rounded(.toNearestOrEven)))
        #expect(level.width >= 64 && level.height >= 128)
        scale *= step
    }
    #expect(Int((480 / scale).rounded(.toNearestOrEven)) < 128, "the next level would be below the minimum")
    if step == 1.05 { #expect(levels.count == 28) }
}

@Test func scalePyramidResizesTheOriginalAndReportsExpansion() {
    var generator = SplitMix64(seed: 7)
    let image = Image<UInt8>(width: 160, height: 120, layout: .gray,
                             components: (0..<(160 * 120)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    let schedule = ScaleSchedule(step: 1.2, minimumWidth: 32, minimumHeight: 32)
    let pyramid = image.scalePyramid(schedule, interpolation: .linearExact)
    let plan = schedule.levels(width: 160, height: 120)
    #expect(pyramid.levels.count == plan.count)
    for (level, size) in zip(pyramid.levels, plan) {
        #expect(level == image.resized(width: size.width, height: size.height, interpolation: .linearExact))
    }
    let expected = Double(plan.map { $0.width * $0.height }.reduce(0, +)) / Double(160 * 120)
    #expect(abs(pyramid.expansionFactor - expected) < 1e-12)
    #expect(pyramid.expansionFactor > 2 && pyramid.expansionFactor < 1 / (1 - 1 / 1.44) + 0.01)
}

/// Small deterministic generator for test images.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
