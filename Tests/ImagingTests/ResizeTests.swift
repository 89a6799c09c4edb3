import Testing
@testable import Imaging

/// Resize fixtures: OpenCV's cv2.resize output (INTER_LINEAR, INTER_LINEAR_EXACT) on random
/// 8-bit images, including upscales, 1-pixel outputs and an exact 2× reduction.
@Test(arguments: try! Fixtures.table("resize/cases.txt"))
func resizeMatchesOpenCVBitExactly(_ row: [String]) throws {
    let source = try Fixtures.image8("resize/" + row[0])
    let expected = try Fixtures.image8("resize/" + row[1])
    let interpolation = ResizeInterpolation(rawValue: row[2])!
    let result = source.resized(width: Int(row[3])!, height: Int(row[4])!, interpolation: interpolation)
    #expect(result.width == expected.width && result.height == expected.height)
    let differing = zip(result.components, expected.components).filter { $0 != $1 }.count
    #expect(differing == 0, "\(row[1]): \(differing) components differ")
}

/// Naive float bilinear with OpenCV's geometry: x_src = (x + 0.5)·W/w − 0.5, neighbours
/// clamped to the image, weights from the clamped position's fraction.
func naiveBilinear(_ image: Image<Float>, width: Int, height: Int) -> Image<Float> {
    var out = Image<Float>(width: width, height: height, layout: image.layout)
    func axis(_ d: Int, _ source: Int, _ destination: Int) -> (Int, Int, Float) {
        let f = (Double(d) + 0.5) * Double(source) / Double(destination) - 0.5
        var i = Int(f.rounded(.down))
        var t = Float(f - Double(i))
        if i < 0 { i = 0; t = 0 }
        if i >= source - 1 { i = source - 1; t = 0 }
        return (i, min(i + 1, source - 1), t)
    }
    for y in 0..<height {
        let (y0, y1, ty) = axis(y, image.height, height)
        for x in 0..<width {
            let (x0, x1, tx) = axis(x, image.width, width)
            for c in 0..<image.channelCount {
                let top = image[x: x0, y: y0, channel: c] * (1 - tx) + image[x: x1, y: y0, channel: c] * tx
                let bottom = image[x: x0, y: y1, channel: c] * (1 - tx) + image[x: x1, y: y1, channel: c] * tx
                out[x: x, y: y, channel: c] = top * (1 - ty) + bottom * ty
            }
        }
    }
    return out
}

@Test(arguments: [(20, 13), (50, 31), (5, 40), (37, 23)])
func floatResizeMatchesNaiveBilinear(_ size: (Int, Int)) throws {
    let source = try Fixtures.image8("resize/src_rgb_37x23.ppm").floats()
    let result = source.resized(width: size.0, height: size.1)
    let reference = naiveBilinear(source, width: size.0, height: size.1)
    let maxError = zip(result.components, reference.components).map { abs($0 - $1) }.max() ?? 0
    #expect(maxError < 1e-3)
    // And within one level of OpenCV's 8-bit INTER_LINEAR.
    let eight = try Fixtures.image8("resize/src_rgb_37x23.ppm").resized(width: size.0, height: size.1)
    #expect(zip(result.components, eight.components).allSatisfy { abs($0 - Float($1)) <= 1 })
}

@Test func sameSizeResizeIsIdentity() throws {
    let source = try Fixtures.image8("resize/src_gray_37x23.pgm")
    #expect(source.resized(width: 37, height: 23) == source)
    #expect(source.resized(width: 37, height: 23, interpolation: .linearExact) == source)
}
