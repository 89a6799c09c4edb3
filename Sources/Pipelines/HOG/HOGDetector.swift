import Foundation
import Imaging
import Workloads

/// Parameters of multi-scale detection, with OpenCV's `detectMultiScale` defaults.
public struct HOGDetectionParameters: Hashable, Sendable, Codable {
    /// Windows scoring at least this are hits (OpenCV `hitThreshold`, default 0).
    public var hitThreshold: Double = 0
    /// Window stride in pixels, a positive multiple of 8 (OpenCV default: 8).
    public var windowStridePixels: Int = 8
    /// Padding added on every side of each level before windows are placed (rounded up
    /// to a multiple of 8 as OpenCV does; padded pixels mirror the image,
    /// `BORDER_REFLECT_101`). OpenCV's default is 0.
    public var paddingPixels: Int = 0
    /// Ratio between consecutive pyramid levels (default 1.05); ≤ 1 gives one level.
    public var scaleStep: Double = 1.05
    /// At most this many pyramid levels (default 64).
    public var maxLevels: Int = 64
    public var grouping: HOGGrouping = .openCVDefault
    /// Worker threads over pyramid levels (default 2, the machine's cores).
    public var threads: Int = 2

    public init() {}

    func validated() throws(HOGError) -> HOGDetectionParameters {
        guard windowStridePixels > 0, windowStridePixels % 8 == 0 else {
            throw HOGError(.invalidParameter, "window stride \(windowStridePixels) px must be a positive multiple of the 8-pixel cell", subject: "windowStridePixels")
        }
        guard paddingPixels >= 0, paddingPixels <= 4096 else {
            throw HOGError(.invalidParameter, "padding \(paddingPixels) px must be in 0…4096", subject: "paddingPixels")
        }
        guard scaleStep.isFinite, scaleStep > 0 else {
            throw HOGError(.invalidParameter, "scale step \(scaleStep) must be a positive number", subject: "scaleStep")
        }
        guard maxLevels >= 1 else {
            throw HOGError(.invalidParameter, "maxLevels \(maxLevels) must be at least 1", subject: "maxLevels")
        }
        guard threads >= 1, threads <= 64 else {
            throw HOGError(.invalidParameter, "threads \(threads) must be in 1…64", subject: "threads")
        }
        guard hitThreshold.isFinite else {
            throw HOGError(.invalidParameter, "hit threshold must be a finite number", subject: "hitThreshold")
        }
        switch grouping {
        case .opencv(let threshold, let eps):
            guard threshold >= 0, eps.isFinite, eps >= 0 else {
                throw HOGError(.invalidParameter, "grouping threshold \(threshold) and eps \(eps) must be non-negative", subject: "grouping")
            }
        case .nonMaximumSuppression(let iou):
            guard iou.isFinite, iou >= 0, iou <= 1 else {
                throw HOGError(.invalidParameter, "NMS IoU threshold \(iou) must be in 0…1", subject: "grouping")
            }
        case .none: break
        }
        var p = self
        p.paddingPixels = (paddingPixels + 7) / 8 * 8
        return p
    }
}

/// One pyramid level as it was processed.
public struct HOGLevelReport: Codable, Hashable, Sendable {
    /// Level image size = input size / scale, rounded half to even.
    public var scale: Double
    public var width: Int
    public var height: Int
    /// Size after padding (the gradient image).
    public var paddedWidth: Int
    public var paddedHeight: Int
    public var blocksX: Int
    public var blocksY: Int
    public var windows: Int
    public var hits: Int
}

/// What `detect` returns: the detections, the raw hits and per-level facts, and the Trace.
public struct HOGDetectionResult: Sendable {
    /// Grouped (or suppressed) detections in input-image pixels, clipped to the image.
    public var detections: [HOGDetection]
    /// Every window hit of every level before grouping, in input-image pixels (unclipped).
    public var rawHits: [HOGDetection]
    public var levels: [HOGLevelReport]
    /// Gradient, binning, block normalisation and SVM per level as streaming operators.
    public var trace: Trace
    /// Pixels of all (unpadded) pyramid levels / input pixels.
    public var pyramidExpansion: Double
    /// Wall time of the whole detection, seconds.
    public var wallTimeSeconds: Double
}

