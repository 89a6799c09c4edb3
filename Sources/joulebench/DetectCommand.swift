import ArgumentParser
import Foundation
import Imaging
import Pipelines

/// `joulebench detect IMAGE|FOLDER [--json] [--draw OUT.png] [--trace OUT.json]`: HOG
/// pedestrian detection with OpenCV's `detectMultiScale` defaults (docs/HOG.md).
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect pedestrians with HOG (OpenCV's default people detector) and print boxes and scores.",
        discussion: "Boxes are in input-image pixels. JSON keys and the Trace's operators: docs/HOG.md."
    )

    @Argument(help: "The image (JPEG, PNG, PGM/PPM, PFM), or a folder: every image in it, recursively.")
    var image: String

    @Flag(name: .long, help: "Print JSON (schema joulebench.detect/1) instead of a table.")
    var json = false

    @Option(name: .long, help: "Write the image with the boxes drawn to this PNG file.")
    var draw: String?

    @Option(name: .long, help: "Write the Trace (gradient, binning, block normalisation, SVM per level) to this JSON file.")
    var trace: String?

    @Option(name: .long, help: "A detector file: 3780 weights then the bias, whitespace-separated (default: OpenCV's people detector).")
    var detector: String?

    @Option(name: .long, parsing: .unconditional, help: "Hit threshold on the SVM score.")
    var hitThreshold: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "Pyramid scale step (> 1; default 1.05). OpenCV's name for it, --scale, is accepted too.")
    var step: Double?

    /// `--scale`: OpenCV's and HOG users' name for `--step` (hidden alias).
    @Option(name: .customLong("scale"), parsing: .unconditional, help: .hidden)
    var scaleAlias: Double?

    @Option(name: .long, parsing: .unconditional, help: "Window stride, pixels (multiple of 8).")
    var stride: Int = 8

    @Option(name: .long, parsing: .unconditional, help: "Padding around each level, pixels (rounded up to a multiple of 8).")
    var padding: Int = 0

    @Option(name: .long, parsing: .unconditional, help: "Maximum pyramid levels.")
    var levels: Int = 64

    @Option(name: .long, help: "Grouping: opencv (groupRectangles), nms, or none.")
    var grouping: String = "opencv"

    @Option(name: .long, parsing: .unconditional, help: "groupRectangles threshold (opencv grouping).")
    var groupThreshold: Int = 2

    @Option(name: .long, parsing: .unconditional, help: "IoU above which NMS suppresses a box.")
    var nmsIou: Double = 0.3

    @Option(name: .long, parsing: .unconditional, help: "Worker threads.")
    var threads: Int = 2

    @Option(name: .long, parsing: .unconditional, help: "Run the detection this many times and report the median time (benchmarks).")
    var repeats: Int = 1

    /// `--repeat`: the earlier name of `--repeats` (hidden alias).
    @Option(name: .customLong("repeat"), parsing: .unconditional, help: .hidden)
    var repeatAlias: Int?

    /// The pyramid step, from `--step` or its alias `--scale`.
    var scaleStep: Double { step ?? scaleAlias ?? 1.05 }
    /// The repeat count, from `--repeats` or its alias `--repeat`.
    var runs: Int { repeatAlias ?? repeats }

    func validate() throws {
        if step != nil && scaleAlias != nil { throw ValidationError("give --step or --scale (its alias), not both") }
        if repeatAlias != nil && repeats != 1 { throw ValidationError("give --repeats or --repeat (its alias), not both") }
        guard scaleStep > 1, scaleStep.isFinite else {
            throw ValidationError("--\(step == nil && scaleAlias != nil ? "scale" : "step") must be > 1")
        }
        try validateRunCount(runs, option: repeatAlias != nil ? "repeat" : "repeats")
        guard stride > 0, stride % 8 == 0 else { throw ValidationError("--stride must be a positive multiple of 8") }
        guard (0...4096).contains(padding) else { throw ValidationError("--padding must be in 0…4096") }
        guard levels >= 1 else { throw ValidationError("--levels must be at least 1") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1…64") }
        guard ["opencv", "nms", "none"].contains(grouping) else {
            throw ValidationError("--grouping must be opencv, nms or none")
        }
        guard hitThreshold.isFinite else { throw ValidationError("--hit-threshold must be finite") }
        guard (0...1).contains(nmsIou) else { throw ValidationError("--nms-iou must be in 0…1") }
        guard groupThreshold >= 0 else { throw ValidationError("--group-threshold must be at least 0") }
        if let draw, URL(fileURLWithPath: draw).pathExtension.lowercased() != "png" {
            throw ValidationError("--draw writes a PNG file; give it a .png name, not '\(draw)'")
        }
        if let draw { try checkOutputLocation(draw, option: "--draw") }
        if let trace { try checkOutputLocation(trace, option: "--trace") }
        // Every file the run reads: an output under its name would replace it (a user's detector lost to a trace).
        try checkOutputsAreDistinct(outputs: [("--draw", draw), ("--trace", trace)],
                                    inputs: [("image", image)] + (detector.map { [("--detector file", $0)] } ?? []))
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: image, isDirectory: &isDirectory), isDirectory.boolValue,
           draw != nil || trace != nil || runs != 1 {
            throw ValidationError("--draw, --trace and --repeats take a single image, not a folder")
        }
    }

    func run() throws {
        var p = HOGDetectionParameters()
        p.hitThreshold = hitThreshold; p.scaleStep = scaleStep; p.windowStridePixels = stride
        p.paddingPixels = padding; p.maxLevels = levels; p.threads = threads
        switch grouping {
        case "nms": p.grouping = .nonMaximumSuppression(iouThreshold: nmsIou)
        case "none": p.grouping = .none
        default: p.grouping = .opencv(threshold: groupThreshold, eps: 0.2)
        }
        try reportingFailures(of: "detect") {
            let hog = try detector.map { try HOGDetector(svm: HOGLinearSVM(contentsOf: URL(fileURLWithPath: $0))) }
                ?? HOGDetector.defaultPeople()
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: image, isDirectory: &isDirectory), isDirectory.boolValue {
                let report = try HOGFolderReport.run(folder: URL(fileURLWithPath: image), detector: hog, parameters: p)
                // A folder with no image at all is only the error below; one whose images all
                // failed still prints the list of failures first.
                if report.reports.isEmpty && report.failures.isEmpty {
                    throw NothingProcessedError(folder: image, failures: 0, skipped: report.skipped.count)
                }
                print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
                if report.reports.isEmpty { throw NothingProcessedError(folder: image, failures: report.failures.count, skipped: report.skipped.count) }
                return
            }
            let input = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: image)).image8()
            // A trace with no window scored has nothing for `price` to price: refused before the run.
            if trace != nil {
                try HOGDetector.checkAWindowFits(width: input.width, height: input.height, parameters: p, image: image)
            }
            var result = try hog.detect(input, parameters: p, inputPath: image)
            var times = [result.wallTimeSeconds]
            for _ in 1..<runs {
                result = try hog.detect(input, parameters: p, inputPath: image)
                times.append(result.wallTimeSeconds)
            }
            let report = HOGDetectionReport(image: image, width: input.width, height: input.height,
                                            channels: input.channelCount, parameters: p, result: result,
                                            repeatedWallTimesSeconds: runs > 1 ? times : nil)
            try writeOutputs(result: result, input: input)
            print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
            if !json {
                // As `infer` says where its trace went (the JSON output stays JSON alone).
                if let draw { print("drawing: \(draw)") }
                if let trace { print("trace: \(trace)") }
            }
        }
    }

    /// Writes `--draw` and `--trace`, each atomically, both or neither
    /// (`FileOutput.writeAllAtomically`): if either cannot be written, any earlier file under
    /// either name keeps its content.
    private func writeOutputs(result: HOGDetectionResult, input: Image<UInt8>) throws {
        var files: [(bytes: [UInt8], url: URL, what: String)] = []
        if let draw { files.append((PNGWriter.encode(HOGDrawing.draw(result.detections, on: input)), URL(fileURLWithPath: draw), "PNG")) }
        if let trace { files.append(([UInt8](try result.trace.jsonData()), URL(fileURLWithPath: trace), "trace")) }
        try FileOutput.writeAllAtomically(files)
    }
}
