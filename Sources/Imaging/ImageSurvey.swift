// The work behind `joulebench images FOLDER`: decode every image of a folder, time it,
// build its pyramids and report what multi-scale processing would add.
import Foundation

/// Pyramid settings of a survey.
public struct SurveyPyramids: Sendable, Hashable, Codable {
    /// Fine-scale step (HOG: 1.05).
    public var step: Double
    /// Smallest fine-scale level (HOG window: 64 × 128).
    public var minimumWidth: Int
    public var minimumHeight: Int
    /// Octave pyramid levels, base included.
    public var octaveLevels: Int

    public init(step: Double = 1.05, minimumWidth: Int = 64, minimumHeight: Int = 128, octaveLevels: Int = 5) {
        self.step = step
        self.minimumWidth = minimumWidth
        self.minimumHeight = minimumHeight
        self.octaveLevels = octaveLevels
    }
}

/// Levels and data expansion of one pyramid.
public struct PyramidSummary: Sendable, Hashable, Codable {
    /// Number of levels, base included.
    public let levels: Int
    /// Pixels (width × height) per level, base first.
    public let pixelsPerLevel: [Int]
    /// Total pixels over base pixels.
    public let expansion: Double
    /// Wall time to build the pyramid from the gray base image (median over the survey's
    /// repeats), seconds.
    public let buildSeconds: Double
    /// CPU time of this thread for the same build (median), seconds: robust to other
    /// processes competing for the cores, unlike wall time.
    public let buildCPUSeconds: Double

    public init<C>(_ pyramid: ImagePyramid<C>, buildSeconds: Double, buildCPUSeconds: Double) {
        levels = pyramid.levels.count
        pixelsPerLevel = pyramid.pixelsPerLevel
        expansion = pyramid.expansionFactor
        self.buildSeconds = buildSeconds
        self.buildCPUSeconds = buildCPUSeconds
    }
}

/// One decoded file of a survey.
public struct SurveyEntry: Sendable, Hashable {
    public let relativePath: String
    public let format: ImageFormat
    public let role: DatasetRole
    public let width: Int
    public let height: Int
    /// Channels in the file (alpha included).
    public let channels: Int
    /// Bits per sample in the file.
    public let bitDepth: Int
    /// Wall time of `ImageDecoder.decode(contentsOf:)` (file read included), seconds;
    /// the median over the survey's repeats.
    public let decodeSeconds: Double
    /// CPU time of the decoding thread for the same decode (median), seconds.
    public let decodeCPUSeconds: Double
    /// Mean wall and CPU time of the same decodes, seconds: tjbench's statistic (total time
    /// of back-to-back decodes / count), which, unlike the median, keeps the decodes that
    /// were preempted on a loaded machine.
    public let decodeMeanSeconds: Double
    public let decodeMeanCPUSeconds: Double
    /// Fine-scale pyramid of the gray image (bilinear, from the original at each level).
    public let scalePyramid: PyramidSummary
    /// Octave pyramid of the gray image.
    public let octavePyramid: PyramidSummary
}

/// A file that could not be decoded, or a sub-folder that could not be listed.
public struct SurveyFailure: Sendable, Hashable {
    /// Why.
    public enum Cause: Sendable, Hashable {
        /// The file failed to decode (its path in the error is relative to the folder).
        case decode(DecodeError)
        /// The sub-folder could not be listed; its contents are missing from the survey.
        case unreadableFolder(DatasetError)
    }

    /// Path relative to the surveyed folder, `/`-separated.
    public let relativePath: String
    public let cause: Cause

    /// Short code: the ``DecodeError/code`` of a file, `unreadable-folder` for a folder.
    public var code: String {
        switch cause {
        case .decode(let error): error.code
        case .unreadableFolder: "unreadable-folder"
        }
    }

    /// The full message, naming the path and the reason.
    public var message: String {
        switch cause {
        case .decode(let error): error.description
        case .unreadableFolder(let error): error.description
        }
    }
}

/// Everything `joulebench images` reports about a folder.
public struct ImageSurvey: Sendable {
    public let root: URL
    public let pyramids: SurveyPyramids
    /// Decoded files, in scan order.
    public let entries: [SurveyEntry]
    /// Files that failed to decode and sub-folders that could not be listed, in scan order.
    public let failures: [SurveyFailure]
    /// Entries skipped (non-images, pipes, sockets, devices, dangling links), with why.
    public let skipped: [SkippedEntry]
    /// How many times each decode and pyramid was timed (medians reported).
    public let repeats: Int

