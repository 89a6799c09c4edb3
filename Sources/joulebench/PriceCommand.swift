import ArgumentParser
import EnergyModel
import Foundation
import Workloads

/// `joulebench price MODEL_OR_TRACE --arch SPEC --dataflow rs|ws|os|is|nlr`: prices a zoo
/// model or a saved trace on an architecture and prints the per-operator breakdown.
struct PriceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price",
        abstract: "Price a zoo model or a saved Trace JSON on an accelerator (energy by level x data type, cycles, utilisation).")

    @Argument(help: "A zoo model name (e.g. alexnet) or a trace JSON file.")
    var modelOrTrace: String

    @Option(help: "Architecture: a preset (see `joulebench arch`) or a YAML spec file.")
    var arch: String

    @Option(help: "Dataflow: rs, ws, os, is or nlr.")
    var dataflow: String = "rs"

    @Option(help: "Batch size (re-batches every operator).")
    var batch: Int?

    @Option(help: "Precision on the accelerator: int8, int16, int32, fp16, fp32 (default: the spec's).")
    var precision: String?

    @Option(help: "Zero fractions: a JSON file {op: {inputs, outputs, weights}} or NAME=FRACTION,… (input activations).")
    var zeros: String?

    @Flag(help: "Print JSON (keys documented in docs/ENERGY.md) instead of the table.")
    var json = false

    @Option(help: "Benchmark: price the whole model N times and print the median and minimum wall time instead of the table.")
    var benchmark: Int?

    func run() throws {
        guard let flow = Dataflow(rawValue: dataflow) else {
            throw ValidationError("unknown dataflow '\(dataflow)' (use rs, ws, os, is, nlr)")
        }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        var chosenPrecision: Precision?
        if let precision {
            guard let p = Precision(rawValue: precision) else {
                throw ValidationError("unknown precision '\(precision)' (use int8, int16, int32, fp16, fp32)")
            }
            chosenPrecision = p
        }
        do {
            let spec = try ArchitectureSpec.load(arch)
            let trace = try Trace.loadForPricing(modelOrTrace, batch: batch ?? 1)
            var overrides: [String: ZeroFractions] = [:]
            if let zeros {
                overrides = FileManager.default.fileExists(atPath: zeros)
                    ? try ZeroFractions.read(from: URL(fileURLWithPath: zeros))
                    : try ZeroFractions.parseList(zeros)
                let names = Set(trace.operators.map(\.shape.name))
                if let unknown = overrides.keys.sorted().first(where: { !names.contains($0) }) {
                    throw ValidationError("--zeros names '\(unknown)', which is not an operator of \(trace.model.name)")
                }
            }
            let pricer = EnergyPricer(spec: spec, dataflow: flow, precision: chosenPrecision)
            if let runs = benchmark {
                guard runs >= 1 else { throw ValidationError("--benchmark needs at least 1 run") }
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
            if json {
                print(String(decoding: try price.jsonData(), as: UTF8.self))
            } else {
                print(price.table(), terminator: "")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            // Bad specs, traces, zero fractions and unpriceable operators: the message, no usage dump.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
