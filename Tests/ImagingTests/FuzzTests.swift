import Testing
@testable import Imaging

/// Deterministic mutations of valid files (byte flips, insertions, cuts): each decode either
/// succeeds or throws a DecodeError naming the file; nothing crashes.
@Test(arguments: ["jpeg/420.jpg", "jpeg/444_progressive.jpg", "png/rgb_8bit_adam7.png", "png/palette_4bit.png",
                  "png/gray_16bit.png", "pfm/gray_4x3_big.pfm", "resize/src_rgb_37x23.ppm"])
func mutatedFilesNeverCrash(_ path: String) throws {
    let original = try fixtureBytes(path)
    var generator = SplitMix64(seed: UInt64(original.count))
    for trial in 0..<60 {
        var bytes = original
        switch trial % 3 {
        case 0:
            for _ in 0..<(1 + trial % 7) {
                let i = Int(generator.next() % UInt64(bytes.count))
                bytes[i] = UInt8(truncatingIfNeeded: generator.next())
            }
        case 1:
            let i = Int(generator.next() % UInt64(bytes.count))
            bytes.insert(contentsOf: (0..<(1 + trial % 5)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: i)
        default:
            bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
        }
        do {
            let decoded = try ImageDecoder.decode(bytes, name: "\(path)#\(trial)", limits: DecodeLimits(maxMegapixels: 1))
            #expect(decoded.width > 0 && decoded.height > 0)
        } catch {
            #expect(error.path == "\(path)#\(trial)")
        }
    }
}
