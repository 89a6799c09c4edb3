import Foundation
import Testing
@testable import Workloads

/// Checks on traces read from files (`Trace.decode`, `firstInconsistency`): a hand-edited
/// or foreign trace must be refused with the operator and the field, never priced.
@Suite struct TraceValidationTests {
    /// AlexNet's shape-only trace, as `joulebench price alexnet` makes it (operators[0] is
    /// conv1: 96 filters of 3×11×11 over 55×55 outputs).
    static func alexNet() throws -> Trace {
        Trace(model: ModelIdentity(name: "alexnet", source: "zoo", weights: "none"), inputPixels: 227 * 227,
              shapes: try ModelZoo.graph(named: "alexnet").operatorShapes())
    }

    /// Every trace the tool writes for a zoo model (shape-only, batch 1, 4 and 4096) passes the
    /// checks and reads back from its JSON unchanged.
    @Test(arguments: ModelZoo.names)
    func zooTracesAreConsistent(_ name: String) throws {
        // 4096: the CLI's largest --batch (VGG-16 there: a 1.3·10¹⁰-element activation; the
        // shape bound was 2³² and refused it from batch 1338, a trial found).
        for batch in [1, 4, 4096] {
            let trace = Trace(model: ModelIdentity(name: name, source: "zoo", weights: "none"), inputPixels: 224 * 224,
                              shapes: try ModelZoo.graph(named: name, batch: batch).operatorShapes())
            #expect(trace.firstInconsistency() == nil, "\(name) batch \(batch)")
            #expect(try Trace.decode(trace.jsonData(), file: "\(name).json") == trace)
        }
    }

    /// New-user trial: each was accepted and priced. (what, the edit, the whole reason.)
    static let inconsistent: [(String, @Sendable (inout Trace) -> Void, String)] = [
        ("MACs edited on conv1", { $0.operators[0].shape.macs = 1 },
         "operators[0] ('conv1'): macs is 1, but a 'conv' with this loop nest has N·M·P·Q·(C/groups)·R·S = 105415200"),
        ("MACs on a ReLU", { $0.operators[1].shape.macs = 7 },
         "operators[1] ('relu1'): macs is 7, but a 'relu' does no MACs (0)"),
        ("MACs of a transposed convolution", {
            $0.operators[0].shape.kind = .transposedConv
        }, "operators[0] ('conv1'): macs is 105415200, but a 'transposed_conv' with this loop nest has N·C·H·W·(M/groups)·R·S = 1795682592"),
        ("unknown convolution kind", { $0.operators[0].shape.kind = OperatorKind("warpdrive", .convolution) },
         "operators[0] ('conv1'): unknown kind 'warpdrive' for category 'convolution' (known: conv, depthwise_conv, pointwise_conv, "
            + "transposed_conv); only streaming kinds may be added"),
        ("built-in kind with another category", { $0.operators[1].shape.kind = OperatorKind("relu", .pooling) },
         "operators[1] ('relu1'): kind 'relu' has category 'pooling', but 'relu' is of category 'elementwise'"),
        ("duplicate names", { $0.operators[2].shape.name = "conv1" },
         "operators[2]: the name 'conv1' is also that of operators[0]; operator names must be unique"),
        ("producer that is no operator", { $0.operators[1].shape.producers = ["conv1", "conv0"] },
         "operators[1] ('relu1'): producers names 'conv0', which is no operator of this trace"),
        ("producer that is the operator itself", { $0.operators[1].shape.producers = ["relu1"] },
         "operators[1] ('relu1'): producers names the operator itself"),
    ]

