import Foundation
import Imaging
import Testing
import Workloads
@testable import Executor

func rgbImage(width: Int, height: Int, _ components: [UInt8]) -> DecodedImage {
    DecodedImage(format: .png, sourceChannels: 3, sourceBitDepth: 8,
                 pixels: .uint8(Image(width: width, height: height, layout: .rgb, components: components)))
}

@Test func imageInputNormalisesPerChannelIntoNCHW() throws {
    // 2×1 RGB pixels: (255, 0, 51) and (0, 255, 102).
    let image = rgbImage(width: 2, height: 1, [255, 0, 51, 0, 255, 102])
    let spec = TensorSpec(name: "x", shape: [1, 3, 1, 2])
    let t = try ImageInput.tensor(from: image, path: "a.png", spec: spec, preprocessing: .imageNet)
    let mean = Preprocessing.imageNet.mean, std = Preprocessing.imageNet.std
    let want: [Float] = [
        (1 - mean[0]) / std[0], (0 - mean[0]) / std[0],
        (0 - mean[1]) / std[1], (1 - mean[1]) / std[1],
        (0.2 - mean[2]) / std[2], (0.4 - mean[2]) / std[2],
    ]
    #expect(t.shape == [1, 3, 1, 2])
    #expect(Naive.maxError(t.values, want) < 1e-5)
}

@Test func imageInputReordersToBGRForCaffeModels() throws {
    let image = rgbImage(width: 1, height: 1, [10, 20, 30])
    let t = try ImageInput.tensor(from: image, path: "a.png", spec: TensorSpec(name: "x", shape: [1, 3, 1, 1]), preprocessing: .caffeBGR)
    // Caffe: BGR, 0–255 minus (104, 117, 123).
    #expect(Naive.maxError(t.values, [30 - 104, 20 - 117, 10 - 123]) < 1e-3)
}

/// One row of the normalisation table: a model's preprocessing, the options given
/// (`infer --mean --std --channel-order`), and the NCHW values by hand.
struct NormalisationCase: Sendable, CustomTestStringConvertible {
    var base: Preprocessing
    var options: NormalisationOptions
    var want: [Float]
    var testDescription: String
}

/// The 2×1 image (255, 0, 51), (0, 255, 102): as pixel/255, R = (1, 0), G = (0, 1), B = (0.2, 0.4).
let normalisationCases: [NormalisationCase] = [
    NormalisationCase(base: .imageNet, options: NormalisationOptions(), want: [
        (1 - 0.485) / 0.229, (0 - 0.485) / 0.229, (0 - 0.456) / 0.224, (1 - 0.456) / 0.224, (0.2 - 0.406) / 0.225, (0.4 - 0.406) / 0.225,
    ], testDescription: "no options: the model's (ImageNet, RGB)"),
    // PaddleOCR's (x/255 − 0.5)/0.5: R, G, B planes.
    NormalisationCase(base: .imageNet, options: NormalisationOptions(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]),
                      want: [1, -1, -1, 1, -0.6, -0.2], testDescription: "--mean 0.5,0.5,0.5 --std 0.5,0.5,0.5"),
    // ... fed as B, G, R planes.
    NormalisationCase(base: .imageNet, options: NormalisationOptions(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: .bgr),
                      want: [-0.6, -0.2, -1, 1, 1, -1], testDescription: "--mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 --channel-order bgr"),
    // Different values per channel: each stays with its image channel when the order changes.
    NormalisationCase(base: .imageNet, options: NormalisationOptions(mean: [0.25, 0.5, 0.75], std: [0.5, 0.25, 1], channelOrder: .bgr),
                      want: [(0.2 - 0.75) / 1, (0.4 - 0.75) / 1, (0 - 0.5) / 0.25, (1 - 0.5) / 0.25, (1 - 0.25) / 0.5, (0 - 0.25) / 0.5],
                      testDescription: "--mean 0.25,0.5,0.75 --std 0.5,0.25,1 --channel-order bgr"),
    // Only --std: the model's mean stays.
    NormalisationCase(base: .imageNet, options: NormalisationOptions(std: [1, 1, 1]),
                      want: [1 - 0.485, 0 - 0.485, 0 - 0.456, 1 - 0.456, 0.2 - 0.406, 0.4 - 0.406], testDescription: "--std 1,1,1"),
    // Only --mean: the model's std stays.
    NormalisationCase(base: .imageNet, options: NormalisationOptions(mean: [0, 0, 0]),
                      want: [1 / 0.229, 0, 0, 1 / 0.224, 0.2 / 0.225, 0.4 / 0.225], testDescription: "--mean 0,0,0"),
    // Caffe (BGR, 0–255 minus B 104, G 117, R 123) fed as RGB: the means stay with their colours.
    NormalisationCase(base: .caffeBGR, options: NormalisationOptions(channelOrder: .rgb),
                      want: [255 - 123, 0 - 123, 0 - 117, 255 - 117, 51 - 104, 102 - 104], testDescription: "caffe, --channel-order rgb"),
    // Negative means are legitimate (a value above 1 is brightened).
    NormalisationCase(base: .unit, options: NormalisationOptions(mean: [-1, 0, 1], std: [2, 1, 0.5]),
                      want: [(1 + 1) / 2, (0 + 1) / 2, 0, 1, (0.2 - 1) / 0.5, (0.4 - 1) / 0.5], testDescription: "--mean -1,0,1 --std 2,1,0.5"),
]

