import Foundation
import Testing

// Whole-output tests of each subcommand on the fixtures in the repository (see CLISnapshot.swift
// for the snapshot format, the normalisation rules and how to re-record).
//
// Tests/CLITests/Fixtures/images (made by Scripts/make-cli-fixtures.py): a 120×197 JPEG with a
// person, a 64×128 gray PNG, a stereo pair with its disparity (PGM, PFM), a truncated JPEG, a PNG
// with a bad CRC, a text file named .png, and a text file the scan skips.

/// One command line and the snapshot it must produce.
struct CommandCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var exitStatus: Int32
    var snapshot: String
    var normalisations: [Normalisation] = []
    var testDescription: String { "joulebench " + arguments.joined(separator: " ") }
}

let fixtureFolder = "Tests/CLITests/Fixtures/images"
/// The smallest model with real weights: PaddleOCR's text-direction classifier (2 classes).
let smallONNXModel = "Tests/WorkloadsTests/Fixtures/ch_ppocr_mobile_v2.0_cls_infer.onnx"
/// Architecture specs: tiny-int8.yaml (valid), negative-energy.yaml, not-yaml.yaml.
let archFixtures = "Tests/CLITests/Fixtures/arch"

@Suite("joulebench --help")
struct HelpTests {
    static let cases: [CommandCase] = [
        CommandCase(arguments: [], exitStatus: 0, snapshot: "help-root-no-arguments"),
        CommandCase(arguments: ["--help"], exitStatus: 0, snapshot: "help-root"),
        CommandCase(arguments: ["images", "--help"], exitStatus: 0, snapshot: "help-images"),
        CommandCase(arguments: ["models", "--help"], exitStatus: 0, snapshot: "help-models"),
        CommandCase(arguments: ["detect", "--help"], exitStatus: 0, snapshot: "help-detect"),
        CommandCase(arguments: ["arch", "--help"], exitStatus: 0, snapshot: "help-arch"),
        CommandCase(arguments: ["price", "--help"], exitStatus: 0, snapshot: "help-price"),
        CommandCase(arguments: ["infer", "--help"], exitStatus: 0, snapshot: "help-infer"),
        CommandCase(arguments: ["--version"], exitStatus: 0, snapshot: "version"),
    ]

    @Test(arguments: cases)
    func help(_ c: CommandCase) throws {
        try assertCommand(c.arguments, exitStatus: c.exitStatus, snapshot: c.snapshot, normalisations: c.normalisations)
    }
}

@Suite("joulebench images")
struct ImagesCommandTests {
    @Test func table() throws {
        try assertCommand(["images", fixtureFolder], exitStatus: 0, snapshot: "images-table",
                          normalisations: [.tableColumn(header: "decode ms")])
    }

    @Test func json() throws {
        try assertCommand(["images", fixtureFolder, "--json"], exitStatus: 0, snapshot: "images-json",
                          normalisations: [.jsonTimes])
    }

    /// Non-default pyramid options reach the survey (levels, expansion and the summary line change).
    @Test func pyramidOptions() throws {
        try assertCommand(["images", fixtureFolder + "/stereo", "--step", "1.5", "--min-width", "16", "--min-height", "16",
                           "--octave-levels", "3"],
                          exitStatus: 0, snapshot: "images-options", normalisations: [.tableColumn(header: "decode ms")])
    }

    /// An empty folder: its error alone, exit 1 (it printed an empty table first).
    @Test func anEmptyFolderGivesItsErrorAlone() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("joulebench-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try CLI.run(["images", folder.path])
        #expect(run.exitStatus == 1)
        #expect(run.standardOutput.isEmpty, "\(run.standardOutput)")
        #expect(run.standardError.contains("no images in it"), "\(run.standardError)")
    }
}

@Suite("joulebench models")
struct ModelsCommandTests {
    @Test func zooList() throws {
        try assertCommand(["models"], exitStatus: 0, snapshot: "models-list")
    }

    /// `--json` without a model: an object with a schema, like images and detect.
    @Test func zooListJSON() throws {
        try assertCommand(["models", "--json"], exitStatus: 0, snapshot: "models-list-json")
    }

    @Test func alexnetLayers() throws {
        try assertCommand(["models", "alexnet", "--layers"], exitStatus: 0, snapshot: "models-alexnet-layers")
    }

