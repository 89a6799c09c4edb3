import Foundation
import Testing
@testable import Imaging

/// A session reuses its decompressor and buffers; its results must equal one-shot decodes
/// whatever came before (other sizes, other formats, a failed file), and an image the
/// caller still holds must never be overwritten by a later decode.
@Test func sessionDecodesEqualOneShotDecodesAcrossFormatsSizesAndFailures() throws {
    let session = ImageDecoder.Session()
    let names = ["jpeg/420.jpg", "jpeg/gray.jpg", "png/rgb_8bit.png", "jpeg/444_progressive.jpg", "jpeg/422.jpg",
                 "png/gray_16bit.png", "jpeg/420.jpg", "pfm/gray_4x3_little.pfm", "jpeg/411.jpg", "jpeg/420.jpg"]
    let truncated = try TemporaryDirectory()
    let broken = truncated.url.appendingPathComponent("broken.jpg")
    try Data(contentsOf: Fixtures.url("jpeg/420.jpg")).prefix(300).write(to: broken)
    for name in names {
        let expected = try ImageDecoder.decode(contentsOf: Fixtures.url(name))
        let decoded = try session.decode(contentsOf: Fixtures.url(name))
        #expect(decoded == expected, "\(name)")
        session.recycle(decoded)
        // A failure between two decodes leaves the decompressor reusable.
        #expect(throws: DecodeError.self) { try session.decode(contentsOf: broken) }
    }
}

@Test func recycledImageStillHeldByTheCallerIsNotOverwritten() throws {
    let session = ImageDecoder.Session()
    let first = try session.decode(contentsOf: Fixtures.url("jpeg/420.jpg"))
    let snapshot = first.image8().components
    session.recycle(first)  // `first` is still alive below: the next decode must copy, not overwrite
    let second = try session.decode(contentsOf: Fixtures.url("jpeg/444.jpg"))
    #expect(first.image8().components == snapshot)
    #expect(second == (try ImageDecoder.decode(contentsOf: Fixtures.url("jpeg/444.jpg"))))
    #expect(first.image8().components != second.image8().components)
}

@Test func sessionReadBufferGrowsAndShrinkingFilesAreHandled() throws {
    let directory = try TemporaryDirectory()
    let session = ImageDecoder.Session()
    let small = directory.url.appendingPathComponent("small.jpg")
    try Data(contentsOf: Fixtures.url("jpeg/gray.jpg")).write(to: small)
    let big = Fixtures.url("jpeg/444_progressive.jpg")
    _ = try session.decode(contentsOf: small)
    #expect(try session.decode(contentsOf: big) == (try ImageDecoder.decode(contentsOf: big)))
    // A smaller file after a bigger one: only its own bytes count (stale bytes beyond it
    // would make a truncated file look complete).
    let cut = directory.url.appendingPathComponent("cut.jpg")
    try Data(contentsOf: big).prefix(200).write(to: cut)
    #expect(throws: DecodeError.self) { try session.decode(contentsOf: cut) }
    let empty = directory.url.appendingPathComponent("empty.jpg")
    try Data().write(to: empty)
    #expect(throws: DecodeError(path: empty.path, format: nil, reason: .empty)) { try session.decode(contentsOf: empty) }
}
