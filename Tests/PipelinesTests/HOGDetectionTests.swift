import Foundation
import Imaging
import Testing
import Workloads
@testable import Pipelines

/// A deterministic pseudo-random 8-bit image.
func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image<UInt8> {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for i in pixels.indices {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        pixels[i] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return Image<UInt8>(width: width, height: height, layout: channels == 1 ? .gray : .rgb, components: pixels)
}

@Suite struct HOGKernelTests {
    @Test func arctangentPolynomialIsWithinAHundredthOfADegree() {
        var worst: Double = 0
        for i in stride(from: -20.0, through: 20.0, by: 0.37) {
            for j in stride(from: -20.0, through: 20.0, by: 0.41) where i != 0 || j != 0 {
                var exact = atan2(j, i) * 180 / .pi
                if exact < 0 { exact += 360 }
                let approx = Double(hogAtanDegreesScalar(Float(j), Float(i)))
                worst = max(worst, min(abs(approx - exact), abs(abs(approx - exact) - 360)))
            }
        }
        #expect(worst < 0.01, "worst \(worst)°")
    }

    @Test(arguments: [(-3, 5, 3), (-1, 5, 1), (0, 5, 0), (4, 5, 4), (5, 5, 3), (7, 5, 1), (-2, 1, 0), (9, 2, 1)])
    func reflect101MirrorsWithoutRepeatingTheEdge(_ i: Int, _ n: Int, _ expected: Int) {
        #expect(reflect101(i, n) == expected)
    }

    /// Naive per-block HOG, written from the definition (double-precision atan2 instead of
    /// the polynomial), against the streaming kernel.
    @Test(arguments: [(1, 0), (3, 0), (3, 8), (1, 16)])
    func blockMapEqualsNaivePerBlockReference(_ channels: Int, _ padding: Int) {
        let image = randomImage(width: 45, height: 37, channels: channels, seed: 7)
        var stats = HOGFeatureStats()
        let map = HOGFeatureKernel.blockMap(of: image, padding: padding, stats: &stats)
        let pw = image.width + 2 * padding, ph = image.height + 2 * padding
        #expect(map.blocksX == pw / 8 - 1 && map.blocksY == ph / 8 - 1)
        func gamma(_ x: Int, _ y: Int, _ c: Int) -> Double {
            Double(image[reflect101(x - padding, image.width), reflect101(y - padding, image.height), c]).squareRoot()
        }
        var worst: Double = 0
        for by in 0..<map.blocksY {
            for bx in 0..<map.blocksX {
                var hist = [Double](repeating: 0, count: 36)
                for i in 0..<16 {
                    for j in 0..<16 {
                        let x = bx * 8 + j, y = by * 8 + i
                        var best = (dx: 0.0, dy: 0.0, m: -1.0)
                        for c in (channels == 3 ? [2, 1, 0] : [0]) {
                            let dx = gamma(x + 1, y, c) - gamma(x - 1, y, c)
                            let dy = gamma(x, y + 1, c) - gamma(x, y - 1, c)
                            if dx * dx + dy * dy > best.m { best = (dx, dy, dx * dx + dy * dy) }
                        }
                        let mag = best.m.squareRoot()
                        var angle = atan2(best.dy, best.dx); if angle < 0 { angle += 2 * .pi }
                        let a = angle * 9 / .pi - 0.5
                        let lower = a.rounded(.down), frac = a - lower
                        let b0 = (Int(lower) + 18) % 9, b1 = (b0 + 1) % 9
                        let gauss = exp(-(Double((i - 8) * (i - 8) + (j - 8) * (j - 8))) / 32)
                        for cx in 0..<2 {
                            for cy in 0..<2 {
                                let tx = max(0, 1 - abs(Double(j) + 0.5 - Double(4 + 8 * cx)) / 8)
                                let ty = max(0, 1 - abs(Double(i) + 0.5 - Double(4 + 8 * cy)) / 8)
                                let w = gauss * tx * ty * mag
                                hist[(cx * 2 + cy) * 9 + b0] += w * (1 - frac)
                                hist[(cx * 2 + cy) * 9 + b1] += w * frac
                            }
                        }
                    }
                }
                var norm = hist.reduce(0) { $0 + $1 * $1 }.squareRoot() + 3.6
                hist = hist.map { min($0 / norm, 0.2) }
                norm = hist.reduce(0) { $0 + $1 * $1 }.squareRoot() + 1e-3
                hist = hist.map { $0 / norm }
                for (k, v) in map.block(bx, by).enumerated() { worst = max(worst, abs(Double(v) - hist[k])) }
            }
        }
        #expect(worst < 2e-4, "worst difference \(worst)")
    }

    @Test(arguments: [1, 2])
    func svmKernelEqualsDescriptorDotProducts(_ strideBlocks: Int) throws {
        let detector = try HOGDetector.defaultPeople()
        let image = randomImage(width: 100, height: 150, channels: 1, seed: 3)
        var stats = HOGFeatureStats()
        let map = HOGFeatureKernel.blockMap(of: image, padding: 8, stats: &stats)
        let (scores, nwx, nwy) = HOGSVMKernel.scores(map: map, rows: detector.rows, bias: detector.svm.bias, strideBlocks: strideBlocks)
        #expect(nwx == (map.blocksX - 7) / strideBlocks + 1 && nwy == (map.blocksY - 15) / strideBlocks + 1)
        for wy in 0..<nwy {
            for wx in 0..<nwx {
                let naive = detector.svm.score(descriptor: map.descriptor(windowBlockX: wx * strideBlocks, windowBlockY: wy * strideBlocks))
                #expect(abs(scores[wy * nwx + wx] - naive) < 1e-4)
            }
        }
    }
}

@Suite struct HOGGroupingTests {
    func box(_ x: Int, _ y: Int, _ w: Int, _ h: Int, _ s: Double) -> HOGDetection {
        HOGDetection(x: x, y: y, width: w, height: h, score: s)
    }

    @Test func opencvGroupingAveragesClassesAboveTheThresholdAndKeepsTheBestScore() {
        let hits = [box(10, 10, 64, 128, 0.5), box(12, 10, 64, 128, 1.5), box(11, 13, 64, 128, 0.2),
                    box(300, 10, 64, 128, 3.0), box(302, 10, 64, 128, 3.0)]
        let grouped = HOGGroupingKernel.groupOpenCV(hits, threshold: 2, eps: 0.2)
        // Three similar boxes survive as their mean (11, 11) with the largest score; the pair does not.
        #expect(grouped == [box(11, 11, 64, 128, 1.5)])
        #expect(HOGGroupingKernel.groupOpenCV(hits, threshold: 1, eps: 0.2).count == 2)
        #expect(HOGGroupingKernel.groupOpenCV(hits, threshold: 0, eps: 0.2) == hits)
    }

    @Test func opencvGroupingDropsASmallClassInsideALargerOne() {
        let big = (0..<5).map { box(100 + $0, 100, 200, 400, 1.0) }
        let small = (0..<3).map { box(150 + $0, 200, 64, 128, 2.0) }
        let grouped = HOGGroupingKernel.groupOpenCV(big + small, threshold: 2, eps: 0.2)
        #expect(grouped == [box(102, 100, 200, 400, 1.0)])
    }

    @Test func partitionIsTransitive() {
        // a~b and b~c but a≁c: one class.
        let (labels, classes) = HOGGroupingKernel.partition([box(0, 0, 100, 100, 0), box(18, 0, 100, 100, 0), box(36, 0, 100, 100, 0)], eps: 0.2)
        #expect(classes == 1 && labels == [0, 0, 0])
    }

    @Test func nmsKeepsTheBestOfOverlappingBoxes() {
        let hits = [box(0, 0, 64, 128, 0.5), box(4, 4, 64, 128, 0.9), box(200, 0, 64, 128, 0.1)]
        #expect(HOGGroupingKernel.nonMaximumSuppression(hits, iouThreshold: 0.3) == [box(4, 4, 64, 128, 0.9), box(200, 0, 64, 128, 0.1)])
    }

    @Test func clippingIntersectsWithTheImageAndDropsEmptyBoxes() {
        let clipped = HOGGroupingKernel.clip([box(-8, -8, 64, 128, 1), box(500, 0, 10, 10, 2)], width: 100, height: 100)
        #expect(clipped == [box(0, 0, 56, 100, 1)])
    }
}

@Suite struct HOGDetectorTests {
    static func personCrop() throws -> Image<UInt8> {
        try ImageDecoder.decode(contentsOf: HOGFixtures.url("person_crop_240x394.png")).image8()
    }
    static func opencv() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: HOGFixtures.url("person_crop_240x394_opencv.json"))) as! [String: Any]
    }
    static func boxes(_ any: Any?) -> [HOGDetection] {
        (any as! [[Double]]).map { HOGDetection(x: Int($0[0]), y: Int($0[1]), width: Int($0[2]), height: Int($0[3]), score: $0[4]) }
    }
    static func expectSame(_ ours: [HOGDetection], _ theirs: [HOGDetection]) {
        #expect(ours.count == theirs.count)
        for t in theirs {
            let match = ours.first { $0.x == t.x && $0.y == t.y && $0.width == t.width && $0.height == t.height }
            #expect(match != nil, "OpenCV box \(t) not found")
            if let match { #expect(abs(match.score - t.score) < 1e-3) }
        }
    }

    /// The person crop: OpenCV 4.14's detectMultiScale result (fixture JSON) — grouped,
    /// raw hits, and raw hits with 8 pixels of padding.
    @Test func detectMultiScaleEqualsOpenCVOnThePersonCrop() throws {
        let detector = try HOGDetector.defaultPeople()
        let image = try Self.personCrop()
        let reference = try Self.opencv()
        let grouped = try detector.detect(image)
        Self.expectSame(grouped.detections, Self.boxes(reference["boxes"]))
        var p = HOGDetectionParameters(); p.grouping = .opencv(threshold: 0, eps: 0.2)
        Self.expectSame(try detector.detect(image, parameters: p).detections, Self.boxes(reference["raw_hits_group0"]))
        p.paddingPixels = 8; p.threads = 1
        Self.expectSame(try detector.detect(image, parameters: p).detections, Self.boxes(reference["raw_hits_padding8_group0"]))
    }

    @Test func theReferenceWindowIsOneHitWithItsScore() throws {
        let detector = try HOGDetector.defaultPeople()
        var p = HOGDetectionParameters(); p.grouping = .none
        let result = try detector.detect(HOGFixtures.window(), parameters: p)
        #expect(result.levels.count == 1)
        #expect(result.rawHits.count == 1)
        #expect(abs((result.rawHits.first?.score ?? 0) - 1.8157) < 0.01)
        #expect(result.detections.first.map { ($0.x, $0.y, $0.width, $0.height) } ?? (0, 0, 0, 0) == (0, 0, 64, 128))
    }

    @Test func rgbaIsDetectedOnItsColourChannels() throws {
        let rgb = randomImage(width: 70, height: 130, channels: 3, seed: 11)
        var rgba: [UInt8] = []
        for i in 0..<(70 * 130) { rgba += rgb.components[(3 * i)..<(3 * i + 3)]; rgba.append(UInt8(i & 255)) }
        let fromRGBA = try Image<UInt8>.hogInput(width: 70, height: 130, channels: 4, pixels: rgba)
        #expect(fromRGBA == rgb)
        let detector = try HOGDetector.defaultPeople()
        var p = HOGDetectionParameters(); p.grouping = .none; p.hitThreshold = -100
        #expect(try detector.detect(fromRGBA, parameters: p).rawHits == detector.detect(rgb, parameters: p).rawHits)
    }

    @Test(arguments: [(1, 1, 1), (63, 200, 3), (200, 127, 1), (64, 128, 3)])
    func imagesSmallerThanTheWindowGiveNoDetections(_ w: Int, _ h: Int, _ c: Int) throws {
        let detector = try HOGDetector.defaultPeople()
        var p = HOGDetectionParameters(); p.hitThreshold = -1000; p.grouping = .none
        let result = try detector.detect(randomImage(width: w, height: h, channels: c, seed: 5), parameters: p)
        #expect(result.rawHits.count == (w >= 64 && h >= 128 ? 1 : 0))
        #expect(result.levels.count == 1)
    }

    @Test func badDetectorFilesAreRejectedWithTheirReason() {
        #expect(throws: HOGError.self) { try HOGLinearSVM(text: "1 2 3", source: "short.txt") }
        do {
            _ = try HOGLinearSVM(text: String(repeating: "0.5\n", count: 3780), source: "d.txt")
            Issue.record("a 3780-value file must be rejected")
        } catch {
            #expect(error.code == .invalidDetector && error.description.contains("d.txt") && error.description.contains("3780"))
        }
        #expect(throws: HOGError.self) { try HOGLinearSVM(text: String(repeating: "x\n", count: 3781), source: "nan.txt") }
        #expect(throws: HOGError.self) { try HOGLinearSVM(contentsOf: URL(fileURLWithPath: "/nonexistent/detector.txt")) }
    }

    /// An image (or any binary file) given as a detector is refused as what it is not:
    /// a UTF-8 text file (found by a new-user trial: a JPEG got Foundation's "The file
    /// isn't in the correct format.").
    @Test(arguments: [[UInt8](), [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46], [0x30, 0x2E, 0x35, 0x00, 0x31]])
    func aDetectorFileThatIsNotUTF8TextIsRefusedAsSuch(_ bytes: [UInt8]) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hog-detector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("det.jpg")
        try Data(bytes).write(to: file)
        let error = try #require(throws: HOGError.self) { try HOGLinearSVM(contentsOf: file) }
        #expect(error.code == .invalidDetector && error.subject == file.path)
        // An empty file is text (with no coefficients); the others are not text at all.
        #expect(error.reason.hasPrefix("is not a UTF-8 text file, so not a detector") == !bytes.isEmpty, "\(error.reason)")
        // A real image file, the fixture PNG, is refused the same way.
        let png = try #require(throws: HOGError.self) { try HOGLinearSVM(contentsOf: HOGFixtures.url("window_person_64x128.png")) }
        #expect(png.reason == "is not a UTF-8 text file, so not a detector (a detector file holds 3780 weights then the bias, as decimal numbers)")
    }

    /// `baseLevelWindows` counts, from the sizes alone, the windows a run scores at its
    /// base level, and `checkAWindowFits` refuses exactly the sizes where that is 0
    /// (the image, padded, smaller than 64×128: a trace of it would price nothing).
    @Test(arguments: [(1, 1, 0, 0), (63, 128, 0, 0), (64, 127, 0, 0), (64, 128, 0, 1), (48, 112, 8, 1), (47, 112, 8, 0),
                      (40, 104, 12, 4), (100, 150, 0, 15)])
    func baseLevelWindowsAgreeWithARunAndDecideWhatCanBeTraced(_ w: Int, _ h: Int, _ padding: Int, _ windows: Int) throws {
        var p = HOGDetectionParameters(); p.paddingPixels = padding
        #expect(try HOGDetector.baseLevelWindows(width: w, height: h, parameters: p) == windows)
        let result = try HOGDetector.defaultPeople().detect(randomImage(width: w, height: h, channels: 1, seed: 9), parameters: p)
        #expect(result.levels.first?.windows == windows)
        if windows == 0 {
            let error = try #require(throws: HOGError.self) {
                try HOGDetector.checkAWindowFits(width: w, height: h, parameters: p, image: "one.png")
            }
            #expect(error.code == .imageSmallerThanWindow && error.subject == "one.png")
            #expect(error.description.hasPrefix("one.png: the \(w)×\(h) image"))
            #expect(error.description.hasSuffix("is smaller than the 64×128 detection window: no window to score, so there is nothing to trace"))
            #expect(result.detections.isEmpty && result.rawHits.isEmpty)
        } else {
            try HOGDetector.checkAWindowFits(width: w, height: h, parameters: p, image: "one.png")
            #expect(result.trace.operators.contains { $0.shape.kind == .hogSVM })
        }
    }

    @Test func badBuffersAndParametersAreRejected() throws {
        #expect(throws: HOGError.self) { try Image<UInt8>.hogInput(width: 2, height: 2, channels: 3, pixels: [1, 2]) }
        #expect(throws: HOGError.self) { try Image<UInt8>.hogInput(width: 0, height: 2, channels: 1, pixels: []) }
        #expect(throws: HOGError.self) { try Image<UInt8>.hogInput(width: 1, height: 1, channels: 2, pixels: [1, 2]) }
        let detector = try HOGDetector.defaultPeople()
        let image = randomImage(width: 64, height: 128, channels: 1, seed: 1)
        for change in [{ (p: inout HOGDetectionParameters) in p.windowStridePixels = 4 },
                       { p in p.scaleStep = .nan }, { p in p.maxLevels = 0 }, { p in p.threads = 0 },
                       { p in p.paddingPixels = -1 }, { p in p.grouping = .nonMaximumSuppression(iouThreshold: 2) }] {
            var p = HOGDetectionParameters(); change(&p)
            #expect(throws: HOGError.self) { try detector.detect(image, parameters: p) }
        }
        #expect(throws: HOGError.self) { try detector.descriptor(window: image.resized(width: 64, height: 64)) }
    }

    @Test func traceHasFourStreamingOperatorsPerLevelAndTheirCounts() throws {
        let detector = try HOGDetector.defaultPeople()
        let image = try Self.personCrop()
        let result = try detector.detect(image)
        let trace = result.trace
        #expect(trace.inputPixels == 240 * 394)
        #expect(trace.model.source == "hog")
        let levels = result.levels.count
        let kinds = trace.operators.map(\.shape.kind)
        #expect(kinds.filter { $0 == .hogGradient }.count == levels)
        #expect(kinds.filter { $0 == .hogBinning }.count == levels)
        #expect(kinds.filter { $0 == .hogBlockNormalisation }.count == levels)
        #expect(kinds.filter { $0 == .hogSVM }.count == levels)
        #expect(kinds.filter { $0 == .hogPyramidResize }.count == levels - 1)
        #expect(trace.operators.allSatisfy { $0.shape.kind.category == .streaming && $0.shape.streaming != nil && $0.measured != nil })
        let svmMACs = trace.operators.filter { $0.shape.kind == .hogSVM }.map(\.shape.macs).reduce(0, +)
        #expect(svmMACs == result.levels.map(\.windows).reduce(0, +) * 3780)
        let svm0 = trace.operators.first { $0.shape.name == "L0/svm" }!.shape
        #expect(svm0.macs == svm0.loopNest.convolutionMACs)
        // The footprint is a streaming datapath's, but bytes touched stay the software
        // kernel's: 3 gradient words per pixel in, 144 partial-histogram words per cell out.
        let binning0 = try #require(trace.operators.first { $0.shape.name == "L0/binning" })
        let cells0 = (result.levels[0].blocksX + 1) * (result.levels[0].blocksY + 1)
        #expect(binning0.measured?.bytesTouched == 4 * (3 * 64 + 144) * cells0)
        #expect(binning0.shape.outputWords == result.levels[0].blocksX * result.levels[0].blocksY * 36)
        let pyramidPixels = result.levels.map { $0.width * $0.height }.reduce(0, +)
        #expect(abs(result.pyramidExpansion - Double(pyramidPixels) / Double(240 * 394)) < 1e-12)
        #expect(trace.provenance["pyramid_expansion"] != nil)
        let decoded = try JSONDecoder().decode(Trace.self, from: trace.jsonData())
        #expect(decoded == trace)
    }

    /// Shapes depend only on sizes: the shape-only trace equals a run's, operator by operator.
    @Test(arguments: [(240, 394, 3, 0), (100, 150, 1, 8), (50, 60, 1, 0)])
    func shapeTraceEqualsTheShapesOfARun(_ w: Int, _ h: Int, _ c: Int, _ padding: Int) throws {
        var p = HOGDetectionParameters(); p.paddingPixels = padding
        let run = try HOGDetector.defaultPeople().detect(randomImage(width: w, height: h, channels: c, seed: 9), parameters: p)
        let shapes = try HOGDetector.shapeTrace(width: w, height: h, channels: c, parameters: p)
        #expect(shapes.operators.map(\.shape) == run.trace.operators.map(\.shape))
        #expect(shapes.operators.allSatisfy { $0.measured == nil })
        #expect(shapes.provenance["pyramid_expansion"] == run.trace.provenance["pyramid_expansion"])
        #expect(shapes.inputPixels == w * h)
    }

    @Test func drawnBoxesSurviveAPNGRoundTrip() throws {
        let image = randomImage(width: 40, height: 30, channels: 1, seed: 2)
        let drawn = HOGDrawing.draw([HOGDetection(x: 5, y: 5, width: 20, height: 10, score: 1)], on: image)
        #expect(drawn.layout == .rgb)
        #expect(drawn[5, 5, 1] == 255 && drawn[24, 14, 1] == 255 && drawn[15, 10, 1] == image[15, 10])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hog-draw-\(UUID()).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try PNGWriter.write(drawn, to: url)
        #expect(try ImageDecoder.decode(contentsOf: url).image8() == drawn)
        let gray = try ImageDecoder.decode(Array(PNGWriter.encode(image)), name: "gray.png").image8()
        #expect(gray == image)
    }
}