    @Test func onnxFileWithInputShape() throws {
        try assertCommand(["models", "Tests/WorkloadsTests/Fixtures/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                           "--input-shape", "1x3x48x192"],
                          exitStatus: 0, snapshot: "models-onnx-input-shape")
    }
}

@Suite("joulebench detect")
struct DetectCommandTests {
    /// The 240×394 person crop whose OpenCV result PipelinesTests checks: one box.
    @Test func personJSON() throws {
        try assertCommand(["detect", "Tests/PipelinesTests/Fixtures/person_crop_240x394.png", "--json"],
                          exitStatus: 0, snapshot: "detect-person-json", normalisations: [.jsonTimes])
    }

    /// A folder: a table per image, failures after them, exit status 0.
    @Test func folderTable() throws {
        try assertCommand(["detect", fixtureFolder], exitStatus: 0, snapshot: "detect-folder-table",
                          normalisations: [.numberBetween(prefix: ") in ", suffix: " ms")])
    }

    /// A folder as JSON: failures as `{path, code, error}` with relative paths, as `images --json`.
    @Test func folderJSON() throws {
        try assertCommand(["detect", fixtureFolder, "--json"], exitStatus: 0, snapshot: "detect-folder-json",
                          normalisations: [.jsonTimes])
    }
}

extension DetectCommandTests {
    static let scratchPrefix = "joulebench-cli-detect-"

    func scratchFolder() throws -> URL {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(Self.scratchPrefix + UUID().uuidString)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return scratch
    }

    /// `--scale` is a hidden alias of `--step`, `--repeat` of `--repeats`: the same run.
    @Test func aliasesGiveTheSameRun() throws {
        let person = fixtureFolder + "/person_120x197.jpg"
        let byStep = try CLI.run(["detect", person, "--step", "1.2", "--repeats", "2", "--json"])
        let byScale = try CLI.run(["detect", person, "--scale", "1.2", "--repeat", "2", "--json"])
        #expect(byStep.exitStatus == 0 && byScale.exitStatus == 0, "\(byStep.standardError)\(byScale.standardError)")
        let mask = Normalisation.jsonTimes
        #expect(mask.apply(to: byStep.standardOutput) == mask.apply(to: byScale.standardOutput))
        #expect(byStep.standardOutput.contains("\"scaleStep\" : 1.2"))
        #expect(byStep.standardOutput.contains("\"wallTimesSeconds\""))
    }

    /// A negative hit threshold is a legitimate value (more, weaker hits), not an option.
    @Test func negativeHitThreshold() throws {
        try assertCommand(["detect", fixtureFolder + "/person_120x197.jpg", "--hit-threshold", "-0.5"], exitStatus: 0,
                          snapshot: "detect-hit-threshold-negative", normalisations: [.numberBetween(prefix: ") in ", suffix: " ms")])
    }

    /// An output named like the detector file is refused before any work (exit 64), and the
    /// detector is left as it was (found by a new-user trial: `--trace` replaced it, exit 0).
    @Test func anOutputOnTheDetectorFileIsRefused() throws {
        let scratch = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let detector = scratch.appendingPathComponent("mydet.txt")
        try FileManager.default.copyItem(at: CLI.repositoryRoot.appendingPathComponent("Sources/Pipelines/Resources/opencv_default_people_detector_64x128.txt"),
                                         to: detector)
        let before = try Data(contentsOf: detector)
        try assertCommand(["detect", fixtureFolder + "/window_64x128.png", "--detector", detector.path, "--trace", detector.path],
                          exitStatus: 64, snapshot: "error-detect-trace-is-the-detector",
                          normalisations: [.literal(scratch.path, placeholder: "<scratch>")])
        // Another spelling of the same file, and --draw: refused too.
        let png = scratch.appendingPathComponent("det.png")
        try before.write(to: png)
        let respelled = try CLI.run(["detect", fixtureFolder + "/window_64x128.png", "--detector", scratch.path + "/./mydet.txt",
                                     "--trace", detector.path])
        let drawn = try CLI.run(["detect", fixtureFolder + "/window_64x128.png", "--detector", png.path, "--draw", png.path])
        #expect(respelled.exitStatus == 64 && drawn.exitStatus == 64)
        #expect(drawn.standardError.contains("--draw \(png.path) is the --detector file"))
        #expect(try Data(contentsOf: detector) == before && Data(contentsOf: png) == before)
    }

