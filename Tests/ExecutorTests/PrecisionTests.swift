import Foundation
import Testing
import Workloads
@testable import Executor

/// Rounding to the symmetric grid: every value becomes k · scale with |k| ≤ the largest
/// level, moves by at most scale / 2, the largest magnitude is kept exactly, zeros stay zero.
@Test(arguments: [StoragePrecision.int8, .int16])
func roundingPutsEveryValueOnTheGrid(_ precision: StoragePrecision) {
    let level = precision.largestLevel!
    let original: [Float] = (0..<1000).map { i in Float(sin(Double(i) * 0.37)) * 3.5 } + [0, -0, 1e-9, -3.75]
    var values = original
    let scale = values.withUnsafeMutableBufferPointer { Quantizer.roundToGrid($0, largestLevel: level) }
    #expect(scale == 3.75 / level)
    for (v, o) in zip(values, original) {
        let k = v / scale
        // Within two float32 ulps of an integer level (k up to 32767 for int16).
        #expect(abs(k - k.rounded()) <= 1e-3 + abs(k) * 2.5e-7 && abs(k) <= level * (1 + 1e-6), "\(o) → \(v)")
        #expect(abs(v - o) <= scale / 2 * 1.0001, "\(o) → \(v)")
        if o == 0 { #expect(v == 0) }
    }
    #expect(values.last == -3.75)
    // 1e-9 is far below half a step: it becomes an exact zero (the sparsity a study sees).
    #expect(values[values.count - 2] == 0)
    var zeros: [Float] = [0, 0, 0]
    #expect(zeros.withUnsafeMutableBufferPointer { Quantizer.roundToGrid($0, largestLevel: level) } == 0)
    var infinite: [Float] = [1, .infinity, 2]
    _ = infinite.withUnsafeMutableBufferPointer { Quantizer.roundToGrid($0, largestLevel: level) }
    #expect(infinite[0] == 1 && infinite[2] == 2)
}

/// Filters are rounded per output channel: each channel keeps its own largest magnitude.
@Test func filtersAreRoundedPerOutputChannel() throws {
    let filter = try Tensor(shape: [2, 1, 1, 3], values: [0.1, 0.2, 0.3, 10, 20, 30])
    let rounded = try Quantizer.rounded(filter, to: .int8, perFirstDimension: true)
    #expect(rounded.values[2] == 0.3 && rounded.values[5] == 30)
    // Per tensor, the first channel would lose almost all its resolution.
    let perTensor = try Quantizer.rounded(filter, to: .int8, perFirstDimension: false)
    #expect(abs(perTensor.values[0] - 0.1) > abs(rounded.values[0] - 0.1))
}

/// A precision study end to end, on both backends: int8 and int16 sessions stay close to
/// float32 (int16 much closer), every weight zero fraction can only grow, the trace's bit
/// widths and provenance say what was simulated, and the output sits on an int8 grid.
@Test(arguments: [GEMMBackend.simd, .oneDNN])
func integerPrecisionSessionsTraceTheirBitWidths(_ backend: GEMMBackend) throws {
    if backend == .oneDNN && !OneDNNPrimitive.isAvailable { return }
    let graph = residualGraph()
    let x = Naive.tensor([1, 3, 9, 9], seed: 81)
    let float = try InferenceSession(graph: graph, backend: backend).runWithTrace(x)
    let reference = float.outputs["out"]!.values
    let scale = reference.map(abs).max()!
    var errors: [StoragePrecision: Float] = [:]
    for precision in [StoragePrecision.int8, .int16] {
        let session = try InferenceSession(graph: graph, backend: backend, precision: precision)
        #expect(session.fusedResidualAdds == 0)   // every operator's output is rounded
        let (outputs, trace) = try session.runWithTrace(x)
        errors[precision] = Naive.maxError(outputs["out"]!.values, reference) / scale
        #expect(trace.operators.allSatisfy { $0.shape.bitWidths == BitWidths(uniform: precision.bits) })
        #expect(trace.provenance["executor.precision"]?.hasPrefix("\(precision.rawValue): simulated") == true)
        for (q, f) in zip(trace.operators, float.trace.operators) {
            if let qw = q.measured?.weightZeroFraction, let fw = f.measured?.weightZeroFraction { #expect(qw >= fw, "\(q.shape.name)") }
        }
        // The SIMD backend's packed filters come from the rounded filters, not the originals.
        if backend == .simd { #expect(session.steps.contains { $0.packedFilter != nil }) }
        for step in session.steps where step.packedFilter != nil {
            guard case .conv(let a) = step.op, case .constant(let filter) = step.operands[1] else { continue }
            let packedFromRounded = step.packedFilter!.values == ConvolutionKernel.packedFilter(filter, groups: a.groups).values
            #expect(packedFromRounded, "\(step.name)")
            let level = precision.largestLevel!
            let perChannel = filter.elementCount / filter.shape[0]
            let first = Array(filter.values[0..<perChannel])
            let step0 = first.map(abs).max()! / level
            #expect(first.allSatisfy { abs($0 / step0 - ($0 / step0).rounded()) <= 1e-3 + abs($0 / step0) * 2.5e-7 }, "\(step.name)")
        }
        // run() and runWithTrace() agree (no fused plan for precision studies).
        #expect(try session.run(x)["out"]!.values == outputs["out"]!.values)
        if precision == .int8 {
            let out = outputs["out"]!.values
            let step = out.map(abs).max()! / 127
            #expect(out.allSatisfy { abs($0 / step - ($0 / step).rounded()) < 1e-2 })
        }
    }
    #expect(errors[.int8]! < 0.05)
    #expect(errors[.int16]! < 0.001)
    #expect(errors[.int16]! < errors[.int8]!)
    #expect(float.trace.provenance["executor.precision"] == "float32")
}

/// Only multiplying weights are rounded: an unfolded batch-norm (after a ReLU, as in
/// pre-activation networks) keeps its float32 parameters, so a variance of 0.05 next to one
/// of 20 does not become 0 on the int8 grid (it did in the first version: outputs 70× off).
@Test func unfoldedBatchNormParametersStayFloat() throws {
    var table: [String: WeightTensor] = [:]
    table["w"] = realWeights("w", [3, 3, 3, 3])
    table["scale"] = WeightTensor(shape: [3], values: [1, 1, 1], source: .file)
    table["shift"] = WeightTensor(shape: [3], values: [0, 0, 0], source: .file)
    table["mean"] = WeightTensor(shape: [3], values: [0, 0, 0], source: .file)
    table["var"] = WeightTensor(shape: [3], values: [20, 0.05, 0.05], source: .file)
    let nodes = [
        Node(name: "conv", op: .conv(ConvAttributes(kernel: 3, pad: 1)), inputs: ["image", "w"], outputs: ["c"]),
        Node(name: "relu", op: .relu, inputs: ["c"], outputs: ["r"]),
        Node(name: "bn", op: .batchNorm(epsilon: 1e-5), inputs: ["r", "scale", "shift", "mean", "var"], outputs: ["b"]),
        Node(name: "gap", op: .globalAveragePool, inputs: ["b"], outputs: ["g"]),
    ]
    let graph = Graph(name: "bn-after-relu", inputs: [TensorSpec(name: "image", shape: [1, 3, 8, 8])], outputs: ["g"], nodes: nodes, weights: table)
    let x = Naive.tensor([1, 3, 8, 8], seed: 17)
    let reference = try InferenceSession(graph: graph, backend: .simd).run(x)["g"]!.values
    let int8 = try InferenceSession(graph: graph, backend: .simd, precision: .int8).run(x)["g"]!.values
    let range = reference.map(abs).max()!
    #expect(Naive.maxError(int8, reference) < 0.05 * range)
}
