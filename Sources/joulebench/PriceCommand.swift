import ArgumentParser
import EnergyModel
import Foundation
import Workloads

/// `joulebench price MODEL_OR_TRACE --arch SPEC --dataflow rs|ws|os|is|nlr`: prices a zoo
/// model, an ONNX file or a saved trace on an architecture and prints the per-operator breakdown.
struct PriceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price",
        abstract: "Price a zoo model, an ONNX file or a saved Trace JSON on an accelerator (energy by level x data type, cycles, utilisation).")

    @Argument(help: "A zoo model name (e.g. alexnet), an ONNX file (model.onnx) or a trace JSON file.")
    var modelOrTrace: String

    @Option(help: "Architecture: a preset (see `joulebench arch`) or a YAML spec file.")
    var arch: String

    @Option(help: "Dataflow: rs, ws, os, is or nlr.")
    var dataflow: String = "rs"

    /// `--dataflow`, case-insensitive (RS as rs), like --backend and --channel-order.
    var chosenDataflow: Dataflow? { Dataflow(rawValue: dataflow.lowercased()) }

    @Option(parsing: .unconditional, help: "Batch size (re-batches every operator).")
    var batch: Int?

    @Option(name: .customLong("input-shape"), help: ArgumentHelp(
        "ONNX only: the shape of the first graph input, e.g. 1x3x640x640 (symbolic sizes default to 224).",
        valueName: "NxCxHxW"))
    var inputShape: String?

    @Option(help: "Precision on the accelerator: int8, int16, int32, fp16, fp32 (float32 also accepted; default: the spec's, or, for a trace from an int8/int16 precision study on an integer architecture, the study's).")
    var precision: String?

    /// `--precision`, in any case; `float32` (infer's spelling) is fp32.
    static func parsedPrecision(_ text: String) -> Precision? {
        let lowered = text.lowercased()
        return lowered == "float32" ? .fp32 : Precision(rawValue: lowered)
    }

    @Option(help: "Zero fractions: a JSON file {op: {inputs, outputs, weights}} or NAME=FRACTION,… (input activations); fields not given keep the trace's measured ones.")
    var zeros: String?

    @Flag(name: .customLong("no-fusion"),
          help: "Price every streaming operator with DRAM in and out (overrides the spec's fuse_streaming; docs/ENERGY.md).")
    var noFusion = false

    @Flag(help: "Print JSON (keys documented in docs/ENERGY.md) instead of the table.")
    var json = false

    @Option(parsing: .unconditional, help: "Benchmark: price the whole model N times and print the median and minimum wall time instead of the table.")
    var benchmark: Int?

    func validate() throws {
        // A name that is neither a preset nor a file is a bad option value, refused before work.
        if let reason = ArchitectureSpec.unknownArchitectureReason(arch) {
            throw ValidationError("--arch \(arch): \(reason)")
        }
        guard chosenDataflow != nil else {
            throw ValidationError("--dataflow must be rs, ws, os, is or nlr, got '\(dataflow)'")
        }
        if let precision, Self.parsedPrecision(precision) == nil {
            throw ValidationError("--precision must be int8, int16, int32, fp16 or fp32, got '\(precision)'")
        }
        if let batch, !(1...maximumBatch).contains(batch) {
            throw ValidationError("--batch must be between 1 and \(maximumBatch), got \(batch)")
        }
        if let inputShape {
            let shape = try checkedInputShape(inputShape)
            guard modelOrTrace.lowercased().hasSuffix(".onnx") else {
                throw ValidationError("--input-shape applies to ONNX files only; zoo models have their published input, traces their recorded one")
            }
            if let batch, batch != shape[0] { throw ValidationError("--batch \(batch) contradicts the batch \(shape[0]) of --input-shape \(inputShape); give one") }
        }
        if let benchmark { try validateRunCount(benchmark, option: "benchmark") }
        if benchmark != nil && json { throw ValidationError("--benchmark prints timings, not a price: --json does not apply to it") }
        // A NAME=FRACTION list is checked here; a file, and the names against the model, when pricing.
        if let zeros, !FileManager.default.fileExists(atPath: zeros) {
            // A file name that names no file is not a malformed NAME=FRACTION list.
            if Self.looksLikeAFile(zeros) {
                throw ValidationError("--zeros \(zeros): no such file (a JSON file {op: {inputs, outputs, weights}}, or NAME=FRACTION,…)")
            }
            do {
                _ = try ZeroFractionOverride.parseList(zeros)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    /// A `--zeros` text meant as a file: a path (with '/') or a .json/.yaml/.yml name, and no
    /// '=' (ONNX operator names such as `/conv1/Conv` contain '/', so `/conv1/Conv=0.5` is a list).
    static func looksLikeAFile(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return !text.contains("=")
            && (text.contains("/") || [".json", ".yaml", ".yml"].contains { lowered.hasSuffix($0) })
    }

    func run() throws {
        let flow = chosenDataflow!  // checked in validate()
        var chosenPrecision = precision.flatMap(Self.parsedPrecision)
        var note: String? = nil
        try reportingFailures(of: "price") {
            let spec = try ArchitectureSpec.load(arch)
            let shape = inputShape.flatMap(parseShape)
            let trace = try Trace.loadForPricing(modelOrTrace, batch: batch ?? shape?.first ?? 1, inputShape: shape)
            if chosenPrecision == nil, let studied = Precision.ofIntegerStudy(trace) {
                if spec.defaultPrecision.isFloatingPoint {
                    // A floating-point machine (the cpu preset) does not run the study's integers.
                    note = "note: the trace is an \(studied.rawValue) precision study; \(spec.name) computes in \(spec.defaultPrecision.rawValue), so it is priced at that (--precision \(studied.rawValue) to price the integers)"
                } else {
                    // The trace's zero fractions were measured at this precision: price at it.
                    chosenPrecision = studied
                    note = "note: pricing at \(studied.rawValue), the precision the trace was recorded at (executor.precision; --precision overrides)"
                }
            } else if chosenPrecision == nil, let claimed = trace.provenance["executor.precision"], claimed != "float32" {
                note = "note: the trace says '\(claimed.prefix(5))…' but not every operator has those bit widths; priced at the spec's \(spec.defaultPrecision.rawValue)"
            }
            var overrides: [String: ZeroFractions] = [:]
            if let zeros {
                let given = FileManager.default.fileExists(atPath: zeros)
                    ? try ZeroFractionOverride.read(from: URL(fileURLWithPath: zeros))
                    : try ZeroFractionOverride.parseList(zeros)
                let names = Set(trace.operators.map(\.shape.name))
                if let unknown = given.keys.sorted().first(where: { !names.contains($0) }) {
                    throw UnknownOperatorError(option: "--zeros", name: unknown, model: trace.model.name)
                }
                // Fields not given keep the trace's measured fractions.
                overrides = ZeroFractionOverride.resolved(given, in: trace)
            }
            let pricer = EnergyPricer(spec: spec, dataflow: flow, precision: chosenPrecision, fuseStreaming: noFusion ? false : nil)
            if let runs = benchmark {
                var seconds: [Double] = []
                let clock = ContinuousClock()
                for _ in 0..<runs {
                    let elapsed = try clock.measure { _ = try pricer.price(trace: trace, batch: batch, zeros: overrides) }
                    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                }
                seconds.sort()
                print(String(format: "%@ %d operators %@ %@: median %.3f ms, min %.3f ms over %d runs",
                             trace.model.name, trace.operators.count, arch, flow.rawValue,
                             seconds[seconds.count / 2] * 1e3, seconds[0] * 1e3, runs))
                return
            }
            let price = try pricer.price(trace: trace, batch: batch, zeros: overrides)
            if let note, !json { print(note) }
            if json {
                print(String(decoding: try price.jsonData(), as: UTF8.self))
            } else {
                print(price.table(), terminator: "")
            }
        }
    }
}

/// An option names an operator the model does not have (found only once the model is loaded).
struct UnknownOperatorError: Error, CustomStringConvertible {
    var option: String
    var name: String
    var model: String
    var description: String { "\(option) names '\(name)', which is not an operator of \(model)" }
}
