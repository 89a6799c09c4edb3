import Testing
import Workloads
@testable import Executor

/// An executor trace's `producers` name operators of that trace (docs/TRACE.md): an
/// activation fused into its convolution or add is replaced by the operator that absorbed it.
@Test func traceProducersNameOperatorsOfTheTrace() throws {
    let (_, trace) = try InferenceSession(graph: smallGraph(weights: realWeights)).runWithTrace(Naive.tensor([1, 3, 8, 8], seed: 41))
    let producers = Dictionary(uniqueKeysWithValues: trace.operators.map { ($0.shape.name, $0.shape.producers) })
    #expect(producers["conv1"] == .some([]))
    #expect(producers["conv2"] == .some(["conv1"]))         // relu1 was fused into conv1
    #expect(producers["add"] == .some(["conv2", "conv1"]))
    #expect(producers["pool"] == .some(["add"]))            // relu2 was fused into the add
    let names = Set(trace.operators.map(\.shape.name))
    #expect(trace.operators.allSatisfy { $0.shape.producers?.allSatisfy(names.contains) == true })
}
