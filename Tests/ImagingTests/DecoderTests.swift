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

/// An 8-bit binary PPM of `width` × `height` with varied pixels (bigger than a pipe's
/// 64 KiB buffer when large enough, so that a reader needs many reads).
func ppmBytes(width: Int, height: Int) -> [UInt8] {
    var bytes = Array("P6\n\(width) \(height)\n255\n".utf8)
    for i in 0..<(width * height * 3) { bytes.append(UInt8(truncatingIfNeeded: i &* 37 &+ i >> 8)) }
    return bytes
}

/// Makes a FIFO in `directory` and writes `bytes` into it from another thread once a
/// reader opens it, then closes it (the reader sees end of file). SIGPIPE is blocked in
/// the writer thread, so a reader that stops early makes the writes fail, not the process.
func fifoFed(with bytes: [UInt8], in directory: TemporaryDirectory) throws -> URL {
    let fifo = directory.url.appendingPathComponent("stream-\(UUID().uuidString)")
    try #require(mkfifo(fifo.path, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")
    let path = fifo.path
    Thread {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }.start()
    return fifo
}

/// The new-user trial's `cat dog.jpg | joulebench detect /dev/stdin` said "empty file
/// (0 bytes)": a pipe's `st_size` is 0. A file that is not a regular file is read to its end.
@Test func aPipeIsReadToItsEnd() throws {
    let directory = try TemporaryDirectory()
    let ppm = ppmBytes(width: 200, height: 150)  // 90 kB: more than one pipe buffer
    let expected = try ImageDecoder.decode(ppm, name: "memory")
    let decoded = try ImageDecoder.decode(contentsOf: try fifoFed(with: ppm, in: directory))
    #expect(decoded == expected)
    let jpeg = try fixtureBytes("jpeg/420.jpg")
    #expect(try ImageDecoder.decode(contentsOf: try fifoFed(with: jpeg, in: directory)) == (try ImageDecoder.decode(jpeg, name: "memory")))
    // A session reuses its buffer: a pipe after a regular file, and after a pipe.
    let session = ImageDecoder.Session()
    _ = try session.decode(contentsOf: Fixtures.url("jpeg/420.jpg"))
    #expect(try session.decode(contentsOf: try fifoFed(with: ppm, in: directory)) == expected)
    #expect(try session.decode(contentsOf: try fifoFed(with: jpeg, in: directory)).width == 35)
    // A pipe closed without a byte is empty, as a zero-byte file is.
    let empty = try fifoFed(with: [], in: directory)
    #expect(throws: DecodeError(path: empty.path, format: nil, reason: .empty)) { try ImageDecoder.decode(contentsOf: empty) }
}

/// A pipe of exactly `maxStreamBytes` bytes is read; one byte more is refused, naming the file.
@Test func aPipeLongerThanTheLimitIsRefused() throws {
    let directory = try TemporaryDirectory()
    let ppm = ppmBytes(width: 100, height: 100)
    let exact = DecodeLimits(maxStreamBytes: ppm.count)
    #expect(try ImageDecoder.decode(contentsOf: try fifoFed(with: ppm, in: directory), limits: exact).width == 100)
    let tooLong = try fifoFed(with: ppm, in: directory)
    let short = DecodeLimits(maxStreamBytes: ppm.count - 1)
    #expect(throws: DecodeError(path: tooLong.path, format: nil, reason: .streamTooLong(limitBytes: ppm.count - 1))) {
        try ImageDecoder.decode(contentsOf: tooLong, limits: short)
    }
    // The limit holds when the session's buffer has grown past it on a regular file.
    let session = ImageDecoder.Session(limits: DecodeLimits(maxStreamBytes: 1000))
    _ = try session.decode(contentsOf: Fixtures.url("jpeg/420.jpg"))  // 1129 bytes
    let after = try fifoFed(with: ppm, in: directory)
    #expect(throws: DecodeError(path: after.path, format: nil, reason: .streamTooLong(limitBytes: 1000))) {
        try session.decode(contentsOf: after)
    }
}

/// `/dev/zero` never ends: the read stops at the limit with a typed error naming it.
@Test func devZeroEndsWithTheStreamLimitError() throws {
    let limits = DecodeLimits(maxStreamBytes: 1 << 20)
    let error = try #require(throws: DecodeError.self) {
        try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: "/dev/zero"), limits: limits)
    }
    #expect(error.reason == .streamTooLong(limitBytes: 1 << 20))
    #expect(error.code == "too-large")
    #expect(error.description == "/dev/zero: not a regular file, and no end after 1 MiB (the limit for a pipe or device); is it an image?")
    #expect(DecodeLimits.default.maxStreamBytes == 1 << 30)
}
