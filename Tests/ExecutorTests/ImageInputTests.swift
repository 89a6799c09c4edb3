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
    #expect(throws: ImageInput.Error(path: "g.png", reason: "the image has 1 channel(s) (gray) but the network takes 3")) {
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
