import Foundation

/// The first JSON hinge of DESIGN.md: what the executor (or a pipeline) saw, per
/// operator. The energy model reads nothing else, so a saved trace can be re-priced
/// without re-running anything.
///
/// The schema is documented in `docs/TRACE.md`; `schemaVersion` changes whenever a field
/// changes meaning or is removed (adding an optional field does not change it).
/// Two runs on the same input produce identical traces apart from the `wallTimeSeconds`
/// fields: no dates, host names or random identifiers are recorded outside `provenance`.
public struct Trace: Codable, Hashable, Sendable {
    /// The schema version this build writes.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var model: ModelIdentity
    /// What was fed in; `nil` for a trace made from shapes alone (no run).
    public var input: InputIdentity?
    /// Pixels of the input frame: the denominator of energy per pixel (DESIGN.md,
    /// "Reporting units": the input frame, not the pyramid or the network's resized input).
    public var inputPixels: Int
    public var operators: [TraceOperator]
    public var totals: TraceTotals
    /// Tool version and settings that produced the trace (free-form key/value pairs).
    public var provenance: [String: String]

    public init(
        model: ModelIdentity, input: InputIdentity?, inputPixels: Int, operators: [TraceOperator],
        provenance: [String: String] = [:]
    ) {
        self.schemaVersion = Trace.currentSchemaVersion
        self.model = model; self.input = input; self.inputPixels = inputPixels
        self.operators = operators
        self.totals = TraceTotals(operators: operators)
        self.provenance = provenance
    }

    /// A trace of shapes only (no measured facts): what `price` uses for a zoo model.
    public init(model: ModelIdentity, inputPixels: Int, shapes: [OperatorShape]) {
        self.init(model: model, input: nil, inputPixels: inputPixels,
                  operators: shapes.map { TraceOperator(shape: $0, measured: nil) })
    }

