import Foundation
import Imaging
import Workloads

/// Turns a decoded image into a network input the way the graph's `Preprocessing` says:
/// resize to the input's H×W with OpenCV's bilinear `INTER_LINEAR` (on 8-bit pixels),
/// scale to [0, 1], subtract the per-channel mean and divide by the std, reorder to the
/// network's channel order, and lay out as NCHW (batch 1).
public enum ImageInput {
    /// A preprocessing request that cannot be met, naming the image.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The input tensor for a network whose input is `spec` ([1, C, H, W], C = 1 or 3).
    /// A gray image for a 3-channel network (or a colour image for a 1-channel one) is
    /// refused rather than silently converted.
    public static func tensor(from image: DecodedImage, path: String, spec: TensorSpec, preprocessing: Preprocessing) throws -> Tensor {
        guard spec.shape.count == 4, spec.shape[0] == 1, spec.shape[2] >= 1, spec.shape[3] >= 1 else {
            throw Error(path: path, reason: "the network input \(spec.name) has shape \(spec.shape), not [1, C, H, W]")
        }
        let (channels, height, width) = (spec.shape[1], spec.shape[2], spec.shape[3])
        guard channels == image.layout.channelCount else {
            throw Error(path: path, reason: "the image has \(image.layout.channelCount) channel(s) (\(image.layout.rawValue)) but the network takes \(channels)")
        }
        guard preprocessing.mean.count >= channels, preprocessing.std.count >= channels, preprocessing.std.prefix(channels).allSatisfy({ $0 != 0 }) else {
            throw Error(path: path, reason: "the model's preprocessing has \(preprocessing.mean.count) means and \(preprocessing.std.count) stds for \(channels) channels")
        }
        let resized = image.image8().resized(width: width, height: height)
        let pixels = resized.components
        let bgr = preprocessing.channelOrder.uppercased() == "BGR" && channels == 3
        var values = [Float](repeating: 0, count: channels * height * width)
        let plane = height * width
        for c in 0..<channels {
            // Mean and std are given in the network's channel order; the image is RGB.
            let sourceChannel = bgr ? 2 - c : c
            let mean = preprocessing.mean[c], scale = 1 / (255 * preprocessing.std[c]), shift = mean / preprocessing.std[c]
            for i in 0..<plane {
                values[c * plane + i] = Float(pixels[i * channels + sourceChannel]) * scale - shift
            }
        }
        return try Tensor(shape: spec.shape, values: values)
    }
}

/// One image through one model, end to end: what `joulebench infer` runs.
public struct ImageInference: Sendable {
    public var outputs: [String: Tensor]
    /// Output names in the graph's order.
    public var outputNames: [String]
    public var trace: Trace
    /// The shape of the network input the image was prepared for ([1, C, H, W]; empty when
    /// not recorded).
    public var inputShape: [Int] = []

    /// Decodes `imagePath`, prepares it per the model's preprocessing, runs `model` (a zoo
    /// name or an .onnx file) and records the trace, whose `inputPixels` is the decoded
    /// frame's W×H. `inputShape` ([1, C, H, W], ONNX files only) fixes the shape of the
    /// graph's first input, symbolic sizes included (without it they are 224); the image is
    /// then resized to that H×W. Throws the decoder's, importer's, zoo's or executor's typed
    /// error; an `inputShape` for a zoo model, or one that is not [1, C, H, W], is an
    /// `ImageInput.Error` naming the model.
    public static func run(model: String, imagePath: String, backend: GEMMBackend = .preferred,
                           inputShape: [Int]? = nil, precision: StoragePrecision = .float32) throws -> ImageInference {
        // The image first: a missing or broken file is reported before the model is built
        // (a second or more for a large one).
        let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: imagePath))
        let loaded = try loadModel(model, inputShape: inputShape)
        let session = try loaded.session(backend: backend, precision: precision)
        guard session.inputs.count == 1 else {
            throw ExecutorError(node: nil, reason: "\(model) takes \(session.inputs.count) inputs; infer feeds one image")
        }
        let input = try ImageInput.tensor(from: image, path: imagePath, spec: session.inputs[0], preprocessing: session.preprocessing)
        let (outputs, trace) = try session.runWithTrace(
            input, inputIdentity: InputIdentity(path: imagePath, width: image.width, height: image.height, channels: image.layout.channelCount),
            inputPixels: image.width * image.height)
        return ImageInference(outputs: outputs, outputNames: session.outputNames, trace: trace, inputShape: session.inputs[0].shape)
    }

    /// `model` as `LoadedModel.load` finds it, or with `inputShape` the ONNX file imported
    /// with that first-input shape.
    static func loadModel(_ model: String, inputShape: [Int]?) throws -> LoadedModel {
        guard let inputShape else { return try LoadedModel.load(model) }
        guard inputShape.count == 4, inputShape[0] == 1, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw ImageInput.Error(path: model, reason: "the input shape \(inputShape) is not [1, C, H, W]: infer feeds one image")
        }
        guard model.lowercased().hasSuffix(".onnx") || FileManager.default.fileExists(atPath: model) else {
            throw ImageInput.Error(path: model, reason: "an input shape applies to ONNX files only; zoo models have their published input")
        }
        let url = URL(fileURLWithPath: model)
        let graph = try ONNXImporter.load(contentsOf: url, batch: 1, firstInputShape: inputShape)
        return LoadedModel(graph: graph, source: "onnx:\(url.lastPathComponent)")
    }

    /// Writes the trace as canonical JSON, atomically (a temporary file in the same folder,
    /// renamed into place), so a failed write never leaves a half-written trace. The error
    /// names the file and the cause in plain words.
    public func writeTrace(to url: URL) throws {
        try FileOutput.writeAtomically(trace.jsonData(), to: url, what: "trace")
    }
}
