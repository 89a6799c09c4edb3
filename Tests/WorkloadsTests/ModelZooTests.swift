import Testing
import Foundation
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
    PublishedSize(model: "vgg16", macs: 15.5e9, parameters: 138.4e6),
    PublishedSize(model: "googlenet", macs: 1.5e9, parameters: 6.6e6),
    PublishedSize(model: "resnet50", macs: 4.1e9, parameters: 25.6e6),
    PublishedSize(model: "mobilenet_v1", macs: 0.57e9, parameters: 4.2e6),
    PublishedSize(model: "mobilenet_v2", macs: 0.30e9, parameters: 3.5e6),
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

/// Every batch-norm of the zoo follows a convolution and folds into it.
@Test(arguments: ["googlenet", "resnet50", "mobilenet_v1", "mobilenet_v2", "fastdepth"])
func zooBatchNormsAllFold(_ name: String) throws {
    let graph = try ModelZoo.graph(named: name)
    let batchNorms = graph.nodes.filter { if case .batchNorm = $0.op { true } else { false } }.count
    let shapes = try graph.operatorShapes()
    #expect(batchNorms > 0)
    #expect(shapes.filter(\.foldedBatchNorm).count == batchNorms)
    #expect(!shapes.contains { $0.kind == .batchNorm })
    #expect(shapes.count == graph.nodes.count - batchNorms)
}

/// FastDepth (Wofk et al., ICRA 2019, Fig. 2): MobileNet encoder, five NNConv5 decoder
/// stages (5×5 depthwise, pointwise halving the channels, ×2 nearest upsampling), additive
/// skips, a one-channel 224×224 depth map. Its MACs are the encoder's (MobileNetV1
/// without its classifier) plus the decoder's, counted here in closed form.
@Test func fastDepthDecoderShapes() throws {
    let graph = try ModelZoo.graph(named: "fastdepth")
    #expect(try graph.inferShapes()[graph.outputs[0]] == [1, 1, 224, 224])
    #expect(graph.nodes.filter { $0.op == .add }.count == 3)
    #expect(graph.nodes.filter { $0.op == .resize(mode: .nearest, scaleHeight: 2, scaleWidth: 2) }.count == 5)
    let mobileNetMACs = try ModelZoo.graph(named: "mobilenet_v1").operatorShapes().reduce(0) { $0 + $1.macs }
    var decoderMACs = 0
    var channels = 1024, side = 7
    for _ in 1...5 {
        decoderMACs += channels * side * side * 25 + channels * (channels / 2) * side * side
        channels /= 2; side *= 2
    }
    decoderMACs += 32 * 224 * 224  // the final 1×1 CONV to depth
    let macs = try graph.operatorShapes().reduce(0) { $0 + $1.macs }
    #expect(macs == mobileNetMACs - 1024 * 1000 + decoderMACs)
    // REFERENCE.md §5: 0.37 GMACs *after* NetAdapt pruning; this unpruned network is ≈ 2× that.
    #expect(macs > 370_000_000)
}

/// U-Net (Ronneberger et al., MICCAI 2015, Fig. 1) with padded convolutions: parameters
/// in closed form, and a label map the size of the input.
@Test func uNetParametersAndOutput() throws {
    let graph = try ModelZoo.graph(named: "unet")
    #expect(try graph.inferShapes()[graph.outputs[0]] == [1, 2, 256, 256])
    func doubleConv(_ cin: Int, _ c: Int) -> Int { 9 * cin * c + c + 9 * c * c + c }
    var expected = doubleConv(3, 64) + doubleConv(64, 128) + doubleConv(128, 256) + doubleConv(256, 512) + doubleConv(512, 1024)
    for c in [512, 256, 128, 64] { expected += (2 * c) * c * 4 + c + doubleConv(2 * c, c) }
    expected += 64 * 2 + 2
    #expect(graph.parameterCount == expected)
    #expect(abs(Double(expected) / 31.03e6 - 1) < 0.001)  // the "31 M" U-Net
    #expect(try graph.operatorShapes().filter { $0.kind == .transposedConv }.count == 4)
}

/// Caffe's GoogLeNet is the same network as the ONNX `inception_v1` file except for its
/// pooling: that file was converted without ceil mode (55×55 after pool1, not 56×56), so
/// only the CONV filter shapes (all 57) are compared.
@Test func googLeNetCaffeFormHasPaperFilters() throws {
    let zoo = try ModelZoo.graph(named: "googlenet_bvlc")
    let filters = zoo.weights.values.map(\.shape).filter { $0.count == 4 }.sorted { $0.lexicographicallyPrecedes($1) }
    let url = try #require(Bundle.module.url(forResource: "light_inception_v1", withExtension: "onnx", subdirectory: "Fixtures"))
    let imported = try ONNXImporter.load(contentsOf: url)
    let importedFilters = imported.weights.values.map(\.shape).filter { $0.count == 4 }.sorted { $0.lexicographicallyPrecedes($1) }
    #expect(filters.count == 57)
    #expect(filters == importedFilters)
    #expect(zoo.nodes.filter { if case .localResponseNorm = $0.op { true } else { false } }.count == 2)
}