    @Test("inconsistent traces are refused naming the operator and the field", arguments: inconsistent)
    func inconsistentTraceRefused(_ testCase: (String, @Sendable (inout Trace) -> Void, String)) throws {
        var trace = try Self.alexNet()
        #expect(trace.operators[0].shape.name == "conv1" && trace.operators[1].shape.name == "relu1")
        testCase.1(&trace)
        #expect(trace.firstInconsistency() == testCase.2, "\(testCase.0)")
        #expect(throws: TraceError(file: "t.json", reason: testCase.2), "\(testCase.0)") {
            try Trace.decode(trace.jsonData(), file: "t.json")
        }
    }

    /// Kinds are an open vocabulary for streaming operators only: a pipeline's own kind
    /// (HOG's, a stereo cost volume) is accepted with the MACs it states.
    @Test func streamingKindsMayBeAdded() throws {
        var trace = try Self.alexNet()
        trace.operators[1].shape.kind = OperatorKind("warpdrive", .streaming)
        trace.operators[1].shape.macs = 12345
        #expect(trace.firstInconsistency() == nil)
        trace.operators[1].shape.kind = OperatorKind("", .streaming)
        #expect(trace.firstInconsistency() == "operators[1] ('relu1'): kind has an empty name")
    }

    /// The canonical JSON of `trace` with the `occurrence`-th (0-based) `"key" : <integer>`
    /// replaced by `"key" : <replacement>`: operators come first in key order, one
    /// `macs` per operator, so occurrence k of `macs` is operators[k]'s.
    static func edited(_ trace: Trace, key: String, occurrence: Int, to replacement: String) throws -> Data {
        let text = String(decoding: try trace.jsonData(), as: UTF8.self)
        let pattern = try Regex("\"\(key)\" : -?[0-9]+")
        let matches = text.matches(of: pattern)
        try #require(matches.count > occurrence)
        var edited = text
        edited.replaceSubrange(matches[occurrence].range, with: "\"\(key)\" : \(replacement)")
        return Data(edited.utf8)
    }

    /// New-user trial: a fractional or huge number said "corrupt data at top level: The
    /// given data was not valid JSON." (Foundation on Linux gives no path for it).
    static let badNumbers: [(key: String, occurrence: Int, value: String, reason: String)] = [
        ("macs", 3, "1.5", "operators[3].shape.macs: expected a whole number, got 1.5"),
        ("macs", 0, "1e30", "operators[0].shape.macs: expected a whole number, got 1e+30, beyond the 64-bit integer range"),
        ("R", 0, "2.5", "operators[0].shape.loopNest.R: expected a whole number, got 2.5"),
        ("inputPixels", 0, "99999999999999999999",
         "inputPixels: expected a whole number, got 99999999999999999999, beyond the 64-bit integer range"),
        ("outputWords", 2, "18446744073709551615",
         "operators[2].shape.outputWords: expected a whole number, got 18446744073709551615, beyond the 64-bit integer range"),
    ]

    @Test("a number that does not fit its integer field is named by its path", arguments: badNumbers)
    func nonWholeNumbersNamed(_ testCase: (key: String, occurrence: Int, value: String, reason: String)) throws {
        let data = try Self.edited(try Self.alexNet(), key: testCase.key, occurrence: testCase.occurrence, to: testCase.value)
        #expect(throws: TraceError(file: "t.json", reason: testCase.reason)) { try Trace.decode(data, file: "t.json") }
    }

    @Test("a whole number written with a decimal point is an integer; fractional fields stay fractional")
    func wholeNumbersInOtherSpellingsAreAccepted() throws {
        var trace = try Self.alexNet()
        trace.operators[0].measured = MeasuredFacts(inputZeroFraction: 0.25, outputZeroFraction: 0.5, weightZeroFraction: nil,
                                                    wallTimeSeconds: 0.001, bytesTouched: 10)
        let data = try Self.edited(trace, key: "R", occurrence: 0, to: "11.0")
        #expect(try Trace.decode(data, file: "t.json") == trace)
        #expect(TraceError.firstNonWholeNumber(in: ["wallTimeSeconds": 0.5, "macs": 3], path: "", key: nil) == nil)
        #expect(TraceError.firstNonWholeNumber(in: ["provenance": ["x": 0.5]], path: "", key: nil) == nil)
    }

    @Test("other decoding failures name the field path first")
    func decodingFailuresNameThePath() throws {
        let text = String(decoding: try Self.alexNet().jsonData(), as: UTF8.self)
        let missing = text.replacingOccurrences(of: "\"macs\" : 105415200,", with: "")
        #expect(throws: TraceError(file: "t.json", reason: "operators[0].shape: missing key 'macs'")) {
            try Trace.decode(Data(missing.utf8), file: "t.json")
        }
        let string = text.replacingOccurrences(of: "\"macs\" : 105415200", with: "\"macs\" : \"many\"")
        let error = try #require(throws: TraceError.self) { try Trace.decode(Data(string.utf8), file: "t.json") }
        #expect(error.reason.hasPrefix("operators[0].shape.macs: "), "\(error)")
        let category = text.replacingOccurrences(of: "\"category\" : \"convolution\"", with: "\"category\" : \"warp\"")
        let categoryError = try #require(throws: TraceError.self) { try Trace.decode(Data(category.utf8), file: "t.json") }
        #expect(categoryError.reason.hasPrefix("operators[0].shape.kind.category: "), "\(categoryError)")
        #expect(throws: TraceError(file: "t.json", reason: "not JSON: Invalid value around character 0.")) {
            try Trace.decode(Data("hello".utf8), file: "t.json")
        }
    }

    /// `detect --json` or `images --json` output given where a trace is expected: said so,
    /// with the option that writes a trace (not "missing key 'schemaVersion'").
    @Test(arguments: ["joulebench.detect/1", "joulebench.images/1"])
    func anotherJouleBenchReportIsNamed(schema: String) throws {
        let report = Data(#"{"schema": "\#(schema)", "detections": []}"#.utf8)
        let error = try #require(throws: TraceError.self) { try Trace.decode(report, file: "r.json") }
        #expect(error.reason.hasPrefix("is a \(schema) report, not a trace"), "\(error)")
    }
}
