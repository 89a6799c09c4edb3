import Foundation
import Testing
@testable import Imaging

/// PNG fixtures: every colour type and bit depth, plain and Adam7 (encoded by
/// Scripts/make-imaging-fixtures.py; expected pixels from Pillow, OpenCV for 16-bit).
@Test(arguments: try! Fixtures.table("png/cases.txt"))
func pngDecodesLikeIndependentDecoder(_ row: [String]) throws {
    let decoded = try ImageDecoder.decode(contentsOf: Fixtures.url("png/" + row[0]))
    let expected = try ImageDecoder.decode(contentsOf: Fixtures.url("png/" + row[1]))
    #expect(decoded.format == .png)
    #expect(decoded.sourceBitDepth == Int(row[2])!)
    #expect(decoded.sourceChannels == Int(row[3])!)
    #expect(decoded.pixels == expected.pixels, "\(row[0]) differs from \(row[1])")
}

/// JPEG fixtures: 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, progressive and gray (cjpeg), expected
/// pixels from djpeg.
@Test(arguments: try! Fixtures.table("jpeg/cases.txt"))
func jpegDecodesLikeDjpeg(_ row: [String]) throws {
    let decoded = try ImageDecoder.decode(contentsOf: Fixtures.url("jpeg/" + row[0]))
    let expected = try Fixtures.image8("jpeg/" + row[1])
    #expect(decoded.format == .jpeg)
    #expect(decoded.sourceChannels == Int(row[2])!)
    #expect(decoded.image8() == expected, "\(row[0]) differs from djpeg")
}

@Test func formatComesFromMagicBytesNotExtension() throws {
    let directory = try TemporaryDirectory()
    let misnamed = directory.url.appendingPathComponent("photo.png")
    try FileManager.default.copyItem(at: Fixtures.url("jpeg/420.jpg"), to: misnamed)
    #expect(try ImageDecoder.decode(contentsOf: misnamed).format == .jpeg)
    #expect(ImageFormat.detect(magic: Array("P6 1 1".utf8)) == .ppm)
    #expect(ImageFormat.detect(magic: Array("Pf".utf8)) == .pfm)
    #expect(ImageFormat.detect(magic: Array("GIF89a".utf8)) == nil)
}

@Test func pfmReadsBothByteOrdersBottomToTopWithInfinity() throws {
    let little = try ImageDecoder.decode(contentsOf: Fixtures.url("pfm/gray_4x3_little.pfm")).imageFloat()
    let big = try ImageDecoder.decode(contentsOf: Fixtures.url("pfm/gray_4x3_big.pfm")).imageFloat()
    #expect(little.width == 4 && little.height == 3 && little.layout == .gray)
    #expect(little == big)
    // The script stored values[y][x] = 1.5 (4y + x) − 2 top row first, file rows bottom-up.
    #expect(little[x: 0, y: 0] == -2)
    #expect(little[x: 3, y: 2] == 1.5 * 11 - 2)
    #expect(little[x: 2, y: 1] == .infinity)
    let rgb = try ImageDecoder.decode(contentsOf: Fixtures.url("pfm/rgb_2x2_little.pfm")).imageFloat()
    #expect(rgb.layout == .rgb && rgb.components == (0..<12).map { Float($0) / 4 })
}

@Test(arguments: [true, false])
func pfmRoundTrips(_ littleEndian: Bool) throws {
    let image = Image<Float>(width: 3, height: 2, layout: .gray, components: [1, -2.5, .infinity, 0, 7e-20, 3e30])
    let directory = try TemporaryDirectory()
    let url = directory.url.appendingPathComponent("d.pfm")
    try PFMCodec.write(image, to: url, littleEndian: littleEndian)
    let decoded = try ImageDecoder.decode(contentsOf: url)
    #expect(decoded.format == .pfm && decoded.sourceBitDepth == 32)
    #expect(decoded.imageFloat() == image)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["d.pfm"])
}

@Test func pnmReads16BitBigEndianAndOddMaxval() throws {
    let bytes = Array("P5\n# comment\n2 1\n65535\n".utf8) + [0x12, 0x34, 0xFF, 0xFE]
    let decoded = try ImageDecoder.decode(bytes, name: "a.pgm")
    #expect(decoded.pixels == .uint16(Image<UInt16>(width: 2, height: 1, layout: .gray, components: [0x1234, 0xFFFE])))
    #expect(decoded.sourceBitDepth == 16)
    #expect(decoded.image8().components == [18, 255])
    let tenBit = try ImageDecoder.decode(Array("P6 1 1 1000\n".utf8) + [0, 1, 0x03, 0xE8, 0, 0], name: "b.ppm")
    #expect(tenBit.sourceBitDepth == 10 && tenBit.layout == .rgb)
    #expect(tenBit.pixels == .uint16(Image<UInt16>(width: 1, height: 1, layout: .rgb, components: [1, 1000, 0])))
}

// MARK: - Bad input: each case is a typed error naming the file, never a crash.

func decodeError(_ bytes: [UInt8], name: String = "bad.bin", limits: DecodeLimits = .default) -> DecodeError? {
    do {
        _ = try ImageDecoder.decode(bytes, name: name, limits: limits)
        return nil
    } catch {
        return error
    }
}