/// Dalal–Triggs HOG pedestrian detection, equal to OpenCV's `HOGDescriptor` defaults
/// (see docs/HOG.md for the algorithm as implemented and the agreement measured).
public struct HOGDetector: Sendable {
    public let svm: HOGLinearSVM
    let rows: [Float]

    public init(svm: HOGLinearSVM) {
        self.svm = svm
        self.rows = svm.weightsByBlockRow
    }

    /// The detector with OpenCV's default people SVM (shipped with this module).
    public static func defaultPeople() throws(HOGError) -> HOGDetector {
        HOGDetector(svm: try HOGLinearSVM.defaultPeopleDetector())
    }

    /// The 3780-value descriptor of a 64×128 image, as OpenCV's `HOGDescriptor::compute`
    /// computes it for a window that is the whole image (borders mirrored).
    public func descriptor(window image: Image<UInt8>) throws(HOGError) -> [Float] {
        guard image.width == HOGGeometry.windowWidthPixels, image.height == HOGGeometry.windowHeightPixels else {
            throw HOGError(.invalidImage, "a descriptor window is 64×128 pixels; got \(image.width)×\(image.height)")
        }
        var stats = HOGFeatureStats()
        let map = HOGFeatureKernel.blockMap(of: image, padding: 0, stats: &stats)
        return map.descriptor(windowBlockX: 0, windowBlockY: 0)
    }

    /// OpenCV's pyramid: scales 1, s, s², … while the rounded level is at least the
    /// window, at most `maxLevels`, and always at least one level.
    static func levelScales(width: Int, height: Int, scaleStep: Double, maxLevels: Int) -> [Double] {
        // OpenCV: a step ≤ 1 gives the base level alone.
        guard scaleStep > 1 else { return [1] }
        return ScaleSchedule(step: scaleStep, minimumWidth: HOGGeometry.windowWidthPixels,
                             minimumHeight: HOGGeometry.windowHeightPixels, maxLevels: maxLevels)
            .levels(width: width, height: height).map(\.scale)
    }

    /// Multi-scale detection with `detectMultiScale`'s semantics: each level is the input
    /// resized (bilinear, `INTER_LINEAR_EXACT`) to input / scale, padded, its block
    /// histograms computed once and shared by every window; windows at the stride scoring
    /// at least the hit threshold are hits, mapped back to input pixels
    /// (`round(p · scale)`, window `round(64 · scale) × round(128 · scale)`); hits of
    /// all levels are grouped and clipped to the image. An image smaller than the window
    /// gives no detections.
    public func detect(_ image: Image<UInt8>, parameters: HOGDetectionParameters = HOGDetectionParameters(), inputPath: String? = nil) throws(HOGError) -> HOGDetectionResult {
        let p = try parameters.validated()
        let start = hogNow()
        let scales = HOGDetector.levelScales(width: image.width, height: image.height, scaleStep: p.scaleStep, maxLevels: p.maxLevels)
        let work = HOGLevelWork(count: scales.count)
        // Largest levels first so the two workers finish together.
        let order = Array(scales.indices)
        let next = HOGCounter()
        let detector = self
        DispatchQueue.concurrentPerform(iterations: min(p.threads, scales.count)) { _ in
            while true {
                let k = next.take()
                if k >= order.count { break }
                let level = order[k]
                work.store(detector.runLevel(image, scale: scales[level], parameters: p), at: level)
            }
        }
        let outcomes = work.results()
        let rawHits = outcomes.flatMap(\.hits)
        let detections = HOGGroupingKernel.apply(p.grouping, to: rawHits, width: image.width, height: image.height)
        let pyramidPixels = outcomes.reduce(0) { $0 + $1.report.width * $1.report.height }
        let expansion = Double(pyramidPixels) / Double(image.width * image.height)
        let trace = HOGTraceBuilder.trace(
            outcomes: outcomes, width: image.width, height: image.height, channels: image.channelCount,
            inputPath: inputPath, parameters: p, expansion: expansion,
            svmWeightZeros: svm.weights.filter { $0 == 0 }.count)
        return HOGDetectionResult(
            detections: detections, rawHits: rawHits, levels: outcomes.map(\.report), trace: trace,
            pyramidExpansion: expansion, wallTimeSeconds: hogNow() - start)
    }