    /// Canonical JSON: sorted keys, pretty-printed, so identical traces are identical bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a trace, refusing schema versions this build does not understand.
    public static func read(from url: URL) throws -> Trace {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw TraceError(file: url.path, reason: "is a folder, not a trace file")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TraceError(file: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        let trace: Trace
        do { trace = try JSONDecoder().decode(Trace.self, from: data) } catch let error as DecodingError {
            throw TraceError(file: url.path, reason: TraceError.describe(error))
        }
        guard trace.schemaVersion == currentSchemaVersion else {
            throw TraceError(file: url.path, reason: "schemaVersion \(trace.schemaVersion) is not supported (this build reads \(currentSchemaVersion))")
        }
        if let problem = trace.firstInconsistency() {
            throw TraceError(file: url.path, reason: problem)
        }
        return trace
    }

    /// The largest count (words, MACs, operations, pixels) a trace may state: 2⁵³, so that
    /// every count is exact as a `Double` and products of counts in a pricing model stay
    /// far from overflow. Real workloads are many orders of magnitude below it.
    public static let maximumCount = 1 << 53

    /// The first reason this trace cannot describe real work, or nil: a file edited by
    /// hand or written by another tool must not crash a pricing model or price nonsense.
    /// Checks the input pixels, every loop-nest dimension (extents, strides, dilations
    /// and groups ≥ 1, pads ≥ 0, groups dividing M and C), every count (≥ 0, ≤
    /// `maximumCount`, the convolution product included) and every measured fraction
    /// (in [0, 1]).
    public func firstInconsistency() -> String? {
        guard inputPixels >= 1, inputPixels <= Self.maximumCount else {
            return "inputPixels is \(inputPixels); it must be between 1 and 2^53"
        }
        guard !operators.isEmpty else { return "operators is empty: there is nothing to price" }
        for (index, op) in operators.enumerated() {
            // Built only when a check fails: this runs on every pricing call.
            var where_: String { "operators[\(index)] ('\(op.shape.name)')" }
            let n = op.shape.loopNest
            let extents: [(String, Int)] = [("N", n.N), ("M", n.M), ("C", n.C), ("H", n.H), ("W", n.W), ("P", n.P), ("Q", n.Q),
                                            ("R", n.R), ("S", n.S), ("strideH", n.strideH), ("strideW", n.strideW),
                                            ("dilationH", n.dilationH), ("dilationW", n.dilationW), ("groups", n.groups)]
            for (name, value) in extents where value < 1 || value > Self.maximumCount {
                return "\(where_): loopNest.\(name) is \(value); it must be between 1 and 2^53"
            }
            for (name, value) in [("padTop", n.padTop), ("padLeft", n.padLeft), ("padBottom", n.padBottom), ("padRight", n.padRight)]
            where value < 0 || value > Self.maximumCount {
                return "\(where_): loopNest.\(name) is \(value); it must be between 0 and 2^53"
            }
            let widths = op.shape.bitWidths
            for (name, bits) in [("weights", widths.weights), ("inputs", widths.inputs), ("outputs", widths.outputs)] where !(1...64).contains(bits) {
                return "\(where_): bitWidths.\(name) is \(bits); it must be between 1 and 64"
            }
            guard n.M % n.groups == 0, n.C % n.groups == 0 else {
                return "\(where_): groups \(n.groups) does not divide M \(n.M) and C \(n.C)"
            }
            for (what, factors) in [("N·M·P·Q·(C/groups)·R·S", [n.N, n.M, n.P, n.Q, n.channelsPerGroup, n.R, n.S]),
                                    ("N·C·H·W", [n.N, n.C, n.H, n.W])] {
                var product = 1
                for factor in factors {
                    let (next, overflow) = product.multipliedReportingOverflow(by: factor)
                    guard !overflow, next <= Self.maximumCount else {
                        return "\(where_): the loop nest is absurdly large (\(what) above 2^53)"
                    }
                    product = next
                }
            }
            let counts: [(String, Int)] = [("macs", op.shape.macs), ("otherOperations", op.shape.otherOperations),
                                           ("weightWords", op.shape.weightWords), ("inputWords", op.shape.inputWords),
                                           ("outputWords", op.shape.outputWords)]
            for (name, value) in counts where value < 0 || value > Self.maximumCount {
                return "\(where_): \(name) is \(value); it must be between 0 and 2^53"
            }
            if let m = op.measured {
                var fractions = [("inputZeroFraction", m.inputZeroFraction), ("outputZeroFraction", m.outputZeroFraction)]
                if let w = m.weightZeroFraction { fractions.append(("weightZeroFraction", w)) }
                for (name, value) in fractions where !(value >= 0 && value <= 1) {
                    return "\(where_): measured.\(name) is \(value); it must be a fraction in [0, 1]"
                }
            }
        }
        return nil
    }
}

/// A trace file that cannot be used, with the file and the reason.
public struct TraceError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) { self.file = file; self.reason = reason }
    public var description: String { "\(file): not a valid JouleBench trace: \(reason)" }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "top level" : String(p.drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "missing value at \(path(context))"
        case .dataCorrupted(let context): return "corrupt data at \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// Which model a trace describes.
public struct ModelIdentity: Codable, Hashable, Sendable {
    /// Zoo name (`alexnet`) or the ONNX file's name without its extension.
    public var name: String
    /// `zoo`, `onnx:<file name>`, or a pipeline name (`hog`).
    public var source: String
    /// SHA-256 of the ONNX file, when the model came from one.
    public var sha256: String?
    /// Where the weights came from: `real` (ONNX initializers), `synthetic(seed=N)`
    /// (deterministic initialisation: its sparsity is not that of a trained network), or
    /// `none` (a shape-only trace).
    public var weights: String

    public init(name: String, source: String, sha256: String? = nil, weights: String) {
        self.name = name; self.source = source; self.sha256 = sha256; self.weights = weights
    }

    /// True when the weights are not a trained network's: every result made from such a
    /// trace must say so.
    public var hasSyntheticWeights: Bool { weights.hasPrefix("synthetic") }
}

/// The input a trace was made from.
public struct InputIdentity: Codable, Hashable, Sendable {
    public var path: String
    public var width: Int
    public var height: Int
    public var channels: Int
    public init(path: String, width: Int, height: Int, channels: Int) {
        self.path = path; self.width = width; self.height = height; self.channels = channels
    }
}

/// One operator in a trace: its shape and, when it was run, what was measured.
public struct TraceOperator: Codable, Hashable, Sendable {
    public var shape: OperatorShape
    public var measured: MeasuredFacts?
    public init(shape: OperatorShape, measured: MeasuredFacts?) {
        self.shape = shape; self.measured = measured
    }
}

/// Facts measured while running an operator on real data.
public struct MeasuredFacts: Codable, Hashable, Sendable {
    /// Fraction of input activation words that were exactly zero, in [0, 1].
    public var inputZeroFraction: Double
    /// Fraction of output activation words that were exactly zero (after any fused
    /// activation), in [0, 1].
    public var outputZeroFraction: Double
    /// Fraction of weight words that are exactly zero, in [0, 1]; `nil` without weights.
    public var weightZeroFraction: Double?
    /// Wall-clock time of the kernel in seconds. The only field allowed to differ between
    /// two runs on the same input.
    public var wallTimeSeconds: Double
    /// Bytes read and written by the kernel (inputs + weights + outputs, at the
    /// executor's storage width).
    public var bytesTouched: Int

    public init(inputZeroFraction: Double, outputZeroFraction: Double, weightZeroFraction: Double?, wallTimeSeconds: Double, bytesTouched: Int) {
        self.inputZeroFraction = inputZeroFraction; self.outputZeroFraction = outputZeroFraction
        self.weightZeroFraction = weightZeroFraction; self.wallTimeSeconds = wallTimeSeconds
        self.bytesTouched = bytesTouched
    }
}

/// Sums over a trace's operators.
public struct TraceTotals: Codable, Hashable, Sendable {
    public var operators: Int
    public var macs: Int
    public var otherOperations: Int
    public var weightWords: Int
    public var inputWords: Int
    public var outputWords: Int
    /// Sum of measured wall times in seconds (0 for a shape-only trace).
    public var wallTimeSeconds: Double

    public init(operators list: [TraceOperator]) {
        operators = list.count
        macs = list.reduce(0) { $0 + $1.shape.macs }
        otherOperations = list.reduce(0) { $0 + $1.shape.otherOperations }
        weightWords = list.reduce(0) { $0 + $1.shape.weightWords }
        inputWords = list.reduce(0) { $0 + $1.shape.inputWords }
        outputWords = list.reduce(0) { $0 + $1.shape.outputWords }
        wallTimeSeconds = list.reduce(0) { $0 + ($1.measured?.wallTimeSeconds ?? 0) }
    }
}