@Test(arguments: normalisationCases)
func imageInputNormalisesAsTheOptionsSay(_ c: NormalisationCase) throws {
    let image = rgbImage(width: 2, height: 1, [255, 0, 51, 0, 255, 102])
    let t = try ImageInput.tensor(from: image, path: "a.png", spec: TensorSpec(name: "x", shape: [1, 3, 1, 2]),
                                  preprocessing: c.base.applying(c.options))
    #expect(t.shape == [1, 3, 1, 2])
    // The values by hand; float32 computes pixel · 1/(255·std) − mean/std, each term rounded
    // to a few ulps of the largest value of the case (132 for Caffe's 0–255 scale).
    let largest = c.want.map(abs).max() ?? 1
    for (got, want) in zip(t.values, c.want) {
        #expect(abs(got - want) <= 2e-6 * max(1, largest), "got \(t.values), want \(c.want)")
    }
}

@Test func normalisationKeepsMeansWithTheirColoursAndSaysWhatItIs() {
    let caffeMeanRGB: [Float] = [123 / 255, 117 / 255, 104 / 255]
    #expect(Preprocessing.caffeBGR.meanRGB == caffeMeanRGB)
    #expect(Preprocessing.imageNet.meanRGB == Preprocessing.imageNet.mean)
    let paddle = Preprocessing.imageNet.applying(NormalisationOptions(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: .bgr))
    #expect(paddle == Preprocessing(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: "BGR"))
    #expect(paddle.summary == "(pixel/255 − mean) / std, mean R,G,B 0.5, 0.5, 0.5, std R,G,B 0.5, 0.5, 0.5, channels in BGR order")
    #expect(Preprocessing.imageNet.summary
            == "(pixel/255 − mean) / std, mean R,G,B 0.485, 0.456, 0.406, std R,G,B 0.229, 0.224, 0.225, channels in RGB order")
    // Changing nothing changes nothing.
    #expect(Preprocessing.caffeBGR.applying(NormalisationOptions()) == Preprocessing.caffeBGR)
    // Where it came from.
    #expect(ImageInference.normalisationOrigin(of: NormalisationOptions(), modelSource: "zoo") == "the model's")
    #expect(ImageInference.normalisationOrigin(of: NormalisationOptions(), modelSource: "onnx:m.onnx")
            == "ImageNet's, the default for ONNX files, which do not record theirs")
    #expect(ImageInference.normalisationOrigin(of: NormalisationOptions(std: [1, 1, 1], channelOrder: .bgr), modelSource: "onnx:m.onnx")
            == "given: std, channel order; the rest ImageNet's, the ONNX default")
    #expect(ImageInference.normalisationOrigin(of: NormalisationOptions(mean: [0, 0, 0], std: [1, 1, 1], channelOrder: .rgb), modelSource: "zoo")
            == "given: mean, std, channel order")
}

