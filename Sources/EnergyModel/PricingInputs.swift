import Foundation
import Workloads

/// A zero-fraction argument or file that cannot be used, with where and why.
public struct ZeroFractionsError: Error, CustomStringConvertible, Equatable, Sendable {
    public var source: String
    public var reason: String
    public init(source: String, reason: String) { self.source = source; self.reason = reason }
    public var description: String { "\(source): \(reason)" }
}

extension ZeroFractionOverride {
    /// Parses per-operator input zero fractions from the command line:
    /// `conv1=0.0,conv2=0.387` (input activations only; outputs and weights keep what the
    /// trace measured, dense for a shape-only trace).
    public static func parseList(_ text: String) throws -> [String: ZeroFractionOverride] {
        var result: [String: ZeroFractionOverride] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ZeroFractionsError(source: "--zeros", reason: "'\(item)' is not NAME=FRACTION")
            }
            guard let value = Double(parts[1]), value >= 0, value <= 1 else {
                throw ZeroFractionsError(source: "--zeros", reason: "'\(parts[1])' for '\(parts[0])' is not a fraction in [0, 1]")
            }
            result[parts[0]] = ZeroFractionOverride(inputs: value)
        }
        return result
    }

    /// Reads a JSON file `{"conv1": {"inputs": 0.0, "outputs": 0.39, "weights": 0}, …}`;
    /// missing fields keep what the trace measured (dense for a shape-only trace).
    public static func read(from url: URL) throws -> [String: ZeroFractionOverride] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ZeroFractionsError(source: url.path, reason: "cannot be read: \(fileReadFailureReason(error, path: url.path))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let map = object as? [String: Any] else {
            throw ZeroFractionsError(source: url.path, reason: "expected a JSON object of operator name to {inputs, outputs, weights}")
        }
        var result: [String: ZeroFractionOverride] = [:]
        for (name, value) in map {
            guard let fields = value as? [String: Any] else {
                throw ZeroFractionsError(source: url.path, reason: "'\(name)': expected an object with inputs/outputs/weights")
            }
            var z = ZeroFractionOverride()
            for (key, raw) in fields {
                guard ["inputs", "outputs", "weights"].contains(key) else {
                    throw ZeroFractionsError(source: url.path, reason: "'\(name).\(key)': unknown key (use inputs, outputs, weights)")
                }
                // JSON's true/false arrive as a boolean NSNumber; `raw is Bool` is also true
                // for the numbers 0 and 1 on Linux, so the type is compared instead.
                guard let number = raw as? NSNumber, type(of: raw) != type(of: NSNumber(value: true)),
                      number.doubleValue >= 0, number.doubleValue <= 1 else {
                    throw ZeroFractionsError(source: url.path, reason: "'\(name).\(key)': not a fraction in [0, 1]")
                }
                switch key {
                case "inputs": z.inputs = number.doubleValue
                case "outputs": z.outputs = number.doubleValue
                default: z.weights = number.doubleValue
                }
            }
            result[name] = z
        }
        return result
    }
}

extension Trace {
    /// A saved trace (a path to a `.json` file), an ONNX file (`.onnx`) or a zoo model by
    /// name, as a trace to price. A model becomes a shape-only trace (dense: no measured
    /// zero fractions) whose input pixels are the network input's H×W (there is no camera
    /// frame); an ONNX file's identity carries the file's SHA-256.
    /// `inputShape` fixes an ONNX file's first input (N×C×H×W), as `models --input-shape` does.
    public static func loadForPricing(_ modelOrTrace: String, batch: Int = 1, inputShape: [Int]? = nil) throws -> Trace {
        let graph: Graph, identity: ModelIdentity
        let namedONNX = modelOrTrace.lowercased().hasSuffix(".onnx")
        if namedONNX || isNonJSONFile(modelOrTrace) {
            let url = URL(fileURLWithPath: modelOrTrace)
            do {
                graph = try ONNXImporter.load(contentsOf: url, batch: batch, firstInputShape: inputShape)
            } catch let error as ONNXImportError where !namedONNX && error.node == nil && error.reason.hasPrefix("is not an ONNX model") {
                // Not JSON and not a protobuf either (a text file, an image): say both.
                let detail = error.reason.replacingOccurrences(of: "is not an ONNX model: ", with: "")
                throw TraceError(file: url.path, reason: "not JSON, and not an ONNX model either (\(detail))")
            }
            identity = ModelIdentity(name: graph.name, source: "onnx:\(url.lastPathComponent)", sha256: graph.sourceSHA256, weights: "none")
        } else if modelOrTrace.hasSuffix(".json") || FileManager.default.fileExists(atPath: modelOrTrace) {
            return try Trace.read(from: URL(fileURLWithPath: modelOrTrace))
        } else {
            graph = try ModelZoo.graph(named: modelOrTrace, batch: batch)
            identity = ModelIdentity(name: graph.name, source: "zoo", weights: "none")
        }
        let shapes = try graph.operatorShapes()
        let input = graph.inputs.first?.shape ?? []
        let pixels = input.count >= 2 ? input[input.count - 1] * input[input.count - 2] : 1
        var trace = Trace(model: identity, inputPixels: pixels, shapes: shapes)
        trace.provenance = ["producer": "EnergyModel Trace.loadForPricing", "batch": "\(batch)"]
        return trace
    }

    /// A regular file whose first non-blank byte does not open a JSON object or array: an
    /// ONNX model whatever its name (as `models` and `infer` take it), not a trace; its
    /// importer then says what is wrong with it if it is not one either.
    static func isNonJSONFile(_ path: String) -> Bool {
        guard !path.lowercased().hasSuffix(".json"),
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard var head = try? handle.read(upToCount: 256) else { return false }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { head = head.dropFirst(3) }          // UTF-8 byte-order mark
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return false }   // UTF-16 text: the JSON reader's
        let blanks: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = head.first(where: { !blanks.contains($0) }) else { return false }   // empty: the JSON reader says so
        return first != UInt8(ascii: "{") && first != UInt8(ascii: "[")
    }
}

extension Precision {
    /// The precision of an executor integer precision study recorded in `trace`
    /// (`executor.precision` = int8 / int16 and every operator at those bit widths), which
    /// `joulebench price` uses when no `--precision` is given; nil for any other trace.
    public static func ofIntegerStudy(_ trace: Trace) -> Precision? {
        guard let note = trace.provenance["executor.precision"], !trace.operators.isEmpty else { return nil }
        for candidate in [Precision.int8, .int16] where note.hasPrefix("\(candidate.rawValue):") {
            let uniform = BitWidths(uniform: candidate.bits)
            return trace.operators.allSatisfy { $0.shape.bitWidths == uniform } ? candidate : nil
        }
        return nil
    }
}
