import Foundation
import Imaging

/// What `joulebench detect` prints: the detections and the facts of the run.
/// JSON schema `joulebench.detect/1` (keys documented in docs/HOG.md).
public struct HOGDetectionReport: Codable, Sendable {
    public var schema = "joulebench.detect/1"
    public var image: String
    public var width: Int
    public var height: Int
    public var channels: Int
    public var parameters: HOGDetectionParameters
    public var detections: [HOGDetection]
    public var rawHits: Int
    public var pyramidLevels: Int
    /// Pixels of all pyramid levels / input pixels.
    public var pyramidExpansion: Double
    public var wallTimeSeconds: Double
    /// With repeated runs (`--repeat N`): every run's detection time, seconds (decoding
    /// excluded); `wallTimeSeconds` is then their median.
    public var wallTimesSeconds: [Double]?
    public var levels: [HOGLevelReport]

    public init(image: String, width: Int, height: Int, channels: Int, parameters: HOGDetectionParameters,
                result: HOGDetectionResult, repeatedWallTimesSeconds: [Double]? = nil) {
        self.image = image; self.width = width; self.height = height; self.channels = channels
        self.parameters = parameters
        self.detections = result.detections; self.rawHits = result.rawHits.count
        self.pyramidLevels = result.levels.count; self.pyramidExpansion = result.pyramidExpansion
        self.wallTimeSeconds = result.wallTimeSeconds; self.levels = result.levels
        if let times = repeatedWallTimesSeconds, !times.isEmpty {
            wallTimesSeconds = times
            let sorted = times.sorted()
            wallTimeSeconds = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A plain-text table: one line per detection, then a summary line.
    public func table() -> String {
        var lines = ["\(image): \(width)×\(height), \(channels == 1 ? "gray" : "RGB")"]
        if detections.isEmpty {
            lines.append("no detections")
        } else {
            lines.append("   #       x      y  width height     score")
            for (i, d) in detections.enumerated() {
                lines.append(String(format: "%4d  %6d %6d %6d %6d  %8.4f", i + 1, d.x, d.y, d.width, d.height, d.score))
            }
        }
        lines.append(String(format: "%d detection(s) from %d raw hits over %d pyramid levels (expansion %.2f×) in %.1f ms",
                            detections.count, rawHits, pyramidLevels, pyramidExpansion, wallTimeSeconds * 1000))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Detection over every plain image of a folder (recursively, Imaging's dataset scan;
/// stereo views, disparities and masks are skipped). A file that fails is reported with
/// its error and does not stop the run; an empty folder gives an empty list.
public struct HOGFolderReport: Codable, Sendable {
    public var schema = "joulebench.detect-folder/1"
    public var folder: String
    public var reports: [HOGDetectionReport]
    /// Files that could not be decoded or detected, and sub-folders that could not be
    /// listed, in scan order (as `joulebench images` reports them).
    public var failures: [Failure]
    /// Entries of the folder not run, in scan order, each with its reason: what the scan
    /// skipped (not an image, a pipe or device, a dangling link) and image files that are not
    /// plain images (stereo views, disparities, label maps, PFM depth or disparity maps).
    public var skipped: [Skipped] = []

    /// One entry not run: `{path, reason}`.
    public struct Skipped: Codable, Sendable, Hashable {
        /// Path relative to the folder, `/`-separated.
        public var path: String
        public var reason: String
    }

    /// One failed file: `{path, code, error}`, as Imaging's `SurveyFailure` in `joulebench images`.
    public struct Failure: Codable, Sendable, Hashable {
        /// Path relative to the folder, `/`-separated.
        public var path: String
        /// Short code: the `DecodeError.code` (`corrupt`, `truncated`, `unknown-format` …),
        /// `unreadable-folder`, or the `HOGError` code (`invalid-image` …).
        public var code: String
        /// The message, naming the relative path once.
        public var error: String
    }

    public static func run(folder: URL, detector: HOGDetector, parameters: HOGDetectionParameters) throws(DatasetError) -> HOGFolderReport {
        let scan = try DatasetFolder.scan(folder)
        // A sub-folder that cannot be listed is a failure like a file that cannot be
        // decoded: reported, and the run goes on.
        var report = HOGFolderReport(
            folder: folder.path, reports: [],
            failures: scan.unreadableFolders.map { Failure(path: $0.path, code: "unreadable-folder", error: $0.description) })
        report.skipped = scan.skipped.map { Skipped(path: $0.relativePath, reason: $0.reason.description) }
        for file in scan.files {
            guard file.role == .image, file.format != .pfm else {
                let reason = file.role != .image ? "not a plain image (\(file.role.rawValue), by the folder's naming convention)"
                                                  : "a PFM map (floating-point depth or disparity), not a picture"
                report.skipped.append(Skipped(path: file.relativePath, reason: reason))
                continue
            }
            let image: Image<UInt8>
            do {
                image = try ImageDecoder.decode(contentsOf: file.url).image8()
            } catch {
                // The decoder names the absolute path; the report names the relative one.
                let named = DecodeError(path: file.relativePath, format: error.format, reason: error.reason)
                report.failures.append(Failure(path: file.relativePath, code: named.code, error: named.description))
                continue
            }
            do {
                let result = try detector.detect(image, parameters: parameters, inputPath: file.relativePath)
                report.reports.append(HOGDetectionReport(
                    image: file.relativePath, width: image.width, height: image.height,
                    channels: image.channelCount, parameters: parameters, result: result))
            } catch {
                // `detect` throws only HOGError; its code in the kebab-case of DecodeError's codes.
                let code = error.code.rawValue.replacing(/[A-Z]/) { "-" + $0.output.lowercased() }
                report.failures.append(Failure(path: file.relativePath, code: code, error: "\(file.relativePath): \(error.reason)"))
            }
        }
        report.skipped.sort { DatasetFolder.scanOrder($0.path, $1.path) }
        return report
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Each image's table, then the failures (one message each, as `joulebench images`
    /// lists them), then the entries not run with their reason; "no images" for an empty folder.
    public func table() -> String {
        if reports.isEmpty && failures.isEmpty {
            return "\(folder): no images\n" + (skipped.isEmpty ? "" : skippedTable)
        }
        var out = reports.map { $0.table() }.joined(separator: "\n")
        if !failures.isEmpty {
            out += (reports.isEmpty ? "" : "\n") + "failed:\n" + failures.map { "  \($0.error)\n" }.joined()
        }
        if !skipped.isEmpty { out += "\n" + skippedTable }
        return out
    }

    private var skippedTable: String {
        "skipped:\n" + skipped.map { "  \($0.path): \($0.reason)\n" }.joined()
    }
}