/// A library caller's normalisation that cannot work is a typed error naming the image,
/// not a tensor of infinities.
@Test(arguments: [
    (Preprocessing(mean: [0, 0, 0], std: [0, 1, 1]), "the input normalisation's std 0.0 is not a finite number of at least 1e-36"),
    (Preprocessing(mean: [0, 0, 0], std: [1, -0.5, 1]), "the input normalisation's std -0.5 is not a finite number of at least 1e-36"),
    (Preprocessing(mean: [0, .nan, 0], std: [1, 1, 1]), "the input normalisation's mean nan is not a finite number"),
    (Preprocessing(mean: [0, 0, 0], std: [1, 1, 1e-37]), "the input normalisation's std 1e-37 is not a finite number of at least 1e-36"),
    (Preprocessing(mean: [0, 0, 0], std: [1, .infinity, 1]), "the input normalisation's std inf is not a finite number of at least 1e-36"),
    (Preprocessing(mean: [3e38, 0, 0], std: [0.1, 1, 1]), "the input normalisation's mean 3e+38 and std 0.1 put pixel values beyond float32's range"),
])
func imageInputRefusesANormalisationThatCannotWork(_ preprocessing: Preprocessing, _ reason: String) {
    let image = rgbImage(width: 1, height: 1, [10, 20, 30])
    #expect(throws: ImageInput.Error(path: "a.png", reason: reason)) {
        try ImageInput.tensor(from: image, path: "a.png", spec: TensorSpec(name: "x", shape: [1, 3, 1, 1]), preprocessing: preprocessing)
    }
}

/// `ImageInference.run` feeds the network what the options say and records it in the
/// trace's provenance (the trace's zero fractions depend on it).
@Test func inferenceRecordsTheNormalisationItUsed() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("executor-infer-norm-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let photo = try writeTestPhoto(in: directory)
    let model = repositoryRoot.appendingPathComponent("Tests/WorkloadsTests/Fixtures/ch_ppocr_mobile_v2.0_cls_infer.onnx").path
    let paddle = NormalisationOptions(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: .bgr)
    let given = try ImageInference.run(model: model, imagePath: photo.path, backend: .simd, inputShape: [1, 3, 48, 192], normalisation: paddle)
    let byDefault = try ImageInference.run(model: model, imagePath: photo.path, backend: .simd, inputShape: [1, 3, 48, 192])
    #expect(given.preprocessing == Preprocessing(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: "BGR"))
    #expect(given.trace.provenance["input.normalisation"]
            == "(pixel/255 − mean) / std, mean R,G,B 0.5, 0.5, 0.5, std R,G,B 0.5, 0.5, 0.5, channels in BGR order")
    #expect(given.trace.provenance["input.normalisationOrigin"] == "given: mean, std, channel order")
    #expect(byDefault.preprocessing == .imageNet)
    #expect(byDefault.trace.provenance["input.normalisation"] == Preprocessing.imageNet.summary)
    #expect(byDefault.trace.provenance["input.normalisationOrigin"]?.hasPrefix("ImageNet's, the default for ONNX files") == true)
    // Another input, so other outputs (and the first operator saw other values).
    let name = given.outputNames[0]
    #expect(given.outputs[name]?.values != byDefault.outputs[name]?.values)
}

@Test func imageInputResizesWithOpenCVBilinear() throws {
    let image = rgbImage(width: 4, height: 4, (0..<48).map { UInt8($0 * 5) })
    let t = try ImageInput.tensor(from: image, path: "a.png", spec: TensorSpec(name: "x", shape: [1, 3, 2, 2]), preprocessing: .unit)
    let resized = image.image8().resized(width: 2, height: 2)
    #expect(abs(t.values[0] - Float(resized.components[0]) / 255) < 1e-6)
    #expect(abs(t.values[4 + 3] - Float(resized.components[3 * 3 + 1]) / 255) < 1e-6)   // G of the last pixel
}

@Test func imageInputRefusesTheWrongChannelCount() {
    let gray = DecodedImage(format: .png, sourceChannels: 1, sourceBitDepth: 8,
                            pixels: .uint8(Image(width: 2, height: 2, layout: .gray, components: [1, 2, 3, 4])))
    #expect(throws: ImageInput.Error(path: "g.png", reason: "the image has 1 channel(s) (gray) but the network takes 3; convert it to RGB first (its gray channel repeated) if the network should see it that way")) {
        try ImageInput.tensor(from: gray, path: "g.png", spec: TensorSpec(name: "x", shape: [1, 3, 2, 2]), preprocessing: .imageNet)
    }
    #expect(throws: ImageInput.Error.self) {
        try ImageInput.tensor(from: gray, path: "g.png", spec: TensorSpec(name: "x", shape: [3, 2]), preprocessing: .imageNet)
    }
}