func fixtureBytes(_ path: String) throws -> [UInt8] {
    try Array(Data(contentsOf: Fixtures.url(path)))
}

@Test func zeroByteAndMissingFilesAndDirectoriesAreTypedErrors() throws {
    let directory = try TemporaryDirectory()
    let empty = directory.url.appendingPathComponent("empty.jpg")
    try Data().write(to: empty)
    for (url, code) in [(empty, "empty"), (directory.url.appendingPathComponent("missing.png"), "unreadable"), (directory.url, "unreadable")] {
        #expect {
            _ = try ImageDecoder.decode(contentsOf: url)
        } throws: { error in
            let error = error as! DecodeError
            return error.code == code && error.path == url.path && error.description.hasPrefix(url.path + ": ")
        }
    }
}

@Test func wrongMagicIsUnknownFormat() {
    let error = decodeError(Array("hello, world\n".utf8), name: "notes.jpg")
    #expect(error?.reason == .unknownFormat(magic: Array("hello, w".utf8)))
    #expect(error?.description == "notes.jpg: unknown image format (first bytes: 68 65 6C 6C 6F 2C 20 77)")
}

@Test(arguments: ["jpeg/420.jpg", "jpeg/444_progressive.jpg", "png/rgb_8bit.png", "png/gray_1bit_adam7.png", "png/palette_8bit.png"])
func truncatedFilesAreRefused(_ path: String) throws {
    let bytes = try fixtureBytes(path)
    for keep in [bytes.count / 2, bytes.count - 20, 12] {
        let error = decodeError(Array(bytes.prefix(keep)), name: path)
        #expect(error?.code == "truncated" || error?.code == "corrupt", "\(path) cut at \(keep): \(String(describing: error))")
        #expect(error?.path == path)
    }
}

@Test func corruptJPEGAndPNGAreRefused() throws {
    var jpeg = try fixtureBytes("jpeg/420.jpg")
    let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
    jpeg[sof + 4] = 13  // sample precision 13 bits: libjpeg's JERR_BAD_PRECISION
    let badPrecision = decodeError(jpeg, name: "c.jpg")
    #expect(badPrecision?.code == "corrupt")
    #expect(badPrecision?.description.hasPrefix("c.jpg: corrupt JPEG data: ") == true)
    var garbage = try fixtureBytes("jpeg/420.jpg")
    for i in 4..<40 { garbage[i] = 0x5A }  // destroy the first marker segments
    let garbageError = decodeError(garbage, name: "g.jpg")
    #expect(garbageError?.code == "corrupt" || garbageError?.code == "truncated")
    var png = try fixtureBytes("png/rgb_8bit.png")
    png[17] ^= 0xFF  // IHDR width byte: the CRC no longer matches
    let error = decodeError(png, name: "c.png")
    #expect(error?.code == "corrupt")
    #expect(error?.format == .png)
    var pngData = try fixtureBytes("png/gray_8bit.png")
    let idat = pngData.firstIndex(of: UInt8(ascii: "I")).map { _ in pngData.count - 30 }!
    pngData[idat] ^= 0xFF  // inside IDAT: CRC or zlib error
    #expect(decodeError(pngData, name: "d.png") != nil)
    #expect(decodeError(Array("P5\n2 x\n255\n".utf8) + [1, 2], name: "e.pgm")?.code == "corrupt")
    #expect(decodeError(Array("Pf\n2 1\nabc\n".utf8), name: "f.pfm")?.code == "corrupt")
}

@Test func absurdDimensionsAreRefusedBeforeAllocating() throws {
    let png = decodeError(try fixtureBytes("bad/huge_100000x100000.png"), name: "huge.png")
    #expect(png?.reason == .tooLarge(width: 100000, height: 100000, limitMegapixels: 100))
    let pgm = decodeError(Array("P5\n100000 100000\n255\n".utf8) + [0, 0, 0], name: "huge.pgm")
    #expect(pgm?.reason == .tooLarge(width: 100000, height: 100000, limitMegapixels: 100))
    let pfm = decodeError(Array("Pf\n100000 100000\n-1\n".utf8), name: "huge.pfm")
    #expect(pfm?.code == "too-large")
    // JPEG: patch the SOF0 frame size to 65000 × 65000.
    var jpeg = try fixtureBytes("jpeg/444.jpg")
    let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
    jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])
    #expect(decodeError(jpeg, name: "huge.jpg")?.reason == .tooLarge(width: 65000, height: 65000, limitMegapixels: 100))
    // The limit is configurable.
    let small = decodeError(try fixtureBytes("png/gray_8bit.png"), name: "g.png", limits: DecodeLimits(maxMegapixels: 0.0001))
    #expect(small?.code == "too-large")
    #expect(small?.description.contains("exceeds the limit of 0.0001 MP") == true)
}

@Test func cmykJPEGIsRefusedClearly() throws {
    let error = decodeError(try fixtureBytes("bad/cmyk.jpg"), name: "cmyk.jpg")
    #expect(error?.code == "unsupported")
    #expect(error?.description.contains("CMYK") == true)
}

@Test func asciiNetpbmIsRefusedClearly() {
    #expect(decodeError(Array("P2\n1 1\n255\n7\n".utf8), name: "a.pgm")?.code == "unsupported")
}

/// A fresh directory removed at deinit.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("imaging-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}
