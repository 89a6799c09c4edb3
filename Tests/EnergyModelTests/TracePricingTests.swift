import Foundation
import Testing
import Workloads
@testable import EnergyModel

@Suite struct TracePricingTests {
    static func alexNetTrace(batch: Int = 1) throws -> Trace { try Trace.loadForPricing("alexnet", batch: batch) }

    @Test("a zoo model prices end to end: every operator, totals equal the sum, energy per pixel")
    func zooModelPrices() throws {
        let trace = try Self.alexNetTrace()
        let price = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss-pj"), dataflow: .rs).price(trace: trace, batch: 4)
        #expect(price.operators.count == trace.operators.count)
        #expect(price.batch == 4)
        #expect(price.inputPixels == 227 * 227)
        let sum = price.operators.reduce(0) { $0 + $1.totalEnergy }
        #expect(abs(sum / price.totalEnergy - 1) < 1e-12)
        #expect(abs(price.energyPerInputPixel - price.totalEnergy / Double(4 * 227 * 227)) < 1e-6)
        let macs = price.operators.reduce(0) { $0 + $1.macs }
        #expect(macs == Double(trace.totals.macs * 4))
        // ReLUs follow their convolutions: priced on the output stream, no data moved.
        let relu = try #require(price.operators.first { $0.kind == "relu" })
        #expect(relu.levels.allSatisfy { $0.status == .unused })
        #expect(relu.arithmeticEnergy > 0)
    }

