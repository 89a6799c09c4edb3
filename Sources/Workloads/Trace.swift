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
            throw TraceError(file: url.path, reason: "cannot be read: \(fileReadFailureReason(error, path: url.path))")
        }
        return try decode(data, file: url.path)
    }

    /// Decodes and checks a trace held in memory; `file` names it in errors. Refuses JSON
    /// that is not a trace (naming the field path: `operators[3].shape.macs: expected a
    /// whole number, got 1.5`), schema versions this build does not understand, and
    /// traces with an inconsistency (`firstInconsistency()`).
    public static func decode(_ data: Data, file: String) throws(TraceError) -> Trace {
        let trace: Trace
        do { trace = try JSONDecoder().decode(Trace.self, from: data) } catch let error as DecodingError {
            // Another joulebench JSON output (`detect --json`, `images --json`) given as a trace.
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let schema = object["schema"] as? String, schema.hasPrefix("joulebench.") {
                throw TraceError(file: file, reason: "is a \(schema) report, not a trace (`joulebench infer … --trace FILE` and `joulebench detect … --trace FILE` write traces)")
            }
            throw TraceError(file: file, reason: TraceError.describe(error, data: data))
        } catch {
            throw TraceError(file: file, reason: "\(error)")
        }
        guard trace.schemaVersion == currentSchemaVersion else {
            throw TraceError(file: file, reason: "schemaVersion \(trace.schemaVersion) is not supported (this build reads \(currentSchemaVersion))")
        }
        if let problem = trace.firstInconsistency() {
            throw TraceError(file: file, reason: problem)
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
    /// `maximumCount`, the convolution product included), every measured fraction
    /// (in [0, 1]), unique operator names, `producers` naming operators of the trace,
    /// kinds (see `OperatorKind.builtIn`: a built-in name carries its own category; only
    /// streaming kinds may be added by a pipeline) and, for built-in kinds, `macs` as the
    /// loop nest gives it (docs/TRACE.md, "How each kind fills it").
    public func firstInconsistency() -> String? {
        guard inputPixels >= 1, inputPixels <= Self.maximumCount else {
            return "inputPixels is \(inputPixels); it must be between 1 and 2^53"
        }
        guard !operators.isEmpty else { return "operators is empty: there is nothing to price" }
        var indexByName: [String: Int] = [:]
        indexByName.reserveCapacity(operators.count)
        for (index, op) in operators.enumerated() {
            if let first = indexByName.updateValue(index, forKey: op.shape.name) {
                return "operators[\(index)]: the name '\(op.shape.name)' is also that of operators[\(first)]; operator names must be unique"
            }
        }
        for (index, op) in operators.enumerated() {
            // Built only when a check fails: this runs on every pricing call.
            var where_: String { "operators[\(index)] ('\(op.shape.name)')" }
            if let problem = Self.kindInconsistency(op.shape.kind) { return "\(where_): \(problem)" }
            for producer in op.shape.producers ?? [] where indexByName[producer] == nil || producer == op.shape.name {
                return producer == op.shape.name
                    ? "\(where_): producers names the operator itself"
                    : "\(where_): producers names '\(producer)', which is no operator of this trace"
            }
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
            var products = [(Self.convolutionMACsFormula, [n.N, n.M, n.P, n.Q, n.channelsPerGroup, n.R, n.S]),
                            ("N·C·H·W", [n.N, n.C, n.H, n.W])]
            if op.shape.kind == .transposedConv {
                products.append((Self.transposedConvolutionMACsFormula, [n.N, n.C, n.H, n.W, n.filtersPerGroup, n.R, n.S]))
            }
            for (what, factors) in products {
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
            if let (formula, expected) = Self.loopNestMACs(op.shape), op.shape.macs != expected {
                let kind = op.shape.kind.name
                guard let formula else { return "\(where_): macs is \(op.shape.macs), but a '\(kind)' does no MACs (0)" }
                return "\(where_): macs is \(op.shape.macs), but a '\(kind)' with this loop nest has \(formula) = \(expected)"
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

    /// Why `kind` cannot be priced as given, or nil. Convolution, fully connected,
    /// pooling, element-wise and data-movement kinds are the closed vocabulary of
    /// `OperatorKind.builtIn` (the executor and ONNX import write no others, and the energy
    /// model prices them by their loop nest); a pipeline may add kinds of the `streaming`
    /// category only (HOG's `hog_gradient` …).
    static func kindInconsistency(_ kind: OperatorKind) -> String? {
        if let builtIn = OperatorKind.builtInByName[kind.name] {
            return builtIn.category == kind.category ? nil
                : "kind '\(kind.name)' has category '\(kind.category.rawValue)', but '\(kind.name)' is of category '\(builtIn.category.rawValue)'"
        }
        guard kind.category == .streaming else {
            let known = OperatorKind.builtIn.filter { $0.category == kind.category }.map(\.name)
            return "unknown kind '\(kind.name)' for category '\(kind.category.rawValue)' (known: \(known.joined(separator: ", "))); "
                + "only streaming kinds may be added"
        }
        return kind.name.isEmpty ? "kind has an empty name" : nil
    }

    static let convolutionMACsFormula = "N·M·P·Q·(C/groups)·R·S"
    static let transposedConvolutionMACsFormula = "N·C·H·W·(M/groups)·R·S"

    /// The MACs a built-in kind's loop nest determines, with the formula (nil for kinds
    /// that do none), or nil when the kind is not built in (a pipeline's streaming kind
    /// counts its own). The caller has bounded the products by 2^53 already.
    static func loopNestMACs(_ shape: OperatorShape) -> (formula: String?, macs: Int)? {
        guard OperatorKind.builtInByName[shape.kind.name] != nil else { return nil }
        switch shape.kind.category {
        case .convolution where shape.kind == .transposedConv:
            return (transposedConvolutionMACsFormula, shape.loopNest.transposedConvolutionMACs)
        case .convolution, .fullyConnected:
            return (convolutionMACsFormula, shape.loopNest.convolutionMACs)
        case .pooling, .elementwise, .dataMovement:
            return (nil, 0)
        case .streaming:
            return nil
        }
    }
}

extension OperatorKind {
    /// The kinds Workloads defines (convolution, fully connected, pooling, element-wise,
    /// data movement): everything the zoo, ONNX import and the executor write. Pipelines
    /// add `streaming` kinds of their own.
    public static let builtIn: [OperatorKind] = [
        .conv, .depthwiseConv, .pointwiseConv, .transposedConv, .fullyConnected,
        .maxPool, .averagePool, .globalAveragePool, .globalMaxPool,
        .relu, .relu6, .clip, .leakyRelu, .sigmoid, .hardSigmoid, .hardSwish, .batchNorm, .localResponseNorm,
        .add, .sub, .mul, .div, .softmax,
        .concat, .upsampleNearest, .upsampleBilinear, .reshape, .flatten, .transpose, .pad, .identity, .dropout,
    ]

    static let builtInByName: [String: OperatorKind] = Dictionary(builtIn.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
}

/// A trace file that cannot be used, with the file and the reason.
public struct TraceError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) { self.file = file; self.reason = reason }
    public var description: String { "\(file): not a valid JouleBench trace: \(reason)" }

    /// `"<field path>: <problem>"` for a decoding failure, e.g. `operators[3].shape: missing
    /// key 'macs'`. `data`, the JSON decoded, locates what the decoder reports without a
    /// path: Foundation on Linux calls a number that does not fit an integer field (1.5,
    /// 1e30) "not valid JSON" at the top level.
    static func describe(_ error: DecodingError, data: Data? = nil) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let p = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "top level" : String(p.drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath)): missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)): missing value (null)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, let data {
                do {
                    let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
                    if let problem = firstNonWholeNumber(in: object, path: "", key: nil) { return problem }
                } catch {
                    let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
                    return "not JSON: \(detail)"
                }
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// Keys whose numbers are fractional in a trace (`MeasuredFacts`, `TraceTotals`,
    /// `StreamingFootprint`); every other number of the schema is an integer.
    static let fractionalKeys: Set<String> = [
        "inputZeroFraction", "outputZeroFraction", "weightZeroFraction", "wallTimeSeconds",
        "lineBufferReadsPerOutput", "windowReadsPerOutput",
    ]

    /// The first number (objects in key order, arrays in order) that the schema wants
    /// whole but that is fractional or beyond `Int`, as `"path: expected a whole number,
    /// got 1.5"`; nil when there is none.
    static func firstNonWholeNumber(in value: Any, path: String, key: String?) -> String? {
        if let object = value as? [String: Any] {
            for name in object.keys.sorted() where !(path.isEmpty && name == "provenance") {
                let inner = path.isEmpty ? name : "\(path).\(name)"
                if let problem = firstNonWholeNumber(in: object[name]!, path: inner, key: name) { return problem }
            }
            return nil
        }
        if let array = value as? [Any] {
            for (index, element) in array.enumerated() {
                if let problem = firstNonWholeNumber(in: element, path: "\(path)[\(index)]", key: key) { return problem }
            }
            return nil
        }
        guard let number = value as? NSNumber, !fractionalKeys.contains(key ?? "") else { return nil }
        let type = String(cString: number.objCType)
        if ["c", "B", "s", "i", "l", "q"].contains(type) { return nil }  // true/false, or a signed integer: fits
        if ["C", "S", "I", "L", "Q"].contains(type) {
            return number.uint64Value <= UInt64(Int.max) ? nil
                : "\(path.isEmpty ? "top level" : path): expected a whole number, got \(number.stringValue), beyond the 64-bit integer range"
        }
        let double = number.doubleValue
        let place = path.isEmpty ? "top level" : path
        guard double.isFinite, double == double.rounded(.towardZero) else {
            return "\(place): expected a whole number, got \(number.stringValue)"
        }
        // 2^63 is the first whole double beyond Int.
        guard double >= -0x1p63, double < 0x1p63 else {
            return "\(place): expected a whole number, got \(number.stringValue), beyond the 64-bit integer range"
        }
        return nil
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
