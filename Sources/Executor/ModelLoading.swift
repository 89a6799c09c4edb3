import Foundation
import Workloads

/// A model ready to prepare: its graph and where it came from.
public struct LoadedModel: Sendable {
    public var graph: Graph
    /// `zoo` or `onnx:<file name>` (ModelIdentity.source).
    public var source: String
}

extension LoadedModel {
    /// A zoo model by name, or an ONNX file when `nameOrPath` ends in `.onnx` or names an
    /// existing file. Throws the zoo's or the importer's typed error.
    public static func load(_ nameOrPath: String, batch: Int = 1) throws -> LoadedModel {
        if nameOrPath.lowercased().hasSuffix(".onnx") || FileManager.default.fileExists(atPath: nameOrPath) {
            let url = URL(fileURLWithPath: nameOrPath)
            let graph = try ONNXImporter.load(contentsOf: url, batch: batch)
            return LoadedModel(graph: graph, source: "onnx:\(url.lastPathComponent)")
        }
        return LoadedModel(graph: try ModelZoo.graph(named: nameOrPath, batch: batch), source: "zoo")
    }

    /// Prepares the model for running.
    public func session(backend: GEMMBackend = .preferred, precision: StoragePrecision = .float32) throws -> InferenceSession {
        try InferenceSession(graph: graph, source: source, sha256: graph.sourceSHA256, backend: backend, precision: precision)
    }
}

extension InferenceSession {
    /// A deterministic input for the graph's single input (a smooth pattern in about
    /// [−2, 2], like a normalised image), for benchmarks and smoke runs without an image.
    public func syntheticInput() throws -> Tensor {
        guard let spec = inputs.first, inputs.count == 1 else {
            throw ExecutorError(node: nil, reason: "the graph takes \(inputs.count) inputs; a synthetic input needs exactly one")
        }
        let count = spec.elementCount
        return try Tensor(shape: spec.shape, values: (0..<count).map { Float(sin(Double($0) * 0.001) * 2) })
    }
}