    /// Scans `folder` and decodes every image file in scan order; a file that fails, or a
    /// sub-folder that cannot be listed, is recorded in `failures` and the survey goes on.
    /// Throws only when `folder` itself cannot be read. All files are decoded by one
    /// ``ImageDecoder/Session`` (read buffer, libjpeg decompressor and pixel buffer reused
    /// from file to file and repeat to repeat, as a harness decoding a folder would, and as
    /// tjbench reuses its handle and output buffer). With `repeats` > 1 every decode and
    /// pyramid is run once untimed (warm-up) and then `repeats` times, and the median time
    /// reported (the benchmark script uses this). `lister` lists folders (tests inject failures).
    public static func run(folder: URL, limits: DecodeLimits = .default,
                           pyramids: SurveyPyramids = SurveyPyramids(), repeats: Int = 1,
                           lister: @escaping DatasetFolder.DirectoryLister = DatasetFolder.fileSystemLister) throws(DatasetError) -> ImageSurvey {
        precondition(repeats >= 1, "repeats must be at least 1")
        let scan = try DatasetFolder.scan(folder, lister: lister)
        var entries: [SurveyEntry] = []
        var failures = scan.unreadableFolders.map { SurveyFailure(relativePath: $0.path, cause: .unreadableFolder($0)) }
        let schedule = ScaleSchedule(step: pyramids.step, minimumWidth: pyramids.minimumWidth,
                                     minimumHeight: pyramids.minimumHeight)
        let session = ImageDecoder.Session(limits: limits)
        var previous: DecodedImage?
        /// Hands the last decoded image's buffer back to the session (nothing else holds it).
        func recyclePrevious() {
            if let image = previous {
                previous = nil
                session.recycle(image)
            }
        }
        for file in scan.files {
            var decodeTimes: [Double] = [], decodeCPUTimes: [Double] = []
            do {
                // With repeats, one untimed warm-up run first (as tjbench's -warmup).
                if repeats > 1 {
                    recyclePrevious()
                    previous = try session.decode(contentsOf: file.url)
                }
                for _ in 0..<repeats {
                    recyclePrevious()
                    let (image, seconds, cpuSeconds) = try timed { () throws(DecodeError) in
                        try session.decode(contentsOf: file.url)
                    }
                    previous = image
                    decodeTimes.append(seconds)
                    decodeCPUTimes.append(cpuSeconds)
                }
            } catch {
                let named = DecodeError(path: file.relativePath, format: error.format, reason: error.reason)
                failures.append(SurveyFailure(relativePath: file.relativePath, cause: .decode(named)))
                continue
            }
            guard let decoded = previous else { continue }
            let scale: PyramidSummary, octave: PyramidSummary
            if case .float32(let image) = decoded.pixels {
                let gray = image.grayscale()
                scale = summarize(repeats) { gray.scalePyramid(schedule) }
                octave = summarize(repeats) { gray.octavePyramid(levels: pyramids.octaveLevels) }
            } else {
                let gray = decoded.image8().grayscale()
                scale = summarize(repeats) { gray.scalePyramid(schedule) }
                octave = summarize(repeats) { gray.octavePyramid(levels: pyramids.octaveLevels) }
            }
            entries.append(SurveyEntry(relativePath: file.relativePath, format: decoded.format, role: file.role,
                                       width: decoded.width, height: decoded.height,
                                       channels: decoded.sourceChannels, bitDepth: decoded.sourceBitDepth,
                                       decodeSeconds: median(decodeTimes), decodeCPUSeconds: median(decodeCPUTimes),
                                       decodeMeanSeconds: mean(decodeTimes), decodeMeanCPUSeconds: mean(decodeCPUTimes),
                                       scalePyramid: scale, octavePyramid: octave))
        }
        failures.sort { DatasetFolder.scanOrder($0.relativePath, $1.relativePath) }
        return ImageSurvey(root: folder, pyramids: pyramids, entries: entries, failures: failures, skipped: scan.skipped,
                           repeats: repeats)
    }