@Test func inferReportsBadFilesWithTypedErrorsAndWritesTracesAtomically() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("executor-infer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let notAnImage = directory.appendingPathComponent("x.png")
    try Data("not a png".utf8).write(to: notAnImage)
    #expect(throws: DecodeError.self) { try ImageInference.run(model: "mobilenet_v2", imagePath: notAnImage.path) }
    #expect(throws: (any Error).self) { try ImageInference.run(model: "no-such-model", imagePath: notAnImage.path) }

    let (_, trace) = try InferenceSession(graph: smallGraph(weights: realWeights)).runWithTrace(Naive.tensor([1, 3, 8, 8], seed: 46))
    let result = ImageInference(outputs: [:], outputNames: [], trace: trace)
    let target = directory.appendingPathComponent("trace.json")
    try result.writeTrace(to: target)
    #expect(try Trace.read(from: target) == trace)
    let unwritable = directory.appendingPathComponent("missing/dir/trace.json")
    let error = try #require(throws: FileWriteError.self) { try result.writeTrace(to: unwritable) }
    #expect(error.description == "\(unwritable.path): cannot write the trace: the folder \(directory.path)/missing/dir does not exist")
    #expect(!FileManager.default.fileExists(atPath: unwritable.path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["trace.json", "x.png"])   // no temporary left
}

/// A 160×120 RGB gradient written as PNG into `folder` (what `infer` decodes).
func writeTestPhoto(in folder: URL) throws -> URL {
    let (width, height) = (160, 120)
    var components = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let k = (y * width + x) * 3
            components[k] = UInt8(x * 255 / width); components[k + 1] = UInt8(y * 255 / height); components[k + 2] = UInt8((x + y) % 256)
        }
    }
    let url = folder.appendingPathComponent("photo.png")
    try PNGWriter.write(Image(width: width, height: height, layout: .rgb, components: components), to: url)
    return url
}

/// DBNet (rapidocr's text detector, real weights) declares its input [?, 3, ?, ?]: an input
/// shape fixes H×W, the image is resized to it, the output map follows it, and so do the
/// trace's first operator (its input words are the network input's) and its recorded frame.
@Test(arguments: [[1, 3, 64, 96], [1, 3, 32, 160]])
func imageInputShapeSetsTheSizeOfADynamicONNXModel(shape: [Int]) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("executor-infer-shape-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let photo = try writeTestPhoto(in: directory)
    let model = repositoryRoot.appendingPathComponent("Tests/WorkloadsTests/Fixtures/ch_PP-OCRv4_det_infer.onnx").path
    let result = try ImageInference.run(model: model, imagePath: photo.path, backend: .simd, inputShape: shape)
    #expect(result.inputShape == shape)
    let output = try #require(result.outputs[result.outputNames[0]])
    #expect(output.shape == [1, 1, shape[2], shape[3]])
    let first = try #require(result.trace.operators.first)
    #expect(first.shape.loopNest.H == shape[2] && first.shape.loopNest.W == shape[3] && first.shape.loopNest.C == 3)
    #expect(first.shape.inputWords == shape.reduce(1, *))
    #expect(result.trace.inputPixels == 160 * 120)   // the frame, not the network input
}

@Test func imageInputShapeIsRefusedForZooModelsAndForOtherThanOneImage() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("executor-infer-shape-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let photo = try writeTestPhoto(in: directory)
    let model = repositoryRoot.appendingPathComponent("Tests/WorkloadsTests/Fixtures/ch_PP-OCRv4_det_infer.onnx").path
    #expect(throws: ImageInput.Error(path: "mobilenet_v2", reason: "an input shape applies to ONNX files only; zoo models have their published input")) {
        try ImageInference.run(model: "mobilenet_v2", imagePath: photo.path, inputShape: [1, 3, 64, 64])
    }
    for shape in [[2, 3, 64, 96], [1, 3, 64], [1, 3, 0, 96]] {
        #expect(throws: ImageInput.Error(path: model, reason: "the input shape \(shape) is not [1, C, H, W]: infer feeds one image")) {
            try ImageInference.run(model: model, imagePath: photo.path, inputShape: shape)
        }
    }
    // A channel count the weights do not take is the importer's error, naming the file.
    #expect(throws: ONNXImportError.self) { try ImageInference.run(model: model, imagePath: photo.path, inputShape: [1, 1, 64, 96]) }
}