@Suite struct HOGFolderTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hog-folder-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func anEmptyFolderGivesAnEmptyReport() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try HOGFolderReport.run(folder: folder, detector: HOGDetector.defaultPeople(), parameters: HOGDetectionParameters())
        #expect(report.reports.isEmpty && report.failures.isEmpty)
        #expect(report.table().hasSuffix("no images\n"))
    }

    @Test func brokenFilesAreListedAndTinyImagesGiveNoDetections() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(PNGWriter.encode(randomImage(width: 1, height: 1, channels: 1, seed: 1))).write(to: folder.appendingPathComponent("one.png"))
        try Data([0xFF, 0xD8, 0xFF, 0x20, 0x01]).write(to: folder.appendingPathComponent("broken.jpg"))
        let report = try HOGFolderReport.run(folder: folder, detector: HOGDetector.defaultPeople(), parameters: HOGDetectionParameters())
        #expect(report.reports.map(\.image) == ["one.png"])
        #expect(report.reports.first?.detections.isEmpty == true)
        #expect(report.failures.map(\.path) == ["broken.jpg"])
        // The message names the relative path once (not the absolute one), as `joulebench images` does.
        #expect(report.failures.first.map { $0.error.hasPrefix("broken.jpg: ") && !$0.error.contains(folder.path) } == true)
        #expect(report.failures.first.map { ["truncated", "corrupt"].contains($0.code) } == true)
        #expect(report.table().contains("failed:\n  broken.jpg: "))
    }

    @Test func aMissingFolderIsAnError() throws {
        #expect(throws: DatasetError.self) {
            try HOGFolderReport.run(folder: URL(fileURLWithPath: "/nonexistent/hog-folder"), detector: HOGDetector.defaultPeople(), parameters: HOGDetectionParameters())
        }
    }
}