    @Test func measuredZeroFractionsAreUsedAndOverridable() throws {
        var trace = try Self.alexNetTrace()
        let index = try #require(trace.operators.firstIndex { $0.shape.name == "conv3" })
        trace.operators[index].measured = MeasuredFacts(inputZeroFraction: 0.7, outputZeroFraction: 0.8, weightZeroFraction: 0,
                                                        wallTimeSeconds: 0.01, bytesTouched: 1)
        let pricer = EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs)
        let measured = try pricer.price(trace: trace).operators[index]
        let dense = try pricer.price(trace: trace, zeros: ["conv3": ZeroFractions()]).operators[index]
        #expect(abs(measured.arithmeticEnergy / dense.arithmeticEnergy - 0.3) < 1e-9)
    }

    @Test("a saved trace JSON is read back and priced identically")
    func savedTraceRoundTrip() throws {
        let trace = try Self.alexNetTrace()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("energy-trace-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try trace.jsonData().write(to: url)
        let pricer = EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .ws)
        let fromFile = try pricer.price(trace: try Trace.loadForPricing(url.path))
        let direct = try pricer.price(trace: trace)
        #expect(fromFile == direct)
    }

    /// Hand-edited or foreign traces: each once crashed the pricer (overflow) or priced
    /// nonsense with exit 0. Now a `TraceError` naming the file, the operator and the field.
    static let inconsistentTraces: [(String, @Sendable (inout Trace) -> Void, String)] = [
        ("zero filter height", { $0.operators[0].shape.loopNest.R = 0 }, "loopNest.R is 0"),
        ("negative filters", { $0.operators[0].shape.loopNest.M = -5 }, "loopNest.M is -5"),
        ("no input pixels", { $0.inputPixels = 0 }, "inputPixels is 0"),
        ("absurd loop nest", { $0.operators[0].shape.loopNest.M = 1_000_000_000_000; $0.operators[0].shape.loopNest.N = 1_000_000 },
         "absurdly large"),
        ("groups not dividing", { $0.operators[0].shape.loopNest.groups = 5 }, "does not divide"),
        ("negative words", { $0.operators[0].shape.inputWords = -1 }, "inputWords is -1"),
        ("zero fraction above 1", {
            $0.operators[0].measured = MeasuredFacts(inputZeroFraction: 1.5, outputZeroFraction: 0, weightZeroFraction: 0,
                                                     wallTimeSeconds: 0, bytesTouched: 0)
        }, "inputZeroFraction is 1.5"),
        // Found by a fresh-user trial: a 3-bit width priced silently, an empty trace priced to 0.
        ("bit width out of range", { $0.operators[0].shape.bitWidths.weights = 0 }, "bitWidths.weights is 0"),
        ("no operators", { $0.operators = [] }, "operators is empty"),
    ]

    @Test("a folder given as a trace is named as such")
    func folderIsNotATrace() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: TraceError(file: folder.path, reason: "is a folder, not a trace file")) { try Trace.read(from: folder) }
    }

    @Test("an inconsistent trace file is refused with the file, the operator and the field", arguments: inconsistentTraces)
    func inconsistentTraceRefused(_ testCase: (String, @Sendable (inout Trace) -> Void, String)) throws {
        var trace = try Self.alexNetTrace()
        testCase.1(&trace)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-trace-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try trace.jsonData().write(to: url)
        do {
            _ = try Trace.loadForPricing(url.path)
            Issue.record("\(testCase.0): accepted")
        } catch let error as TraceError {
            #expect(error.file == url.path)
            #expect(error.reason.contains(testCase.2), "\(testCase.0): \(error)")
        }
        // The pricer refuses the same trace in memory.
        #expect(throws: PricingError.self) {
            _ = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs).price(trace: trace)
        }
    }

    @Test func batchTakingCountsPast2To53IsRefused() throws {
        let pricer = EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs)
        #expect(throws: PricingError.self) { _ = try pricer.price(trace: try Self.alexNetTrace(), batch: 1 << 40) }
        #expect(throws: PricingError.self) { _ = try pricer.price(trace: try Self.alexNetTrace(), batch: 0) }
    }

    @Test("a CNN traced on a resized image: energy per frame pixel and per network-input pixel, and the basis named")
    func perPixelBases() throws {
        var trace = try Self.alexNetTrace()
        let shapeOnly = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss-pj"), dataflow: .rs).price(trace: trace)
        #expect(shapeOnly.pixelBasis == "the network input")
        #expect(shapeOnly.networkInputPixels == 227 * 227 && shapeOnly.inputPixels == 227 * 227)
        trace.input = InputIdentity(path: "/data/frame.jpg", width: 768, height: 576, channels: 3)
        trace.inputPixels = 768 * 576
        let price = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss-pj"), dataflow: .rs).price(trace: trace)
        #expect(price.pixelBasis == "the 768×576 image frame.jpg")
        #expect(price.networkInputPixels == 227 * 227)
        #expect(abs(price.energyPerNetworkInputPixel * Double(227 * 227) / price.totalEnergy - 1) < 1e-12)
        #expect(abs(price.energyPerInputPixel / price.energyPerNetworkInputPixel - Double(227 * 227) / Double(768 * 576)) < 1e-12)
        #expect(price.table().contains("per network-input pixel"))
        #expect(!shapeOnly.table().contains("per network-input pixel"))
    }

    @Test("an ONNX file prices like the zoo model it equals (light_resnet50.onnx = resnet50), batch included")
    func onnxFilePricesLikeTheZoo() throws {
        // The Workloads fixture, read by path (this target has no resources of its own).
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WorkloadsTests/Fixtures/light_resnet50.onnx")
        let pricer = EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss-pj"), dataflow: .rs)
        for batch in [1, 4] {
            let fromFile = try Trace.loadForPricing(file.path, batch: batch)
            #expect(fromFile.model.source == "onnx:light_resnet50.onnx")
            #expect(fromFile.model.sha256?.count == 64)
            let zoo = try pricer.price(trace: try Trace.loadForPricing("resnet50", batch: batch))
            let onnx = try pricer.price(trace: fromFile)
            #expect(abs(onnx.totalEnergy / zoo.totalEnergy - 1) < 1e-9, "batch \(batch)")
            #expect(onnx.cycles == zoo.cycles)
        }
    }

    /// An ONNX file under another name is an ONNX model to `price`, as to `models` and
    /// `infer` (by its bytes: not a JSON object); a JSON file stays a trace.
    @Test func anONNXFileIsRecognisedByItsBytesNotItsName() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WorkloadsTests/Fixtures/light_squeezenet.onnx")
        let renamed = FileManager.default.temporaryDirectory.appendingPathComponent("squeezenet-\(UUID().uuidString).bin")
        try FileManager.default.copyItem(at: fixture, to: renamed)
        defer { try? FileManager.default.removeItem(at: renamed) }
        let trace = try Trace.loadForPricing(renamed.path)
        #expect(trace.model.source == "onnx:\(renamed.lastPathComponent)")
        #expect(trace.operators.count == (try Trace.loadForPricing(fixture.path)).operators.count)
        #expect(!Trace.isNonJSONFile(fixture.deletingLastPathComponent().path))   // a folder: the trace reader names it
        // A JSON trace with a UTF-8 byte-order mark under another name stays a trace.
        let bom = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString).trace")
        try Data([0xEF, 0xBB, 0xBF] + Array(try Self.alexNetTrace().jsonData())).write(to: bom)
        defer { try? FileManager.default.removeItem(at: bom) }
        #expect(!Trace.isNonJSONFile(bom.path))
    }

    @Test("JSON output: camelCase keys (as the Trace) documented in docs/ENERGY.md, decodable back")
    func jsonKeys() throws {
        let price = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs).price(trace: try Self.alexNetTrace())
        let data = try price.jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["model", "architecture", "dataflow", "energyUnit", "precision", "batch", "inputPixels", "operators",
                    "totalEnergy", "levelTotals", "arithmeticEnergy", "idleEnergy", "cycles", "latencySeconds",
                    "energyPerInputPixel", "pixelBasis", "networkInputPixels", "energyPerNetworkInputPixel", "notes"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let op = try #require((object["operators"] as? [[String: Any]])?.first)
        for key in ["name", "kind", "category", "batch", "macs", "macsPerformed", "otherOperations", "arithmeticEnergy",
                    "levels", "idleEnergy", "totalEnergy", "cycles", "latencySeconds", "activeProcessingElements", "utilization", "mapping", "notes"] {
            #expect(op[key] != nil, "missing operators[].\(key)")
        }
        let level = try #require((op["levels"] as? [[String: Any]])?.first)
        #expect(Set(level.keys) == ["level", "status", "words", "energy"])
        #expect(try JSONDecoder().decode(NetworkPrice.self, from: data) == price)
    }

    /// With idle power in the spec, idle energy has its own column: a row's cells add up to
    /// its total (the new-user trial found conv1's five columns 1.56 G short of it).
    @Test func idleEnergyHasAColumnWhenTheSpecHasIdlePower() throws {
        let withIdle = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss-pj"), dataflow: .rs).price(trace: try Self.alexNetTrace())
        #expect(withIdle.idleEnergy > 0)
        let header = try #require(withIdle.table().split(separator: "\n").first { $0.hasPrefix("operator") && $0.contains("W/I/O") })
        #expect(header.split(separator: " ", omittingEmptySubsequences: true).suffix(2) == ["idle", "total"])
        let conv1 = try #require(withIdle.operators.first { $0.name == "conv1" })
        let parts = conv1.arithmeticEnergy + conv1.levels.reduce(0) { $0 + $1.energy.total } + conv1.idleEnergy
        #expect(abs(parts / conv1.totalEnergy - 1) < 1e-9)
        let normalised = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs).price(trace: try Self.alexNetTrace())
        #expect(!normalised.table().contains(" idle "))
    }

    /// A note shared by many operators names eight and counts the rest (a 1080p HOG trace
    /// printed 2,400-character note lines); the JSON keeps every operator's notes.
    @Test func sharedNotesNameEightOperatorsAndCountTheRest() throws {
        var price = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs).price(trace: try Self.alexNetTrace())
        for i in price.operators.indices { price.operators[i].notes = i < 12 ? ["shared"] : [] }
        let noteLines = price.table().split(separator: "\n").filter { $0.hasPrefix("note (") }
        let names = price.operators.prefix(8).map(\.name).joined(separator: ", ")
        #expect(noteLines == ["note (\(names) and 4 more): shared"])
    }

    @Test func tableShowsEveryLevelAndTotals() throws {
        let yaml = SpecParserTests.valid.replacingOccurrences(of: "capacity_words: 1024", with: "capacity_words: 65536")
        let spec = try ArchitectureSpec.parse(yaml: yaml, file: "t.yaml")
        let table = try EnergyPricer(spec: spec, dataflow: .ws).price(trace: try Self.alexNetTrace()).table()
        #expect(table.contains("absent"), "the spec has no NoC: its column must say so")
        #expect(table.contains("\ntotal "))
        #expect(table.contains("per input pixel"))
        #expect(table.contains("normalised"))
    }

    @Test func zeroFractionArguments() throws {
        let parsed = try ZeroFractionOverride.parseList("conv1=0,conv2=0.387")
        #expect(parsed["conv2"] == ZeroFractionOverride(inputs: 0.387))
        #expect(throws: ZeroFractionsError.self) { try ZeroFractionOverride.parseList("conv1") }
        #expect(throws: ZeroFractionsError.self) { try ZeroFractionOverride.parseList("conv1=1.2") }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zeros-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"conv3": {"inputs": 0.725, "outputs": 0.79}}"#.utf8).write(to: url)
        #expect(try ZeroFractionOverride.read(from: url)["conv3"] == ZeroFractionOverride(inputs: 0.725, outputs: 0.79))
        try Data(#"{"conv3": {"input": 0.7}}"#.utf8).write(to: url)
        #expect(throws: ZeroFractionsError.self) { try ZeroFractionOverride.read(from: url) }
        // 0 and 1 are fractions (on Linux, `is Bool` holds for the NSNumbers 0 and 1); true is not.
        try Data(#"{"conv1": {"inputs": 0, "outputs": 1, "weights": 0.0}}"#.utf8).write(to: url)
        #expect(try ZeroFractionOverride.read(from: url)["conv1"] == ZeroFractionOverride(inputs: 0, outputs: 1, weights: 0))
        try Data(#"{"conv1": {"inputs": true}}"#.utf8).write(to: url)
        #expect(throws: ZeroFractionsError.self) { try ZeroFractionOverride.read(from: url) }
    }

    /// A `--zeros` override replaces only the fields it gives: the others keep the trace's
    /// measured fractions (the new-user trial: `--zeros conv0=0.9` on a MobileNetV2 trace
    /// reset conv0's measured output zeros to 0, and its output DRAM traffic went up).
    @Test func anOverrideKeepsTheMeasuredFieldsItDoesNotGive() throws {
        var trace = try Self.alexNetTrace()
        let name = trace.operators[0].shape.name
        trace.operators[0].measured = MeasuredFacts(inputZeroFraction: 0.1, outputZeroFraction: 0.47, weightZeroFraction: 0.04,
                                                    wallTimeSeconds: 0.001, bytesTouched: 1)
        let resolved = ZeroFractionOverride.resolved([name: ZeroFractionOverride(inputs: 0.9)], in: trace)
        #expect(resolved == [name: ZeroFractions(inputs: 0.9, outputs: 0.47, weights: 0.04)])
        // A shape-only operator: the fields not given are dense.
        let second = trace.operators[1].shape.name
        #expect(ZeroFractionOverride.resolved([second: ZeroFractionOverride(outputs: 0.5)], in: trace)
                == [second: ZeroFractions(inputs: 0, outputs: 0.5, weights: 0)])
        // Priced on eyeriss (run-length coded activations to DRAM): the output traffic follows
        // the measured output zeros, not the dense outputs the whole-triple override gave.
        let pricer = EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs)
        let dramOutputs = { (zeros: [String: ZeroFractions]) throws -> Double in
            try pricer.price(trace: trace, zeros: zeros).operators[0].level(.dram).words.outputs
        }
        #expect(try dramOutputs(resolved) == dramOutputs([:]))
        #expect(try dramOutputs([name: ZeroFractions(inputs: 0.9)]) > dramOutputs(resolved))
    }

    @Test("GoogLeNet on eyeriss: weights a minority (published 22 %; ifmaps 25, ofmaps 43, compute 10: Yang, Chen, Sze, CVPR 2017)",
          .enabled(if: ModelZoo.names.contains("googlenet_bvlc"), "needs the zoo's Caffe GoogLeNet"))
    func googLeNetWeightsMinority() throws {
        // The Caffe form (bvlc_googlenet): the model the CVPR 2017 energy breakdown used.
        let trace = try Trace.loadForPricing("googlenet_bvlc")
        let price = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs).price(trace: trace)
        func share(_ type: DataType) -> Double { price.levelTotals.reduce(0) { $0 + $1.energy[type] } / price.totalEnergy }
        let compute = price.arithmeticEnergy / price.totalEnergy
        print(String(format: "GoogLeNet on eyeriss (rs, batch 1, dense): weights %.1f %%, ifmaps %.1f %%, ofmaps %.1f %%, compute %.1f %% (published 22/25/43/10)",
                     share(.weights) * 100, share(.inputs) * 100, share(.outputs) * 100, compute * 100))
        #expect(abs(share(.weights) - 0.22) <= 0.05)
        #expect(share(.inputs) + share(.outputs) > 0.5, "feature maps dominate")
        #expect(abs(compute - 0.10) <= 0.05)
    }
}

