import Testing
@testable import Workloads

/// Published MACs and parameters, batch 1: REFERENCE.md §5 "Classification workloads"
/// (AlexNet at 227×227 as Eyeriss ran it). Tolerance 1 %.
struct PublishedSize: Sendable, CustomTestStringConvertible {
    var model: String
    var macs: Double
    var parameters: Double
    var testDescription: String { model }
}

@Test(arguments: [
    PublishedSize(model: "alexnet", macs: 0.72e9, parameters: 61.1e6),
])
func zooMatchesPublishedSizes(_ p: PublishedSize) throws {
    let graph = try ModelZoo.graph(named: p.model)
    let macs = try graph.operatorShapes().reduce(0) { $0 + $1.macs }
    #expect(abs(Double(macs) / p.macs - 1) < 0.01, "MACs \(macs) vs \(p.macs)")
    #expect(abs(Double(graph.parameterCount) / p.parameters - 1) < 0.01, "parameters \(graph.parameterCount) vs \(p.parameters)")
}

/// Eyeriss, ISSCC 2016 Fig. 14.5.6 / JSSC 2017 Table V: AlexNet CONV1–5 MMACs at batch 4.
@Test func alexNetConvMACsMatchEyerissAtBatch4() throws {
    let shapes = try ModelZoo.graph(named: "alexnet", batch: 4).operatorShapes()
    let conv = shapes.filter { $0.kind.category == .convolution }
    #expect(conv.map(\.name) == ["conv1", "conv2", "conv3", "conv4", "conv5"])
    let published = [421.66, 895.79, 598.1, 448.6, 299.0]
    for (layer, mmacs) in zip(conv, published) {
        #expect(abs(Double(layer.macs) / 1e6 / mmacs - 1) < 0.001, "\(layer.name): \(layer.macs)")
    }
    #expect(conv[1].loopNest.groups == 2 && conv[3].loopNest.groups == 2 && conv[4].loopNest.groups == 2)
    #expect(conv.map(\.loopNest.P) == [55, 27, 13, 13, 13])
}

/// FC6 in Eyeriss notation (ISCA 2016 Table I): C 256, H = R = 6, M 4096.
@Test func alexNetFC6IsWrittenAsAConvolution() throws {
    let fc6 = try #require(try ModelZoo.graph(named: "alexnet").operatorShapes().first { $0.name == "fc6" })
    #expect(fc6.kind == .fullyConnected)
    #expect(fc6.loopNest.C == 256 && fc6.loopNest.R == 6 && fc6.loopNest.S == 6 && fc6.loopNest.M == 4096)
    #expect(fc6.macs == 9216 * 4096)
    #expect(fc6.weightWords == 9216 * 4096 + 4096)
}

@Test func zooGraphsAreValidAndShapeOnly() throws {
    for name in ModelZoo.names {
        let graph = try ModelZoo.graph(named: name)
        try graph.validate()
        #expect(graph.weights.values.allSatisfy { $0.values == nil })
        let seeds = graph.weights.map { name, weight -> UInt64? in
            if case .synthetic(let seed) = weight.source { return seed } else { return nil }
        }
        #expect(!seeds.contains(nil))
        #expect(Set(seeds).count == seeds.count, "\(name): every weight has its own seed")
        #expect(try graph.operatorShapes().count <= graph.nodes.count)
    }
}

@Test func seedsAreDeterministicAndDocumented() throws {
    // FNV-1a 64 of "/" (empty model and tensor), computed independently in Python.
    #expect(WeightTensor.syntheticSeed(model: "", tensor: "") == 0xaf63_a24c_8601_89fe)  // FNV-1a of "/"
    let a = try ModelZoo.graph(named: "alexnet", batch: 1).weights["conv1.weight"]?.source
    let b = try ModelZoo.graph(named: "alexnet", batch: 8).weights["conv1.weight"]?.source
    #expect(a == b)
    #expect(a == .synthetic(seed: WeightTensor.syntheticSeed(model: "alexnet", tensor: "conv1.weight")))
}

@Test func batchScalesWorkLinearly() throws {
    let one = try ModelZoo.graph(named: "alexnet", batch: 1).operatorShapes().reduce(0) { $0 + $1.macs }
    let three = try ModelZoo.graph(named: "alexnet", batch: 3).operatorShapes().reduce(0) { $0 + $1.macs }
    #expect(three == 3 * one)
}

@Test func unknownModelListsTheZoo() {
    #expect(throws: ModelZooError.unknownModel("lenet", known: ModelZoo.names)) {
        try ModelZoo.graph(named: "lenet")
    }
    #expect(ModelZooError.unknownModel("lenet", known: ["alexnet", "vgg16"]).description.contains("alexnet, vgg16"))
    #expect(throws: ModelZooError.invalidBatch(0)) { try ModelZoo.graph(named: "alexnet", batch: 0) }
}