    /// `body`'s result, wall time and this thread's CPU time, seconds.
    private static func timed<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (T, Double, Double) {
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let start = clock.now
        let value = try body()
        let elapsed = clock.now - start
        let cpu = threadCPUSeconds() - cpuStart
        return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, cpu)
    }

    /// CLOCK_THREAD_CPUTIME_ID, seconds.
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    private static func summarize<C>(_ repeats: Int, _ build: () -> ImagePyramid<C>) -> PyramidSummary {
        var times: [Double] = [], cpuTimes: [Double] = []
        var pyramid: ImagePyramid<C>?
        if repeats > 1 { _ = build() }  // untimed warm-up
        for _ in 0..<repeats {
            let (built, seconds, cpuSeconds) = timed { build() }
            pyramid = built
            times.append(seconds)
            cpuTimes.append(cpuSeconds)
        }
        return PyramidSummary(pyramid!, buildSeconds: median(times), buildCPUSeconds: median(cpuTimes))
    }

    /// Arithmetic mean.
    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// Median (mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The survey as a table, one line per file, failures and skipped files after.
    public func table() -> String {
        var lines: [[String]] = [["path", "format", "role", "size", "ch", "bits", "decode ms", "levels", "expansion", "octaves", "oct. exp."]]
        for e in entries {
            lines.append([e.relativePath, e.format.rawValue, e.role.rawValue, "\(e.width)×\(e.height)", "\(e.channels)",
                          "\(e.bitDepth)", String(format: "%.2f", e.decodeSeconds * 1000),
                          "\(e.scalePyramid.levels)", String(format: "%.2f", e.scalePyramid.expansion),
                          "\(e.octavePyramid.levels)", String(format: "%.3f", e.octavePyramid.expansion)])
        }
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max()! }
        var text = lines.map { row in
            row.enumerated().map { column, cell in
                column == 0 || column == 1 || column == 2 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
        text += "\n\(entries.count) image(s) decoded, \(failures.count) failed, \(skipped.count) skipped; "
        text += "fine-scale pyramid: step \(pyramids.step) down to \(pyramids.minimumWidth)×\(pyramids.minimumHeight); "
        text += "octave pyramid: \(pyramids.octaveLevels) levels\n"
        if !failures.isEmpty {
            text += "\nfailed:\n" + failures.map { "  \($0.message)" }.joined(separator: "\n") + "\n"
        }
        if !skipped.isEmpty {
            text += "\nskipped:\n" + skipped.map { "  \($0)" }.joined(separator: "\n") + "\n"
        }
        return text
    }

    /// The survey as JSON (schema `joulebench.images/1`, keys documented in docs/IMAGING.md),
    /// keys sorted, pretty-printed.
    public func json() throws -> String {
        struct Pyramid: Encodable {
            let levels: Int
            let pixelsPerLevel: [Int]
            let expansion: Double
            let milliseconds: Double
            let cpuMilliseconds: Double
        }
        struct Entry: Encodable {
            let path: String, format: String, role: String
            let width: Int, height: Int, channels: Int, bitDepth: Int
            let decodeMilliseconds: Double
            let decodeCPUMilliseconds: Double
            let decodeMeanMilliseconds: Double
            let decodeMeanCPUMilliseconds: Double
            let scalePyramid: Pyramid, octavePyramid: Pyramid
        }
        struct Failure: Encodable { let path: String, code: String, error: String }
        struct Settings: Encodable { let step: Double, minWidth: Int, minHeight: Int, octaveLevels: Int }
        struct Document: Encodable {
            let schema: String, folder: String, repeats: Int
            let pyramids: Settings
            let images: [Entry], failures: [Failure], skipped: [String]
            /// Relative path → reason, for every entry of `skipped` (added beside the
            /// path list so that readers of `images/1` keep working).
            let skippedReasons: [String: String]
        }
        func pyramid(_ p: PyramidSummary) -> Pyramid { Pyramid(levels: p.levels, pixelsPerLevel: p.pixelsPerLevel, expansion: p.expansion,
                                                            milliseconds: p.buildSeconds * 1000, cpuMilliseconds: p.buildCPUSeconds * 1000) }
        let document = Document(
            schema: "joulebench.images/1", folder: root.path, repeats: repeats,
            pyramids: Settings(step: pyramids.step, minWidth: pyramids.minimumWidth, minHeight: pyramids.minimumHeight,
                               octaveLevels: pyramids.octaveLevels),
            images: entries.map { e in
                Entry(path: e.relativePath, format: e.format.rawValue, role: e.role.rawValue, width: e.width, height: e.height,
                      channels: e.channels, bitDepth: e.bitDepth, decodeMilliseconds: e.decodeSeconds * 1000,
                      decodeCPUMilliseconds: e.decodeCPUSeconds * 1000,
                      decodeMeanMilliseconds: e.decodeMeanSeconds * 1000, decodeMeanCPUMilliseconds: e.decodeMeanCPUSeconds * 1000,
                      scalePyramid: pyramid(e.scalePyramid), octavePyramid: pyramid(e.octavePyramid))
            },
            failures: failures.map { Failure(path: $0.relativePath, code: $0.code, error: $0.message) },
            skipped: skipped.map(\.relativePath),
            skippedReasons: Dictionary(skipped.map { ($0.relativePath, $0.reason.description) }, uniquingKeysWith: { first, _ in first }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
