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
            // Not converted here: what a trained network makes of a gray frame copied into
            // three channels is the user's call, and the trace would not say it happened.
            let hint = channels == 3 && image.layout.channelCount == 1
                ? "; convert it to RGB first (its gray channel repeated) if the network should see it that way" : ""
            throw Error(path: path, reason: "the image has \(image.layout.channelCount) channel(s) (\(image.layout.rawValue)) but the network takes \(channels)\(hint)")
        }
        guard preprocessing.mean.count >= channels, preprocessing.std.count >= channels else {
            throw Error(path: path, reason: "the model's preprocessing has \(preprocessing.mean.count) means and \(preprocessing.std.count) stds for \(channels) channels")
        }
        if let reason = preprocessing.invalidityReason(channels: channels) { throw Error(path: path, reason: reason) }
        let resized = image.image8().resized(width: width, height: height)
        let pixels = resized.components
        let bgr = preprocessing.isBGR && channels == 3
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

/// The channel order a network takes its input in (the decoded image is always RGB).
public enum ChannelOrder: String, CaseIterable, Hashable, Sendable {
    case rgb = "RGB", bgr = "BGR"
}

/// Changes to a model's input normalisation (what `joulebench infer --mean --std
/// --channel-order` give); a nil part keeps the model's. `mean` and `std` are per image
/// channel in red, green, blue order whatever order the network takes, in the 0–1 scale of
/// pixel/255: the network sees (pixel/255 − mean) / std. A one-channel network uses the
/// first value.
public struct NormalisationOptions: Hashable, Sendable {
    public var mean: [Float]?
    public var std: [Float]?
    public var channelOrder: ChannelOrder?
    public init(mean: [Float]? = nil, std: [Float]? = nil, channelOrder: ChannelOrder? = nil) {
        self.mean = mean; self.std = std; self.channelOrder = channelOrder
    }
    /// Nothing changed: the model's normalisation as it is.
    public var isEmpty: Bool { mean == nil && std == nil && channelOrder == nil }
}

extension Preprocessing {
    /// The network takes blue, green, red (`channelOrder` "BGR" in any case).
    public var isBGR: Bool { channelOrder.uppercased() == ChannelOrder.bgr.rawValue }

    /// `mean` in the image's R, G, B order (`mean` itself is in the network's order).
    public var meanRGB: [Float] { isBGR && mean.count == 3 ? mean.reversed() : mean }

    /// `std` in the image's R, G, B order.
    public var stdRGB: [Float] { isBGR && std.count == 3 ? std.reversed() : std }

    /// This normalisation with the parts `options` gives replaced (their mean and std are
    /// in R, G, B order and stay attached to those image channels when the order changes).
    public func applying(_ options: NormalisationOptions) -> Preprocessing {
        let bgr = options.channelOrder.map { $0 == .bgr } ?? isBGR
        func inNetworkOrder(_ rgb: [Float]) -> [Float] { bgr && rgb.count == 3 ? rgb.reversed() : rgb }
        return Preprocessing(mean: inNetworkOrder(options.mean ?? meanRGB), std: inNetworkOrder(options.std ?? stdRGB),
                             channelOrder: bgr ? ChannelOrder.bgr.rawValue : ChannelOrder.rgb.rawValue)
    }

    /// Why the first `channels` means and stds cannot normalise an image (a mean that is
    /// not finite, a std that is not finite or below ``smallestStd``, or a pair that puts
    /// pixel/255 in 0…1 beyond float32's range), or nil.
    func invalidityReason(channels: Int) -> String? {
        for (m, s) in zip(mean.prefix(channels), std.prefix(channels)) {
            guard m.isFinite else { return "the input normalisation's mean \(m) is not a finite number" }
            guard s.isFinite, s >= Preprocessing.smallestStd else {
                return "the input normalisation's std \(s) is not a finite number of at least \(Preprocessing.smallestStd)"
            }
            guard ((0 - m) / s).isFinite, ((1 - m) / s).isFinite else {
                return "the input normalisation's mean \(m) and std \(s) put pixel values beyond float32's range"
            }
        }
        return nil
    }

    /// The smallest std accepted: 1/std (a pixel of 255 scaled) stays far inside float32.
    public static let smallestStd: Float = 1e-36

