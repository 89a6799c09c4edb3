import Foundation
import Testing
import Workloads
@testable import Executor

/// onnxruntime's output for a model on `InferenceSession.syntheticInput()`
/// (Fixtures/, made by Scripts/bench_executor_peer.py reference).
struct PeerReference: Decodable {
    var model: String
    var tensor: String?
    var every: Int
    var count: Int
    var values: [Float]
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Real trained weights, end to end through ONNX import: the executor agrees with
/// onnxruntime on the rapidocr text-direction classifier (a MobileNetV3-style network with
/// hard-swish, squeeze-excite and batch-norm) and on DBNet's logits (before the sigmoid,
/// where onnxruntime's approximate logistic would dominate the difference).
@Test(arguments: ["onnxruntime_cls.json", "onnxruntime_dbnet_logits.json"], [GEMMBackend.simd, .oneDNN])
func realWeightModelsMatchOnnxruntime(_ fixture: String, backend: GEMMBackend) throws {
    let url = repositoryRoot.appendingPathComponent("Tests/ExecutorTests/Fixtures/\(fixture)")
    let reference = try JSONDecoder().decode(PeerReference.self, from: Data(contentsOf: url))
    var graph = try ONNXImporter.load(contentsOf: repositoryRoot.appendingPathComponent("Tests/WorkloadsTests/Fixtures/\(reference.model)"))
    if let tensor = reference.tensor { graph.outputs = [tensor] }
    let session = try InferenceSession(graph: graph, source: "onnx:\(reference.model)", backend: backend)
    #expect(session.identity.weights == "real")
    let output = try #require(try session.run(try session.syntheticInput())[graph.outputs[0]])
    #expect(output.elementCount == reference.count)
    let ours = stride(from: 0, to: output.elementCount, by: reference.every).map { output.values[$0] }
    let scale = reference.values.map(abs).max() ?? 1
    let worst = zip(ours, reference.values).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= 1e-4 * max(scale, 1), "largest difference \(worst) at scale \(scale)")
}
