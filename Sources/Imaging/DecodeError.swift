// Typed decoding errors: every failure names the file and the reason.

/// Why a file could not be decoded, with the file it concerns.
///
/// `description` reads like `"photos/a.jpg: truncated JPEG: Premature end of JPEG file"`.
public struct DecodeError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong; new cases may be added.
    public enum Reason: Sendable, Hashable {
        /// The file could not be opened or read (message from the OS).
        case unreadable(String)
        /// The file has zero bytes.
        case empty
        /// The first bytes match no supported format (they are given, up to 8).
        case unknownFormat(magic: [UInt8])
        /// The data ends before the image does.
        case truncated(String)
        /// The data is malformed (bad header, bad chunk, bad entropy data …).
        case corrupt(String)
        /// Valid data that this decoder does not support (e.g. CMYK JPEG, ASCII PNM).
        case unsupported(String)
        /// The header announces more pixels than the limit allows; refused before allocating.
        case tooLarge(width: Int, height: Int, limitMegapixels: Double)
        /// A pipe or device went on past `DecodeLimits.maxStreamBytes` without ending
        /// (`/dev/zero`, a camera device given as a file).
        case streamTooLong(limitBytes: Int)
    }

    /// The file (or, for in-memory data, the name given by the caller).
    public let path: String
    /// The format detected from the magic bytes, when one was.
    public let format: ImageFormat?
    /// The reason.
    public let reason: Reason

    public init(path: String, format: ImageFormat?, reason: Reason) {
        self.path = path
        self.format = format
        self.reason = reason
    }

    /// A short machine-friendly code: `unreadable`, `empty`, `unknown-format`, `truncated`,
    /// `corrupt`, `unsupported`, `too-large` (too many pixels, or a stream too long).
    public var code: String {
        switch reason {
        case .unreadable: "unreadable"
        case .empty: "empty"
        case .unknownFormat: "unknown-format"
        case .truncated: "truncated"
        case .corrupt: "corrupt"
        case .unsupported: "unsupported"
        case .tooLarge, .streamTooLong: "too-large"
        }
    }

    public var description: String {
        let what = format.map { $0.displayName + " " } ?? ""
        switch reason {
        case .unreadable(let message):
            return "\(path): cannot read file: \(message)"
        case .empty:
            return "\(path): empty file (0 bytes)"
        case .unknownFormat(let magic):
            let hex = magic.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
            return "\(path): unknown image format (first bytes: \(hex.joined(separator: " ")))"
        case .truncated(let message):
            return "\(path): truncated \(what)data: \(message)"
        case .corrupt(let message):
            return "\(path): corrupt \(what)data: \(message)"
        case .unsupported(let message):
            return "\(path): unsupported \(what)image: \(message)"
        case .tooLarge(let width, let height, let limit):
            let megapixels = Double(width) * Double(height) / 1e6
            return "\(path): \(what)image of \(width)×\(height) pixels (\(megapixels) MP) exceeds the limit of \(limit) MP"
        case .streamTooLong(let limit):
            let size = limit >= 1 << 30 && limit % (1 << 30) == 0 ? "\(limit >> 30) GiB"
                : limit >= 1 << 20 && limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
            return "\(path): not a regular file, and no end after \(size) (the limit for a pipe or device); is it an image?"
        }
    }
}