    /// One line saying what the network is fed: "(pixel/255 − mean) / std, mean R,G,B
    /// 0.485, 0.456, 0.406, std R,G,B 0.229, 0.224, 0.225, channels in RGB order".
    public var summary: String {
        func list(_ values: [Float]) -> String { values.map { "\($0)" }.joined(separator: ", ") }
        return "(pixel/255 − mean) / std, mean R,G,B \(list(meanRGB)), std R,G,B \(list(stdRGB)), channels in \(isBGR ? "BGR" : "RGB") order"
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
    /// The normalisation the image was prepared with (the model's, changed by the run's
    /// `NormalisationOptions`), and where it came from; both are in the trace's provenance
    /// (`input.normalisation`, `input.normalisationOrigin`).
    public var preprocessing: Preprocessing? = nil
    public var normalisationOrigin: String = ""

    /// Where a run's normalisation came from, in words: the model's own, the default an
    /// ONNX file gets (ONNX records no normalisation), or the options given (the rest as
    /// one of those).
    public static func normalisationOrigin(of options: NormalisationOptions, modelSource: String) -> String {
        let fromONNX = modelSource.hasPrefix("onnx:")
        let fallback = fromONNX ? "ImageNet's, the default for ONNX files, which do not record theirs" : "the model's"
        let given = [options.mean.map { _ in "mean" }, options.std.map { _ in "std" }, options.channelOrder.map { _ in "channel order" }]
            .compactMap { $0 }
        guard !given.isEmpty else { return fallback }
        return "given: \(given.joined(separator: ", "))" + (given.count < 3 ? "; the rest \(fromONNX ? "ImageNet's, the ONNX default" : "the model's")" : "")
    }

    /// Decodes `imagePath`, prepares it per the model's preprocessing, runs `model` (a zoo
    /// name or an .onnx file) and records the trace, whose `inputPixels` is the decoded
    /// frame's W×H. `inputShape` ([1, C, H, W], ONNX files only) fixes the shape of the
    /// graph's first input, symbolic sizes included (without it they are 224); the image is
    /// then resized to that H×W. Throws the decoder's, importer's, zoo's or executor's typed
    /// error; an `inputShape` for a zoo model, or one that is not [1, C, H, W], is an
    /// `ImageInput.Error` naming the model.
    ///
    /// `normalisation` changes the model's input normalisation (mean, std, channel order);
    /// what was used is recorded in the trace's provenance under `input.normalisation` and
    /// `input.normalisationOrigin`. A mean that is not finite or a std that is not > 0 is an
    /// `ImageInput.Error` naming the image.
    public static func run(model: String, imagePath: String, backend: GEMMBackend = .preferred,
                           inputShape: [Int]? = nil, precision: StoragePrecision = .float32,
                           normalisation: NormalisationOptions = NormalisationOptions()) throws -> ImageInference {
        // The image first: a missing or broken file is reported before the model is built
        // (a second or more for a large one).
        let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: imagePath))
        let loaded = try loadModel(model, inputShape: inputShape)
        let session = try loaded.session(backend: backend, precision: precision)
        guard session.inputs.count == 1 else {
            throw ExecutorError(node: nil, reason: "\(model) takes \(session.inputs.count) inputs; infer feeds one image")
        }
        let preprocessing = session.preprocessing.applying(normalisation)
        let origin = normalisationOrigin(of: normalisation, modelSource: loaded.source)
        let input = try ImageInput.tensor(from: image, path: imagePath, spec: session.inputs[0], preprocessing: preprocessing)
        var (outputs, trace) = try session.runWithTrace(
            input, inputIdentity: InputIdentity(path: imagePath, width: image.width, height: image.height, channels: image.layout.channelCount),
            inputPixels: image.width * image.height)
        // The zero fractions of the trace follow from the input's values: record how it was made.
        trace.provenance["input.normalisation"] = preprocessing.summary
        trace.provenance["input.normalisationOrigin"] = origin
        return ImageInference(outputs: outputs, outputNames: session.outputNames, trace: trace, inputShape: session.inputs[0].shape,
                              preprocessing: preprocessing, normalisationOrigin: origin)
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
