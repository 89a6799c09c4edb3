import Testing
@testable import Imaging

@Test func grayscaleMatchesOpenCVRGB2GRAYBitExactly() throws {
    let rgb = try Fixtures.image8("color/rgb_67x41.ppm")
    let expected = try Fixtures.image8("color/gray_opencv_67x41.pgm")
    let gray = rgb.grayscale()
    #expect(gray.layout == .gray)
    #expect(gray == expected)
}

@Test func grayscaleFixedPointAgreesWithFloatWeightsWithinOneLevel() {
    let values: [UInt8] = [0, 255, 0, 12, 200, 99, 255, 255, 255, 1, 2, 3]
    let rgb = Image<UInt8>(width: 4, height: 1, layout: .rgb, components: values)
    let floatGray = rgb.floats().grayscale()
    for x in 0..<4 {
        #expect(abs(Float(rgb.grayscale()[x, 0]) - floatGray[x, 0]) <= 0.5 + 1e-3)
    }
    #expect(rgb.grayscale()[3, 0] == 2)
}

@Test func grayToRGBReplicatesAndFloatRoundTrips() {
    let gray = Image<UInt8>(width: 2, height: 2, layout: .gray, components: [0, 7, 128, 255])
    #expect(gray.rgb().components == [0, 0, 0, 7, 7, 7, 128, 128, 128, 255, 255, 255])
    #expect(gray.rgb().grayscale() == gray)
    #expect(gray.floats().uint8() == gray)
    let floats = Image<Float>(width: 4, height: 1, layout: .gray, components: [-3, 2.5, 3.5, 300])
    #expect(floats.uint8().components == [0, 2, 4, 255])
}

@Test func planarComponentsAreChannelMajor() {
    let rgb = Image<UInt8>(width: 2, height: 1, layout: .rgb, components: [1, 2, 3, 4, 5, 6])
    #expect(rgb.planarComponents() == [1, 4, 2, 5, 3, 6])
    let gray = Image<Float>(width: 3, height: 1, layout: .gray, components: [7, 8, 9])
    #expect(gray.planarComponents() == [7, 8, 9])
}