    /// The Trace of detection on a `width`×`height` image with `channels` (1 or 3)
    /// without running it: the same operators, shapes and footprints as a run's trace
    /// (they depend only on the sizes), with no measured facts and no input identity —
    /// what `EnergyModel` needs to price HOG at a resolution without an image.
    public static func shapeTrace(width: Int, height: Int, channels: Int,
                                  parameters: HOGDetectionParameters = HOGDetectionParameters()) throws(HOGError) -> Trace {
        guard width >= 1, height >= 1, channels == 1 || channels == 3 else {
            throw HOGError(.invalidImage, "a shape trace needs sides ≥ 1 and 1 or 3 channels; got \(width)×\(height)×\(channels)")
        }
        let p = try parameters.validated()
        let outcomes = levelScales(width: width, height: height, scaleStep: p.scaleStep, maxLevels: p.maxLevels).map { scale in
            let w = max(Int((Double(width) / scale).rounded(.toNearestOrEven)), 1)
            let h = max(Int((Double(height) / scale).rounded(.toNearestOrEven)), 1)
            var stats = HOGFeatureStats()
            stats.paddedWidth = w + 2 * p.paddingPixels; stats.paddedHeight = h + 2 * p.paddingPixels
            stats.channels = channels
            stats.cellsX = stats.paddedWidth / 8; stats.cellsY = stats.paddedHeight / 8
            stats.binnedPixels = stats.cellsX * stats.cellsY * 64
            let (blocksX, blocksY, windows) = windowGrid(paddedWidth: stats.paddedWidth, paddedHeight: stats.paddedHeight,
                                                         strideBlocks: p.windowStridePixels / 8)
            let report = HOGLevelReport(scale: scale, width: w, height: h, paddedWidth: stats.paddedWidth,
                                        paddedHeight: stats.paddedHeight, blocksX: blocksX, blocksY: blocksY,
                                        windows: windows, hits: 0)
            return LevelOutcome(report: report, hits: [], stats: stats, resizeSeconds: 0, svmSeconds: 0, zeroScores: 0)
        }
        let pyramidPixels = outcomes.reduce(0) { $0 + $1.report.width * $1.report.height }
        return HOGTraceBuilder.trace(
            outcomes: outcomes, width: width, height: height, channels: channels, inputPath: nil, parameters: p,
            expansion: Double(pyramidPixels) / Double(width * height), svmWeightZeros: 0, measured: false)
    }

    /// Windows scored at the base level (scale 1) of a `width`×`height` image: 0 when the
    /// image, padded on every side by the padding rounded up to a multiple of 8, is
    /// narrower than 64 or lower than 128 pixels. Every other level is smaller, so 0 here
    /// means no window anywhere: the trace of such a run holds no SVM (nor, below 8 pixels,
    /// any operator) and prices nothing meaningful.
    public static func baseLevelWindows(width: Int, height: Int,
                                        parameters: HOGDetectionParameters = HOGDetectionParameters()) throws(HOGError) -> Int {
        let p = try parameters.validated()
        return windowGrid(paddedWidth: width + 2 * p.paddingPixels, paddedHeight: height + 2 * p.paddingPixels,
                          strideBlocks: p.windowStridePixels / 8).windows
    }

    /// The 2×2-cell blocks (8-pixel cells) across and down a padded level, and the
    /// detection windows among them at a stride of `strideBlocks` (0 when a window does not fit).
    static func windowGrid(paddedWidth: Int, paddedHeight: Int, strideBlocks: Int) -> (blocksX: Int, blocksY: Int, windows: Int) {
        let blocksX = max(paddedWidth / 8 - 1, 0), blocksY = max(paddedHeight / 8 - 1, 0)
        guard blocksX >= HOGGeometry.blocksPerWindowX, blocksY >= HOGGeometry.blocksPerWindowY else { return (blocksX, blocksY, 0) }
        let windows = ((blocksX - HOGGeometry.blocksPerWindowX) / strideBlocks + 1) * ((blocksY - HOGGeometry.blocksPerWindowY) / strideBlocks + 1)
        return (blocksX, blocksY, windows)
    }

