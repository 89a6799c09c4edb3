import Foundation
@testable import Imaging

/// The committed fixtures (made by Scripts/make-imaging-fixtures.py).
enum Fixtures {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    static func image8(_ relativePath: String) throws -> Image<UInt8> {
        try ImageDecoder.decode(contentsOf: url(relativePath)).image8()
    }

    /// Lines of a whitespace-separated table file, comments (#) dropped.
    static func table(_ relativePath: String) throws -> [[String]] {
        try String(contentsOf: url(relativePath), encoding: .utf8)
            .split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .map { $0.split(separator: " ").map(String.init) }
    }
}
