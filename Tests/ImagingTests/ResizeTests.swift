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