    /// Refuses, before any work, a run whose trace would score no window (see
    /// ``baseLevelWindows(width:height:parameters:)``): an `.imageSmallerThanWindow`
    /// error naming `image` and the sizes. `detect` itself still runs on such an image and
    /// finds nothing; this is for callers that would write its trace.
    public static func checkAWindowFits(width: Int, height: Int, parameters: HOGDetectionParameters = HOGDetectionParameters(),
                                        image: String? = nil) throws(HOGError) {
        guard try baseLevelWindows(width: width, height: height, parameters: parameters) == 0 else { return }
        let padding = try parameters.validated().paddingPixels
        let padded = padding > 0 ? " (\(width + 2 * padding)×\(height + 2 * padding) with its \(padding)-pixel padding)" : ""
        throw HOGError(.imageSmallerThanWindow,
                       "the \(width)×\(height) image\(padded) is smaller than the \(HOGGeometry.windowWidthPixels)×\(HOGGeometry.windowHeightPixels) detection window: no window to score, so there is nothing to trace",
                       subject: image)
    }

    struct LevelOutcome: Sendable {
        var report: HOGLevelReport
        var hits: [HOGDetection]
        var stats: HOGFeatureStats
        var resizeSeconds: Double
        var svmSeconds: Double
        var zeroScores: Int
    }

    func runLevel(_ image: Image<UInt8>, scale: Double, parameters p: HOGDetectionParameters) -> LevelOutcome {
        let t0 = hogNow()
        let w = Int((Double(image.width) / scale).rounded(.toNearestOrEven))
        let h = Int((Double(image.height) / scale).rounded(.toNearestOrEven))
        let level = image.resized(width: max(w, 1), height: max(h, 1), interpolation: .linearExact)
        let t1 = hogNow()
        var stats = HOGFeatureStats()
        let map = HOGFeatureKernel.blockMap(of: level, padding: p.paddingPixels, stats: &stats)
        let t2 = hogNow()
        let strideBlocks = p.windowStridePixels / 8
        // Windows must fit in the padded image (not only on the block grid).
        let (scores, nwx, nwy) = HOGSVMKernel.scores(map: map, rows: rows, bias: svm.bias, strideBlocks: strideBlocks)
        let t3 = hogNow()
        var hits: [HOGDetection] = []
        let winW = Int((Double(HOGGeometry.windowWidthPixels) * scale).rounded(.toNearestOrEven))
        let winH = Int((Double(HOGGeometry.windowHeightPixels) * scale).rounded(.toNearestOrEven))
        var zeroScores = 0
        for wy in 0..<nwy {
            for wx in 0..<nwx {
                let s = Double(scores[wy * nwx + wx])
                if s == 0 { zeroScores += 1 }
                guard s >= p.hitThreshold else { continue }
                let px = wx * p.windowStridePixels - p.paddingPixels
                let py = wy * p.windowStridePixels - p.paddingPixels
                hits.append(HOGDetection(
                    x: Int((Double(px) * scale).rounded(.toNearestOrEven)),
                    y: Int((Double(py) * scale).rounded(.toNearestOrEven)),
                    width: winW, height: winH, score: s))
            }
        }
        let report = HOGLevelReport(
            scale: scale, width: level.width, height: level.height,
            paddedWidth: stats.paddedWidth, paddedHeight: stats.paddedHeight,
            blocksX: map.blocksX, blocksY: map.blocksY, windows: nwx * nwy, hits: hits.count)
        return LevelOutcome(report: report, hits: hits, stats: stats, resizeSeconds: t1 - t0, svmSeconds: t3 - t2, zeroScores: zeroScores)
    }
}

/// Next level index for the workers.
final class HOGCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}

/// Per-level outcomes written by the workers.
final class HOGLevelWork: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [HOGDetector.LevelOutcome?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func store(_ outcome: HOGDetector.LevelOutcome, at index: Int) { lock.lock(); slots[index] = outcome; lock.unlock() }
    func results() -> [HOGDetector.LevelOutcome] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