    /// An image smaller than the 64×128 window: without --trace, no detections (exit 0);
    /// with --trace, refused before anything is written (exit 1), since the trace would hold
    /// no operator to price.
    @Test func anImageSmallerThanTheWindowHasNothingToTrace() throws {
        let scratch = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let image = scratch.appendingPathComponent("one.pgm")
        try Data("P5\n1 1\n255\n".utf8 + [200]).write(to: image)
        let trace = scratch.appendingPathComponent("one.trace.json"), png = scratch.appendingPathComponent("one.png")
        try assertCommand(["detect", image.path, "--trace", trace.path, "--draw", png.path], exitStatus: 1,
                          snapshot: "error-detect-trace-image-smaller-than-window",
                          normalisations: [.literal(scratch.path, placeholder: "<scratch>")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["one.pgm"])
        let plain = try CLI.run(["detect", image.path])
        #expect(plain.exitStatus == 0, "\(plain.standardError)")
        #expect(plain.standardOutput.contains("no detections\n0 detection(s) from 0 raw hits"))
    }

    /// `--draw` and `--trace` together: both files written.
    @Test func drawAndTraceAreBothWritten() throws {
        let scratch = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let png = scratch.appendingPathComponent("boxes.png"), trace = scratch.appendingPathComponent("hog.trace.json")
        let run = try CLI.run(["detect", fixtureFolder + "/person_120x197.jpg", "--draw", png.path, "--trace", trace.path])
        #expect(run.exitStatus == 0, "\(run.standardError)")
        #expect(FileManager.default.contents(atPath: png.path)?.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true)
        #expect(FileManager.default.fileExists(atPath: trace.path))
    }

    /// A `--draw` that cannot be written fails the run (exit 1) and leaves no trace file
    /// behind. (A missing folder is refused before the run, exit 64: see BadInputTests.)
    @Test func failingDrawLeavesNoTrace() throws {
        let scratch = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let trace = scratch.appendingPathComponent("hog.trace.json")
        // A 250-byte name passes the up-front checks (the folder is there and writable, the
        // name is a valid file name) but its temporary file's longer name does not: the
        // write fails during the run. (A folder in the way is refused before the run.)
        let png = scratch.appendingPathComponent(String(repeating: "b", count: 246) + ".png")
        try assertCommand(["detect", fixtureFolder + "/person_120x197.jpg", "--draw", png.path, "--trace", trace.path],
                          exitStatus: 1, snapshot: "error-detect-draw-unwritable",
                          normalisations: [.literal(scratch.path, placeholder: "<scratch>")])
        #expect(!FileManager.default.fileExists(atPath: trace.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    /// A `--trace` that cannot be written fails the run and removes the drawing just written.
    @Test func failingTraceLeavesNoDrawing() throws {
        let scratch = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let png = scratch.appendingPathComponent("boxes.png")
        let trace = scratch.appendingPathComponent(String(repeating: "t", count: 245) + ".json")   // fails during the run, as above
        let run = try CLI.run(["detect", fixtureFolder + "/person_120x197.jpg", "--draw", png.path, "--trace", trace.path])
        #expect(run.exitStatus == 1)
        #expect(run.standardError.hasPrefix("joulebench detect: \(trace.path): cannot write the trace: "))
        #expect(!FileManager.default.fileExists(atPath: png.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }
}

@Suite("joulebench arch")
struct ArchCommandTests {
    @Test func presetList() throws {
        try assertCommand(["arch"], exitStatus: 0, snapshot: "arch-list")
    }

    @Test func showPreset() throws {
        try assertCommand(["arch", "eyeriss"], exitStatus: 0, snapshot: "arch-eyeriss")
    }

    /// Every preset the list names can be shown (the list must print loadable names).
    @Test func everyListedPresetLoads() throws {
        let list = try CLI.run(["arch"])
        #expect(list.exitStatus == 0)
        let names = list.standardOutput.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(names.count >= 4)
        for name in names {
            let shown = try CLI.run(["arch", name])
            #expect(shown.exitStatus == 0, "joulebench arch \(name): \(shown.standardError)")
        }
        #expect(names.contains("eyeriss-isca2016"))
    }

    @Test func validateFile() throws {
        try assertCommand(["arch", archFixtures + "/tiny-int8.yaml"], exitStatus: 0, snapshot: "arch-file-valid")
    }

    /// `--yaml` prints a preset's YAML, a starting point for a spec of one's own: written
    /// to a file, it validates and shows the same summary as the preset.
    @Test func presetYAMLRoundTrips() throws {
        let yaml = try CLI.run(["arch", "eyeriss-pj", "--yaml"])
        #expect(yaml.exitStatus == 0)
        #expect(yaml.standardOutput.contains("name: eyeriss-pj"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(yaml.standardOutput.utf8).write(to: file)
        let fromFile = try CLI.run(["arch", file.path]), preset = try CLI.run(["arch", "eyeriss-pj"])
        #expect(fromFile.exitStatus == 0)
        #expect(fromFile.standardOutput == preset.standardOutput)
    }
}

@Suite("joulebench price")
struct PriceCommandTests {
    /// Eyeriss row-stationary on AlexNet (docs/ENERGY.md): the whole breakdown.
    @Test func alexnetOnEyerissRowStationary() throws {
        try assertCommand(["price", "alexnet", "--arch", "eyeriss", "--dataflow", "rs"], exitStatus: 0,
                          snapshot: "price-alexnet-eyeriss-rs")
        // Case-insensitive, like --backend and --channel-order.
        let upper = try CLI.run(["price", "alexnet", "--arch", "eyeriss", "--dataflow", "RS"])
        #expect(upper.exitStatus == 0, "\(upper.standardError)")
        #expect(upper.standardOutput == (try CLI.run(["price", "alexnet", "--arch", "eyeriss", "--dataflow", "rs"])).standardOutput)
    }

    /// The Trace is the hinge between commands (docs/TRACE.md): the shape-only trace that
    /// `models NAME --json` prints, saved and priced, gives exactly what pricing the zoo name gives.
    @Test func savedTraceFromModelsPricesLikeTheZooName() throws {
        let models = try CLI.run(["models", "alexnet", "--json"])
        #expect(models.exitStatus == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("joulebench-cli-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(models.standardOutput.utf8).write(to: file)
        let fromTrace = try CLI.run(["price", file.path, "--arch", "eyeriss", "--dataflow", "rs"])
        let fromZoo = try CLI.run(["price", "alexnet", "--arch", "eyeriss", "--dataflow", "rs"])
        #expect(fromTrace.exitStatus == 0 && fromZoo.exitStatus == 0, "\(fromTrace.standardError)\(fromZoo.standardError)")
        #expect(fromTrace.standardOutput == fromZoo.standardOutput)
        #expect(!fromZoo.standardOutput.isEmpty)
    }

    /// A spec from a file, another dataflow.
    @Test func alexnetOnFileSpecWeightStationary() throws {
        try assertCommand(["price", "alexnet", "--arch", archFixtures + "/tiny-int8.yaml", "--dataflow", "ws"], exitStatus: 0,
                          snapshot: "price-alexnet-tiny-int8-ws")
    }
}

@Suite("joulebench infer")
struct InferCommandTests {
    static let executorTime = Normalisation.numberBetween(prefix: "executor wall time: ", suffix: " ms")

    /// Real weights on the person crop, with each GEMM backend (same classes; scores printed to 5 decimals).
    @Test(arguments: zip(["simd", "openBLAS"], ["infer-ppocr-cls-simd", "infer-ppocr-cls-openblas"]))
    func realWeightsOnEachBackend(backend: String, snapshot: String) throws {
        try assertCommand(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--backend", backend],
                          exitStatus: 0, snapshot: snapshot, normalisations: [Self.executorTime])
    }

    /// image → infer → Trace → price: the measured trace (with its zero fractions) prices on
    /// an accelerator; the whole breakdown is compared.
    @Test func traceThenPrice() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("joulebench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let trace = scratch.appendingPathComponent("cls.trace.json").path
        let here = Normalisation.literal(scratch.path, placeholder: "<scratch>")
        try assertCommand(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--trace", trace],
                          exitStatus: 0, snapshot: "infer-ppocr-cls-trace", normalisations: [here, Self.executorTime])
        try assertCommand(["price", trace, "--arch", "eyeriss", "--dataflow", "rs"],
                          exitStatus: 0, snapshot: "price-ppocr-cls-trace-eyeriss-rs", normalisations: [here])
    }

    /// `--input-shape` on an ONNX file with symbolic H and W: the image is resized to the
    /// given H×W (not 224×224), and the trace's first operator reads that many words.
    @Test func inputShapeSetsTheNetworkInput() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("joulebench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let trace = scratch.appendingPathComponent("cls.trace.json")
        try assertCommand(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x48x192",
                           "--backend", "simd", "--trace", trace.path],
                          exitStatus: 0, snapshot: "infer-ppocr-cls-input-shape",
                          normalisations: [.literal(scratch.path, placeholder: "<scratch>"), Self.executorTime])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: trace)) as? [String: Any])
        let operators = try #require(json["operators"] as? [[String: Any]])
        let first = try #require(operators.first?["shape"] as? [String: Any])
        let nest = try #require(first["loopNest"] as? [String: Any])
        #expect(nest["H"] as? Int == 48 && nest["W"] as? Int == 192 && nest["C"] as? Int == 3)
        #expect(first["inputWords"] as? Int == 3 * 48 * 192)
        #expect(json["inputPixels"] as? Int == 120 * 197)   // the frame's pixels, whatever the network input
    }

