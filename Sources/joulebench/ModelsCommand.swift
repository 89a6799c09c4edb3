import ArgumentParser
import Foundation
import Workloads

/// `joulebench models`: the model zoo, and the per-operator shapes of a zoo model or an
/// ONNX file.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model zoo, or print a model's per-operator shapes.",
        discussion: """
            Without a model: every zoo model with its MACs, parameters and input size.
            With a zoo name or an .onnx file: its totals, or with --layers one row per operator \
            (N M C H W P Q R S, stride, groups, MACs, words); --json prints a shape-only trace \
            (docs/TRACE.md) instead of a table, which always holds every operator (--layers or not). \
            Without a model, --json prints {schema: joulebench.models/1, models: [...]}.
            """)

    @Argument(help: "A zoo model name (see `joulebench models`) or an ONNX file.")
    var model: String?

    @Flag(help: "Print one row per operator (needs a model; --json always includes them).")
    var layers = false

    @Flag(help: "Print JSON (a shape-only trace, docs/TRACE.md) instead of a table.")
    var json = false

    @Option(name: .customLong("batch"), parsing: .unconditional, help: "Batch size (1…4096; default 1, or the first size of --input-shape).")
    var requestedBatch: Int?

    /// `--batch`, else the batch of `--input-shape`, else 1.
    var batch: Int { requestedBatch ?? parsedInputShape?.first ?? 1 }

    @Option(name: .customLong("input-shape"), help: ArgumentHelp(
        "ONNX only: the shape of the first graph input, e.g. 1x3x227x227 (symbolic sizes default to 224).",
        valueName: "NxCxHxW"))
    var inputShape: String?

    /// `--input-shape`, parsed (validated in `validate()`).
    var parsedInputShape: [Int]? { inputShape.flatMap(parseShape) }

    func validate() throws {
        if let requestedBatch, !(1...maximumBatch).contains(requestedBatch) {
            throw ValidationError("--batch must be between 1 and \(maximumBatch), got \(requestedBatch)")
        }
        if let requestedBatch, let shape = parsedInputShape, shape.first != requestedBatch {
            throw ValidationError("--batch \(requestedBatch) contradicts the batch \(shape[0]) of --input-shape \(inputShape ?? ""); give one")
        }
        if model == nil {
            if layers { throw ValidationError("--layers needs a model: joulebench models NAME_OR_ONNX --layers") }
            if inputShape != nil { throw ValidationError("--input-shape needs an ONNX model: joulebench models FILE.onnx --input-shape NxCxHxW") }
        }
        if let inputShape {
            _ = try checkedInputShape(inputShape)
            if let model, !Self.isONNX(model) {
                throw ValidationError("--input-shape applies to ONNX files only; zoo models have their published input")
            }
        }
    }

    func run() throws {
        try reportingFailures(of: "models") {
            guard let model else {
                if json {
                    let rows = try ModelZoo.entries.map { try ModelSummary(graph: ModelZoo.graph(named: $0.name, batch: batch), summary: $0.summary) }
                    print(try String(decoding: Self.encoder.encode(ModelList(models: rows)), as: UTF8.self))
                } else {
                    try printZoo()
                }
                return
            }
            let (graph, identity) = try Self.load(model, batch: batch, inputShape: parsedInputShape)
            let shapes = try graph.operatorShapes()
            if json {
                let pixels = graph.inputs.first.map { $0.shape.count == 4 ? $0.shape[2] * $0.shape[3] : 0 } ?? 0
                var trace = Trace(model: identity, inputPixels: pixels, shapes: shapes)
                trace.provenance = ["producer": "joulebench models", "batch": "\(batch)"]
                print(String(decoding: try trace.jsonData(), as: UTF8.self))
                return
            }
            let summary = try ModelSummary(graph: graph, summary: identity.source)
            print("\(graph.name) (\(identity.source), weights: \(identity.weights))")
            if let sha256 = identity.sha256 { print("sha256: \(sha256)") }
            print("input \(summary.input.map(String.init).joined(separator: "×")), \(Self.giga(summary.macs)) GMACs, \(Self.mega(summary.parameters)) M parameters, \(shapes.count) operators")
            if layers { print(Self.table(shapes)) }
        }
    }

    /// An ONNX file rather than a zoo name: an `.onnx` name, or any existing file.
    static func isONNX(_ model: String) -> Bool {
        model.lowercased().hasSuffix(".onnx") || FileManager.default.fileExists(atPath: model)
    }

    /// A zoo name or an ONNX file, as a graph and the identity its traces carry.
    static func load(_ model: String, batch: Int, inputShape: [Int]?) throws -> (Graph, ModelIdentity) {
        if isONNX(model) {
            let url = URL(fileURLWithPath: model)
            let graph = try ONNXImporter.load(contentsOf: url, batch: batch, firstInputShape: inputShape)
            return (graph, ModelIdentity(name: graph.name, source: "onnx:\(url.lastPathComponent)", sha256: graph.sourceSHA256, weights: graph.weightProvenance))
        }
        guard inputShape == nil else { throw ValidationError("--input-shape applies to ONNX files only; zoo models have their published input") }
        let graph = try ModelZoo.graph(named: model, batch: batch)
        return (graph, ModelIdentity(name: graph.name, source: "zoo", weights: graph.weightProvenance))
    }

    private func printZoo() throws {
        var rows = [["model", "input", "GMACs", "params (M)", "what"]]
        for entry in ModelZoo.entries {
            let s = try ModelSummary(graph: ModelZoo.graph(named: entry.name, batch: batch), summary: entry.summary)
            rows.append([s.name, s.input.map(String.init).joined(separator: "×"), Self.giga(s.macs), Self.mega(s.parameters), s.summary])
        }
        print(Self.align(rows, rightAligned: [2, 3]))
    }

    static func table(_ shapes: [OperatorShape]) -> String {
        var rows = [["operator", "kind", "N", "M", "C", "H", "W", "P", "Q", "R", "S", "stride", "groups", "MACs", "weight words", "input words", "output words", "notes"]]
        for s in shapes {
            let n = s.loopNest
            let stride = n.strideH == n.strideW ? "\(n.strideH)" : "\(n.strideH)x\(n.strideW)"
            rows.append([s.name, s.kind.name, "\(n.N)", "\(n.M)", "\(n.C)", "\(n.H)", "\(n.W)", "\(n.P)", "\(n.Q)", "\(n.R)", "\(n.S)",
                         stride, "\(n.groups)", "\(s.macs)", "\(s.weightWords)", "\(s.inputWords)", "\(s.outputWords)",
                         s.foldedBatchNorm ? "BN folded" : ""])
        }
        let total = shapes.reduce(into: (0, 0, 0, 0)) { t, s in
            t.0 += s.macs; t.1 += s.weightWords; t.2 += s.inputWords; t.3 += s.outputWords
        }
        rows.append(["total", "", "", "", "", "", "", "", "", "", "", "", "", "\(total.0)", "\(total.1)", "\(total.2)", "\(total.3)", ""])
        return align(rows, rightAligned: Set(2...16))
    }

    static func align(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    static func giga(_ x: Int) -> String { String(format: "%.3f", Double(x) / 1e9) }
    static func mega(_ x: Int) -> String { String(format: "%.2f", Double(x) / 1e6) }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}

/// `models --json` without a model: the zoo, schema `joulebench.models/1`.
struct ModelList: Codable {
    var schema = "joulebench.models/1"
    var models: [ModelSummary]
}

/// One zoo listing row.
struct ModelSummary: Codable {
    var name: String
    /// Shape of the (first) graph input, N, C, H, W.
    var input: [Int]
    var macs: Int
    var parameters: Int
    var summary: String

    init(graph: Graph, summary: String) throws {
        name = graph.name
        input = graph.inputs.first?.shape ?? []
        macs = try graph.operatorShapes().reduce(0) { $0 + $1.macs }
        parameters = graph.parameterCount
        self.summary = summary
    }
}
