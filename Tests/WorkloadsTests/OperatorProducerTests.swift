import Foundation
import Testing
@testable import Workloads

/// `OperatorShape.producers` (docs/TRACE.md): filled from the graph's edges, a folded
/// batch-norm's output attributed to its convolution, graph inputs adding no name.
@Test func producersFollowTheGraphEdgesThroughAFoldedBatchNorm() throws {
    var b = GraphBuilder(model: "edges", shape: [1, 3, 16, 16])
    let a = try b.convBN("input", "c1", out: 8, kernel: 3)        // c1 (+ folded bn) → c1_relu
    let c = try b.conv(a, "c2", out: 8, kernel: 3, pad: 1)
    let sum = try b.add("sum", .add, [a, c])
    let graph = try b.build(outputs: [sum], preprocessing: .unit)
    let shapes = try graph.operatorShapes()
    let producers = Dictionary(uniqueKeysWithValues: shapes.map { ($0.name, $0.producers) })
    #expect(producers["c1"] == .some([]))            // reads only the graph input
    #expect(producers["c1_relu"] == .some(["c1"]))   // the batch-norm between them is folded into c1
    #expect(producers["c2"] == .some(["c1_relu"]))
    #expect(producers["sum"] == .some(["c1_relu", "c2"]))
}

@Test func everyZooOperatorNamesOnlyEarlierOperators() throws {
    for name in ["alexnet", "googlenet", "resnet50"] {
        let shapes = try ModelZoo.graph(named: name).operatorShapes()
        var seen = Set<String>()
        for s in shapes {
            let producers = try #require(s.producers, "\(name)/\(s.name) has no producers")
            #expect(producers.allSatisfy(seen.contains), "\(name)/\(s.name): \(producers)")
            seen.insert(s.name)
        }
        #expect(shapes.first?.producers == [])
    }
}

@Test func tracesWithoutProducersStillLoad() throws {
    let shape = OperatorShape(name: "op", kind: .relu, loopNest: LoopNest(M: 1, C: 1, H: 2, W: 2, P: 2, Q: 2),
                              macs: 0, weightWords: 0, inputWords: 4, outputWords: 4)
    let trace = Trace(model: ModelIdentity(name: "m", source: "zoo", weights: "none"), inputPixels: 4, shapes: [shape])
    let json = String(decoding: try trace.jsonData(), as: UTF8.self)
    #expect(!json.contains("producers"))  // nil is not written: old readers see the old schema
    let decoded = try JSONDecoder().decode(Trace.self, from: Data(json.utf8))
    #expect(decoded.operators[0].shape.producers == nil)
    var withProducers = trace
    withProducers.operators[0].shape.producers = ["x"]
    let again = try JSONDecoder().decode(Trace.self, from: withProducers.jsonData())
    #expect(again.operators[0].shape.producers == ["x"])
}