    /// `--mean --std --channel-order`: PaddleOCR's own normalisation ((x/255 − 0.5)/0.5, BGR)
    /// instead of the ImageNet default an ONNX file gets; the line says which was used, the
    /// trace records it, and the scores differ from the default run's.
    @Test func normalisationOptionsReachTheNetworkAndTheTrace() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("joulebench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let trace = scratch.appendingPathComponent("cls.trace.json")
        try assertCommand(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x48x192", "--backend", "simd",
                           "--mean", "0.5,0.5,0.5", "--std", "0.5,0.5,0.5", "--channel-order", "bgr", "--trace", trace.path],
                          exitStatus: 0, snapshot: "infer-ppocr-cls-paddle-normalisation",
                          normalisations: [.literal(scratch.path, placeholder: "<scratch>"), Self.executorTime])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: trace)) as? [String: Any])
        let provenance = try #require(json["provenance"] as? [String: String])
        #expect(provenance["input.normalisation"] == "(pixel/255 − mean) / std, mean R,G,B 0.5, 0.5, 0.5, std R,G,B 0.5, 0.5, 0.5, channels in BGR order")
        #expect(provenance["input.normalisationOrigin"] == "given: mean, std, channel order")
        let byDefault = try CLI.run(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x48x192", "--backend", "simd"])
        #expect(byDefault.exitStatus == 0)
        #expect(byDefault.standardOutput.contains("normalisation: (pixel/255 − mean) / std, mean R,G,B 0.485, 0.456, 0.406, std R,G,B 0.229, 0.224, 0.225, channels in RGB order (ImageNet's, the default for ONNX files"))
        let given = try CLI.run(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--input-shape", "1x3x48x192",
                                 "--backend", "simd", "--mean", "0.5,0.5,0.5", "--std", "0.5,0.5,0.5", "--channel-order", "bgr"])
        let scores = { (run: CLIRun) in run.standardOutput.split(separator: "\n").filter { $0.hasPrefix("  ") } }
        #expect(!scores(byDefault).isEmpty && scores(byDefault) != scores(given))
    }

    /// A precision study from the command line: `infer --precision int8` writes a trace at
    /// 8 bits whose activation zero fraction is at least float32's, and `price` prices it at
    /// int8 on its own (the note says so).
    @Test func int8PrecisionStudyTracesAndPricesAtEightBits() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("joulebench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func traced(_ precision: String) throws -> [String: Any] {
            let trace = scratch.appendingPathComponent("cls-\(precision).json")
            let result = try CLI.run(["infer", smallONNXModel, fixtureFolder + "/person_120x197.jpg", "--precision", precision,
                                            "--backend", "simd", "--trace", trace.path])
            #expect(result.exitStatus == 0, "\(result.standardError)")
            if precision != "float32" { #expect(result.standardOutput.contains("precision: \(precision), simulated")) }
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: trace)) as? [String: Any])
        }
        func meanInputZeros(_ json: [String: Any]) throws -> Double {
            let operators = try #require(json["operators"] as? [[String: Any]])
            let fractions = operators.compactMap { ($0["measured"] as? [String: Any])?["inputZeroFraction"] as? Double }
            return fractions.reduce(0, +) / Double(max(fractions.count, 1))
        }
        let float = try traced("float32"), int8 = try traced("int8")
        let operators = try #require(int8["operators"] as? [[String: Any]])
        let widths = operators.compactMap { ($0["shape"] as? [String: Any])?["bitWidths"] as? [String: Int] }
        #expect(widths.count == operators.count && widths.allSatisfy { $0 == ["weights": 8, "inputs": 8, "outputs": 8] })
        #expect(try meanInputZeros(int8) >= meanInputZeros(float))
        let priced = try CLI.run(["price", scratch.appendingPathComponent("cls-int8.json").path, "--arch", "eyeriss"])
        #expect(priced.exitStatus == 0)
        #expect(priced.standardOutput.hasPrefix("note: pricing at int8"))
        #expect(priced.standardOutput.contains("dataflow rs, int8"))
        // A floating-point machine (the cpu preset) keeps its own precision, and says so.
        let onCPU = try CLI.run(["price", scratch.appendingPathComponent("cls-int8.json").path, "--arch", "cpu"])
        #expect(onCPU.exitStatus == 0)
        #expect(onCPU.standardOutput.hasPrefix("note: the trace is an int8 precision study; cpu computes in fp32"))
        #expect(!onCPU.standardOutput.contains(", int8, batch"))
    }
}