/// The whole printed table for a fixed fixture (STYLE.md: whole-output tests for the CLI,
/// which prints exactly `NetworkPrice.table()`).
@Suite struct PriceTableSnapshotTests {
    @Test func alexNetConv3OnEyeriss() throws {
        let trace = Trace(model: ModelIdentity(name: "fixture", source: "test", weights: "none"), inputPixels: 227 * 227,
                          shapes: [AlexNetShapes.convolutions(batch: 4)[2], .fullyConnected(
                              name: "FC", batch: 4, inputChannels: 64, outputFeatures: 10, hasBias: true, bitWidths: .fixed16)])
        let table = try EnergyPricer(spec: try ArchitectureSpec.preset(named: "eyeriss"), dataflow: .rs).price(trace: trace).table()
        print(table)
        #expect(table == PriceTableSnapshotTests.expected)
    }

    static let expected = """
    model fixture on eyeriss, dataflow rs, int16, batch 4
    energy (norm.) by level x data type (W/I/O)
    operator   MACs    MAC           RF W/I/O        NoC W/I/O         GLB W/I/O       DRAM W/I/O  total
    CONV3      598M   598M     644M/611M/1.1G  92M/24.9M/66.5M  26.5M/12.5M/198M  177M/208M/51.9M  3.81G
    FC        2.56k  2.56k  3.84k/2.82k/4.27k    2.56k/512/776   11.6k/3.07k/240    130k/51.2k/8k   221k
    total      598M   598M     644M/611M/1.1G  92M/24.9M/66.5M  26.6M/12.5M/198M  177M/208M/51.9M  3.81G

    words moved, cycles, utilisation
    operator  DRAM words  GLB words  NoC words  RF words  cycles  latency ms  active PEs  util.
    CONV3          2.18M      39.5M      91.7M     2.35G   3.86M      19.317         156    93%
    FC               946      2.48k      1.92k     10.9k     636       0.003          22    13%
    total          2.18M      39.5M      91.7M     2.35G   3.86M      19.320

    total energy 3.81G norm.; per input pixel 1.847e+04 norm. (51529 pixels of the network input x batch 4)
    note: energies are normalised (one int16 MAC = 1), not joules

    """

    @Test("an executor int8/int16 precision study is priced at its precision; other traces are not")
    func integerStudyPrecisionIsRecognised() throws {
        var trace = try TracePricingTests.alexNetTrace()
        #expect(Precision.ofIntegerStudy(trace) == nil)
        for (precision, bits) in [(Precision.int8, 8), (.int16, 16)] {
            var study = trace
            study.provenance["executor.precision"] = "\(precision.rawValue): simulated (…)"
            for i in study.operators.indices { study.operators[i].shape.bitWidths = BitWidths(uniform: bits) }
            #expect(Precision.ofIntegerStudy(study) == precision)
            // A float32 trace that happens to say int8 but keeps 32-bit operators is not one.
            var mixed = study
            mixed.operators[0].shape.bitWidths = BitWidths.float32
            #expect(Precision.ofIntegerStudy(mixed) == nil)
        }
        trace.provenance["executor.precision"] = "float32"
        #expect(Precision.ofIntegerStudy(trace) == nil)
    }
}
