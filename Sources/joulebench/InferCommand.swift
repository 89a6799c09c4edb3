import ArgumentParser
import Executor
import Foundation
import Imaging
import Workloads

/// `joulebench infer`: one image through one network on the CPU, with its trace.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run one image through a zoo model or an ONNX file and write the trace.",
        discussion: """
            Decodes the image, resizes it (OpenCV bilinear) to the network input and normalises it \
            as the model expects, runs it on the CPU executor and prints the top-5 classes (or a \
            summary of each output). --trace writes the per-operator trace (docs/TRACE.md). Zoo \
            models run on synthetic weights, and their results and traces say so. An ONNX file's \
            symbolic input sizes are 224 unless --input-shape gives them; the image is resized to \
            its H×W. An ONNX file does not record how its input is normalised: it gets ImageNet's \
            mean and std in RGB order unless --mean, --std and --channel-order say otherwise \
            (PaddleOCR's models: --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 --channel-order bgr). The \
            normalisation used is printed and recorded in the trace.
            """)

    @Argument(help: "A zoo model name (see `joulebench models`) or an ONNX file.")
    var model: String

    @Argument(help: "The image (JPEG, PNG, PGM/PPM, PFM).")
    var image: String

    @Option(help: "Write the trace (JSON) to this file.")
    var trace: String?

    @Option(name: .customLong("input-shape"), help: ArgumentHelp(
        "ONNX only: the shape of the first graph input, e.g. 1x3x480x640 (one image: N is 1; symbolic sizes default to 224).",
        valueName: "NxCxHxW"))
    var inputShape: String?

    /// `--input-shape`, parsed (validated in `validate()`).
    var parsedInputShape: [Int]? { inputShape.flatMap(parseShape) }

    @Option(help: "Backend: oneDNN (default when libdnnl loads, chosen by measurement: convolutions, pools, element-wise ops in nChw16c), simd, openBLAS, or hybrid (OpenBLAS for plain GEMMs; experimental).")
    var backend: String?

    /// `--backend`, parsed (checked in `validate()`); `openblas` and `onednn` in any case are accepted.
    var chosenBackend: GEMMBackend? {
        guard let backend else { return .preferred }
        return GEMMBackend(rawValue: backend) ?? GEMMBackend.allCases.first { $0.rawValue.lowercased() == backend.lowercased() }
    }

    @Option(help: ArgumentHelp(
        "Precision study: int16 or int8 round weights and activations to that integer grid, simulated in float32 (docs/EXECUTOR.md); float32 (or fp32) runs as is.",
        valueName: "float32|int16|int8"))
    var precision: String = "float32"

    /// `--precision`, in any case; `fp32` (price's spelling) is float32.
    static func storagePrecision(_ text: String) -> StoragePrecision? {
        let lowered = text.lowercased()
        return lowered == "fp32" ? .float32 : StoragePrecision(rawValue: lowered)
    }

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Mean subtracted from pixel/255, for the image's red, green and blue, whatever --channel-order (default: the model's; ONNX files: ImageNet's 0.485,0.456,0.406).",
        valueName: "R,G,B"))
    var mean: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Std the result is divided by, each > 0, for red, green and blue (default: the model's; ONNX files: ImageNet's 0.229,0.224,0.225).",
        valueName: "R,G,B"))
    var std: String?

    @Option(name: .customLong("channel-order"), help: ArgumentHelp(
        "The channel order the network takes (default: the model's; ONNX files: rgb).",
        valueName: "rgb|bgr"))
    var channelOrder: String?

    /// `--mean`, `--std` and `--channel-order`, parsed (checked in `validate()`).
    var normalisation: NormalisationOptions {
        NormalisationOptions(mean: mean.flatMap { Self.parseTriple($0) }, std: std.flatMap { Self.parseTriple($0) },
                             channelOrder: channelOrder.flatMap { ChannelOrder(rawValue: $0.uppercased()) })
    }

    /// `R,G,B`: three finite numbers (spaces allowed around them) that are finite as
    /// float32 too, or nil.
    static func parseTriple(_ text: String) -> [Float]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3 else { return nil }
        let values = parts.compactMap { $0 }.map(Float.init)
        return values.count == 3 && values.allSatisfy(\.isFinite) ? values : nil
    }

    func validate() throws {
        // `infer dog.jpg resnet50`: the arguments swapped (the model comes first).
        if DatasetFolder.imageExtensions.contains(URL(fileURLWithPath: model).pathExtension.lowercased()) {
            throw ValidationError("the model comes first, then the image: '\(model)' is an image file (joulebench infer MODEL_OR_ONNX IMAGE)")
        }
        if let mean, Self.parseTriple(mean) == nil {
            throw ValidationError("--mean takes three finite numbers R,G,B in the 0–1 scale of pixel/255 (e.g. 0.5,0.5,0.5), got '\(mean)'")
        }
        if let std, !(Self.parseTriple(std).map { $0.allSatisfy { $0 >= Preprocessing.smallestStd } } ?? false) {
            throw ValidationError("--std takes three numbers R,G,B, each > 0 (at least \(Preprocessing.smallestStd)), in the 0–1 scale of pixel/255 (e.g. 0.5,0.5,0.5), got '\(std)'")
        }
        if let channelOrder, ChannelOrder(rawValue: channelOrder.uppercased()) == nil {
            throw ValidationError("--channel-order must be rgb or bgr, got '\(channelOrder)'")
        }
        guard Self.storagePrecision(precision) != nil else {
            throw ValidationError("--precision must be float32 (or fp32), int16 or int8, got '\(precision)'")
        }
        guard chosenBackend != nil else { throw ValidationError("--backend must be oneDNN, simd, openBLAS or hybrid, got '\(backend ?? "")'") }
        if let inputShape {
            // The texts of `joulebench models --input-shape`; infer also needs four sizes, batch 1.
            let shape = try checkedInputShape(inputShape, rank: 4)
            guard shape[0] == 1 else {
                throw ValidationError("--input-shape \(inputShape) has batch \(shape[0]); infer runs one image, so N must be 1")
            }
            guard ModelsCommand.isONNX(model) else {
                throw ValidationError("--input-shape applies to ONNX files only; zoo models have their published input")
            }
        }
        if let trace {
            try checkOutputLocation(trace, option: "--trace")
            try checkOutputsAreDistinct(outputs: [("--trace", trace)], inputs: [("model", model), ("image", image)])
        }

    }

    func run() throws {
        try reportingFailures(of: "infer") { try infer(backend: chosenBackend ?? .preferred) }
    }

    private func infer(backend chosen: GEMMBackend) throws {
        let storage = Self.storagePrecision(precision) ?? .float32   // checked in validate()
        let result = try ImageInference.run(model: model, imagePath: image, backend: chosen, inputShape: parsedInputShape,
                                            precision: storage, normalisation: normalisation)
        let identity = result.trace.model
        print("model: \(identity.name) (\(identity.source)), weights: \(identity.weights)")
        if let sha256 = identity.sha256 { print("sha256: \(sha256)") }
        if identity.hasSyntheticWeights {
            print("note: synthetic weights — the classes below are not a trained network's, nor is the sparsity in the trace")
        }
        if storage != .float32 {
            print("precision: \(storage.rawValue), simulated — weights and activations rounded to the \(storage.bits)-bit grid, computed in float32; `price` prices this trace at \(storage.rawValue) on integer architectures")
        }
        if result.inputShape.count == 4, let frame = result.trace.input {
            let resized = frame.width == result.inputShape[3] && frame.height == result.inputShape[2]
                ? "the \(frame.width)×\(frame.height) image at its own size"
                : "the \(frame.width)×\(frame.height) image resized to \(result.inputShape[3])×\(result.inputShape[2])"
            print("input: \(result.inputShape.map(String.init).joined(separator: "×")) (\(resized))")
        }
        if let used = result.preprocessing {
            // An ONNX file's default is a guess: say how to give the model's own.
            let hint = normalisation.isEmpty && identity.source.hasPrefix("onnx:") ? "; --mean, --std, --channel-order give yours" : ""
            print("normalisation: \(used.summary) (\(result.normalisationOrigin)\(hint))")
        }
        let fused = result.trace.operators.filter { $0.shape.fusedActivation != nil }.count
        let ranOn = [result.trace.provenance["executor.gemmBackend"], result.trace.provenance["executor.threads"].map { "\($0) threads" }]
            .compactMap { $0 }.joined(separator: ", ")
        print(String(format: "operators: %d%@, MACs: %.3f G, executor wall time: %.2f ms%@",
                     result.trace.totals.operators, fused > 0 ? " (\(fused) with their activation fused in)" : "",
                     Double(result.trace.totals.macs) / 1e9, result.trace.totals.wallTimeSeconds * 1e3,
                     ranOn.isEmpty ? "" : " (\(ranOn))"))
        for name in result.outputNames {
            guard let output = result.outputs[name] else { continue }
            if output.rank == 2 && output.shape[0] == 1 && output.shape[1] > 1 {
                print("\(name) top-5 (class index: score):")
                for (index, value) in output.topK(5) { print(String(format: "  %5d: %.5f", index, value)) }
            } else {
                let values = output.values
                let mean = values.reduce(0, +) / Float(max(values.count, 1))
                // + 0 turns a negative zero into 0 (no "min -0").
                print(String(format: "\(name) shape \(output.shape): min %.5g, max %.5g, mean %.5g", (values.min() ?? 0) + 0, (values.max() ?? 0) + 0, mean + 0))
            }
        }
        if let trace {
            try result.writeTrace(to: URL(fileURLWithPath: trace))
            print("trace: \(trace)")
        }
    }
}
