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

    @Argument(help: "The image (JPEG, PNG, PGM/PPM), or a folder: every image in it, recursively.")
    var image: String

    @Flag(name: .long, help: "Print JSON (schema joulebench.detect/1) instead of a table.")
    var json = false

    @Option(name: .long, help: "Write the image with the boxes drawn to this PNG file.")
    var draw: String?

    @Option(name: .long, help: "Write the Trace (gradient, binning, block normalisation, SVM per level) to this JSON file.")
    var trace: String?

    @Option(name: .long, help: "A detector file: 3780 weights then the bias, whitespace-separated (default: OpenCV's people detector).")
    var detector: String?

    @Option(name: .long, help: "Hit threshold on the SVM score.")
    var hitThreshold: Double = 0

    @Option(name: .long, help: "Pyramid scale step.")
    var scale: Double = 1.05

    @Option(name: .long, help: "Window stride, pixels (multiple of 8).")
    var stride: Int = 8

    @Option(name: .long, help: "Padding around each level, pixels (rounded up to a multiple of 8).")
    var padding: Int = 0

    @Option(name: .long, help: "Maximum pyramid levels.")
    var levels: Int = 64

    @Option(name: .long, help: "Grouping: opencv (groupRectangles), nms, or none.")
    var grouping: String = "opencv"

    @Option(name: .long, help: "groupRectangles threshold (opencv grouping).")
    var groupThreshold: Int = 2

    @Option(name: .long, help: "IoU above which NMS suppresses a box.")
    var nmsIou: Double = 0.3

    @Option(name: .long, help: "Worker threads.")
    var threads: Int = 2

    @Option(name: .long, help: "Run the detection this many times and report the median time (benchmarks).")
    var `repeat`: Int = 1

    func run() throws {
        var p = HOGDetectionParameters()
        p.hitThreshold = hitThreshold; p.scaleStep = scale; p.windowStridePixels = stride
        p.paddingPixels = padding; p.maxLevels = levels; p.threads = threads
        switch grouping {
        case "opencv": p.grouping = .opencv(threshold: groupThreshold, eps: 0.2)
        case "nms": p.grouping = .nonMaximumSuppression(iouThreshold: nmsIou)
        case "none": p.grouping = .none
        default: throw ValidationError("--grouping must be opencv, nms or none")
        }
        do {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: image, isDirectory: &isDirectory), isDirectory.boolValue {
                guard draw == nil, trace == nil, `repeat` == 1 else {
                    throw ValidationError("--draw, --trace and --repeat take a single image, not a folder")
                }
                let hog = try detector.map { try HOGDetector(svm: HOGLinearSVM(contentsOf: URL(fileURLWithPath: $0))) }
                    ?? HOGDetector.defaultPeople()
                let report = try HOGFolderReport.run(folder: URL(fileURLWithPath: image), detector: hog, parameters: p)
                print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
                return
            }
            let decoded = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: image))
            let input = decoded.image8()
            let hog = try detector.map { try HOGDetector(svm: HOGLinearSVM(contentsOf: URL(fileURLWithPath: $0))) }
                ?? HOGDetector.defaultPeople()
            guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
            var result = try hog.detect(input, parameters: p, inputPath: image)
            var times = [result.wallTimeSeconds]
            for _ in 1..<`repeat` {
                result = try hog.detect(input, parameters: p, inputPath: image)
                times.append(result.wallTimeSeconds)
            }
            let report = HOGDetectionReport(image: image, width: input.width, height: input.height,
                                            channels: input.channelCount, parameters: p, result: result,
                                            repeatedWallTimesSeconds: `repeat` > 1 ? times : nil)
            if let trace {
                try result.trace.jsonData().write(to: URL(fileURLWithPath: trace), options: .atomic)
            }
            if let draw {
                try PNGWriter.write(HOGDrawing.draw(result.detections, on: input), to: URL(fileURLWithPath: draw))
            }
            print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
        } catch let error as CustomStringConvertible & Error {
            FileHandle.standardError.write(Data("joulebench detect: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
