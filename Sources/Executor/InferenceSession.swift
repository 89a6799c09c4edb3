import Foundation
import Workloads

/// A graph prepared for running on the CPU: weights materialised (from the graph, or
/// generated deterministically for `.synthetic(seed:)`), batch-norms folded into the
/// preceding convolutions, ReLU/clip fused into the preceding convolution, GEMM or add, and
/// every tensor's last use known so activations are freed as soon as they are dead.
///
/// `run` computes the outputs; `runWithTrace` also measures, per executed operator, the
/// zero fractions of its inputs, outputs and weights, its wall time and the bytes it
/// touched, and returns them in a `Trace` (DESIGN.md, the first hinge). Apart from the
/// wall times, two traces of the same input are identical.
public struct InferenceSession: Sendable {
    /// Who the model is; `weights` says `synthetic(seed=N)` when any weight was generated.
    public let identity: ModelIdentity
    public let backend: GEMMBackend
    /// The number format of weights and activations (`StoragePrecision`; float32 unless a
    /// precision study asks for int8 or int16).
    public let precision: StoragePrecision
    /// The graph inputs (shapes include the batch dimension).
    public let inputs: [TensorSpec]
    public let outputNames: [String]
    public let preprocessing: Preprocessing
    /// The traced plan: every operator of the graph as its own step (fused activations and
    /// folded batch-norms aside), so the trace measures each one.
    let steps: [Step]
    /// The plan `run` executes: `steps`, with residual adds fused into the convolution that
    /// computes one of their operands on the oneDNN backend (`fusingResidualAdds`).
    let untracedSteps: [Step]
    /// Residual adds `untracedSteps` fuses into convolutions.
    public let fusedResidualAdds: Int
    /// How many depthwise convolutions `run` fuses into the 1×1 convolution before them on
    /// the oneDNN backend (`fusingDepthwiseConvolutions`).
    public let fusedDepthwiseConvolutions: Int
    let slotCount: Int
    let inputSlots: [Int]
    let outputSlots: [Int]
    /// oneDNN backend: layout conversions of activation slots, made at load
    /// (`ReorderKey`), applied when a reader needs the other layout.
    let reorders: [ReorderKey: OneDNNPrimitive]

    /// An operand: an activation slot, or a constant tensor.
    enum Operand: Sendable {
        case activation(Int)
        case constant(Tensor)
    }

    struct Step: Sendable {
        var name: String
        var op: Op
        var operands: [Operand]
        var output: Int
        var activation: FusedActivation
        var foldedBatchNorm: Bool
        /// Slots whose last reader is this step (freed after it runs).
        var releases: [Int]
        /// Words and exact zeros over the constant operands.
        var weightWords: Int
        var weightZeros: Int
        /// The node's shape from `Graph.operatorShapes()`, with any fused activation merged in.
        var shape: OperatorShape
        /// For convolutions the SIMD backend runs by Winograd: the transformed filter, once.
        var winogradFilter: Tensor? = nil
        /// For the other convolutions on the SIMD backend: the filter as GEMM row panels, once.
        var packedFilter: Tensor? = nil
        /// oneDNN backend: the primitive running this step (its filter reordered into it and
        /// dropped from `operands`), the layout it reads each activation operand in, and the
        /// layout of its output. `nil`: the step runs on the executor's own kernels in NCHW.
        var oneDNN: OneDNNPrimitive? = nil
        var inputLayouts: [ActivationLayout] = []
        var outputLayout: ActivationLayout = .plain
        /// The output's logical shape (set for oneDNN steps).
        var outputShape: [Int] = []
        /// Untraced plan only: a convolution with a residual add fused in (oneDNN's sum
        /// post-op). Its last operand is the addend: the output buffer starts as the addend
        /// (the addend's own buffer when this step is its last reader) and the convolution
        /// adds into it (`fusingResidualAdds`).
        var accumulatesAddend = false
    }

    /// Largest tensor (in words) a graph may declare: bad shapes are refused instead of allocated.
    public static let maximumTensorWords = 1 << 30

    /// Prepares `graph`. `source` and `sha256` go into the model identity (`zoo`,
    /// `onnx:<file>` …). Throws the `GraphError` of `Graph.validate()` for malformed graphs
    /// (unknown tensors, cycles, shapes that do not fit), and an `ExecutorError` naming the
    /// node for weights without values, absurd weight shapes, or operand layouts this
    /// executor does not run.
    /// `precision`: int8 or int16 round every weight and activation to that integer grid
    /// (`StoragePrecision`), and the trace's bit widths say so.
    public init(graph: Graph, source: String = "zoo", sha256: String? = nil, backend: GEMMBackend = .preferred,
                precision: StoragePrecision = .float32) throws {
        MemoryReuse.keepFreedBlocks
        self.precision = precision
        try graph.validate()
        var shapesByNode: [String: OperatorShape] = [:]
        for shape in try graph.operatorShapes() { shapesByNode[shape.name] = shape }
        let tensorShapes = try graph.inferShapes()
        self.backend = backend
        self.inputs = graph.inputs
        self.outputNames = graph.outputs
        self.preprocessing = graph.preprocessing

        // Where each name comes from, checking topological order on the way.
        var producer: [String: Int] = [:]
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = slots.count; return slots.count - 1
        }
        for spec in graph.inputs {
            guard spec.shape.allSatisfy({ $0 >= 1 }) else {
                throw ExecutorError(node: nil, reason: "graph input '\(spec.name)' has an unusable shape \(spec.shape)")
            }
            guard spec.elementCount <= Self.maximumTensorWords else {
                throw ExecutorError(node: nil, reason: "graph input '\(spec.name)' of shape \(spec.shape) has \(spec.elementCount) values, "
                                    + "more than the \(Self.maximumTensorWords) (2^30) a tensor may have here")
            }
            _ = slot(spec.name)
        }
        var consumers: [String: Int] = [:]
        for node in graph.nodes { for input in node.inputs where !input.isEmpty { consumers[input, default: 0] += 1 } }
        for output in graph.outputs { consumers[output, default: 0] += 1 }

        // Materialise constants, each with the role its first consumer gives it.
        var constants: [String: Tensor] = [:]
        var syntheticSeeds: Set<UInt64> = []
        var constantFills = 0
        func constant(_ name: String, role: WeightRole, node: String) throws -> Tensor {
            if let t = constants[name] { return t }
            guard let w = graph.weights[name] else { throw ExecutorError(node: node, reason: "weight '\(name)' is missing") }
            guard w.shape.allSatisfy({ $0 >= 0 }), w.elementCount <= Self.maximumTensorWords else {
                throw ExecutorError(node: node, reason: "weight '\(name)' has an absurd shape \(w.shape)")
            }
            let values: [Float]
            if let v = w.values {
                guard v.count == w.elementCount else {
                    throw ExecutorError(node: node, reason: "weight '\(name)' has \(v.count) values for shape \(w.shape)")
                }
                values = v
            } else if case .synthetic(let seed) = w.source {
                syntheticSeeds.insert(seed)
                values = SyntheticWeights.values(seed: seed, name: name, count: w.elementCount, role: role)
            } else if case .constant(let fill) = w.source {
                constantFills += 1
                values = [Float](repeating: fill, count: w.elementCount)
            } else {
                throw ExecutorError(node: node, reason: "weight '\(name)' has no values")
            }
            let t = try Tensor(shape: w.shape, values: values)
            constants[name] = t
            return t
        }
        func role(of node: Node, operand index: Int) -> WeightRole {
            let shape = graph.weights[node.inputs[index]]?.shape ?? []
            switch (node.op, index) {
            case (.conv, 1), (.convTranspose, 1):
                return .filter(fanIn: shape.count == 4 ? shape[1] * shape[2] * shape[3] : max(shape.last ?? 1, 1))
            case (.gemm(_, let transB, _, _), 1):
                return .filter(fanIn: shape.count == 2 ? (transB ? shape[1] : shape[0]) : 1)
            case (.matMul, 1):
                return .filter(fanIn: shape.count >= 2 ? shape[shape.count - 2] : 1)
            case (.conv, 2), (.convTranspose, 2), (.gemm, 2), (.batchNorm, 2), (.batchNorm, 3): return .zero
            case (.batchNorm, 1), (.batchNorm, 4): return .one
            default: return .other
            }
        }

        var steps: [Step] = []
        var skip = Set<Int>()
        var mergedInto: [String: String] = [:]  // activation node → the operator it was fused into
        for (index, node) in graph.nodes.enumerated() where !skip.contains(index) {
            guard let output = node.outputs.first, !output.isEmpty else {
                throw ExecutorError(node: node.name, reason: "node has no output")
            }
            for extra in node.outputs.dropFirst() where consumers[extra, default: 0] > 0 {
                throw ExecutorError(node: node.name, reason: "secondary output '\(extra)' is used but not computed by this executor")
            }
            var operands: [Operand] = []
            for (i, input) in node.inputs.enumerated() {
                if input.isEmpty { continue }
                if let s = slots[input], producer[input] != nil || graph.inputs.contains(where: { $0.name == input }) {
                    operands.append(.activation(s))
                } else if graph.weights[input] != nil {
                    operands.append(.constant(try constant(input, role: role(of: node, operand: i), node: node.name)))
                } else {
                    throw ExecutorError(node: node.name, reason: "input '\(input)' is neither a graph input, a weight, nor the output of an earlier node")
                }
            }
            guard let nodeShape = shapesByNode[node.name] else {
                throw ExecutorError(node: node.name, reason: "Graph.operatorShapes() gave no shape for this node")
            }
            var step = Step(name: node.name, op: node.op, operands: operands, output: 0, activation: .none, foldedBatchNorm: false,
                            releases: [], weightWords: 0, weightZeros: 0, shape: nodeShape)
            // Producers name the operators of this trace (docs/TRACE.md): not a fused-away activation.
            step.shape.producers = nodeShape.producers?.map { mergedInto[$0] ?? $0 }
            var finalOutput = output

            // Fold a following batch-norm into a convolution's constant filter.
            func soleConsumer(of tensor: String, after position: Int) -> Int? {
                guard consumers[tensor] == 1, !graph.outputs.contains(tensor) else { return nil }
                return graph.nodes.indices.dropFirst(position + 1).first { graph.nodes[$0].inputs.contains(tensor) }
            }
            var isConvolution = false
            switch node.op { case .conv, .convTranspose: isConvolution = true; default: break }
            if isConvolution, operands.count >= 2, case .constant(let filter) = operands[1],
               let next = soleConsumer(of: finalOutput, after: index), case .batchNorm(let epsilon) = graph.nodes[next].op,
               graph.nodes[next].inputs.count == 5, graph.nodes[next].inputs[0] == finalOutput {
                let bn = graph.nodes[next]
                let p = try (1...4).map { try constant(bn.inputs[$0], role: role(of: bn, operand: $0), node: bn.name) }
                // Conv filters are [M, C/g, R, S]; ConvTranspose filters [C, M/g, R, S].
                var groups = 1
                var transposed = false
                if case .convTranspose(let a) = node.op { groups = a.groups; transposed = true }
                let m = transposed ? filter.shape[1] * groups : filter.shape[0]
                guard p.allSatisfy({ $0.elementCount == m }) else {
                    throw ExecutorError(node: bn.name, reason: "batch-norm parameters do not match the \(m) filters of '\(node.name)'")
                }
                let oldBias: [Float]
                if operands.count >= 3, case .constant(let b) = operands[2] { oldBias = b.values } else { oldBias = Array(repeating: 0, count: m) }
                guard oldBias.count == m else { throw ExecutorError(node: node.name, reason: "bias has \(oldBias.count) values for \(m) filters") }
                var w = filter.values
                var b = [Float](repeating: 0, count: m)
                let scale = (0..<m).map { p[0].values[$0] / (p[3].values[$0] + epsilon).squareRoot() }
                for f in 0..<m { b[f] = (oldBias[f] - p[2].values[f]) * scale[f] + p[1].values[f] }
                if transposed {
                    let c = filter.shape[0], mg = filter.shape[1], taps = filter.shape[2] * filter.shape[3]
                    for ci in 0..<c {
                        let group = ci / max(c / groups, 1)
                        for fm in 0..<mg { for t in 0..<taps { w[(ci * mg + fm) * taps + t] *= scale[group * mg + fm] } }
                    }
                } else {
                    let perFilter = filter.elementCount / max(m, 1)
                    for f in 0..<m { for j in 0..<perFilter { w[f * perFilter + j] *= scale[f] } }
                }
                step.operands = [operands[0], .constant(try Tensor(shape: filter.shape, values: w)), .constant(try Tensor(shape: [m], values: b))]
                step.foldedBatchNorm = true
                skip.insert(next)
                finalOutput = bn.outputs[0]
            }
            // Fuse a following ReLU / clip into a convolution or GEMM.
            switch node.op {
            case .conv, .gemm, .add:
                if let next = soleConsumer(of: finalOutput, after: index), graph.nodes[next].inputs.first == finalOutput {
                    switch graph.nodes[next].op {
                    case .relu: step.activation = .relu
                    case .clip(let lo, let hi): step.activation = .clip(min: lo, max: hi)
                    default: break
                    }
                    if step.activation != .none {
                        skip.insert(next)
                        finalOutput = graph.nodes[next].outputs[0]
                        mergedInto[graph.nodes[next].name] = node.name
                        // The activation's work moves into this operator's record.
                        step.shape.fusedActivation = step.activation.traceName
                        step.shape.otherOperations += shapesByNode[graph.nodes[next].name]?.otherOperations ?? 0
                    }
                }
            default: break
            }
            if precision != .float32 {
                // Weights on the integer grid, after batch-norm folding (what a deployed
                // integer network stores): filters per output channel, biases left float32;
                // before the SIMD backend derives its packed and Winograd filters from them.
                // Only the multiplying weights: convolution filters, transposed-convolution
                // filters and Gemm/MatMul matrices. Biases, unfolded batch-norm parameters and
                // the constants of element-wise operators stay float32, as an integer
                // accelerator keeps them (rounding a batch-norm variance of 0.05 next to one of
                // 20 to the int8 grid would make it 0).
                for (i, operand) in step.operands.enumerated() {
                    guard case .constant(let t) = operand else { continue }
                    switch (step.op, i) {
                    case (.conv, 1):
                        step.operands[i] = .constant(try Quantizer.rounded(t, to: precision, perFirstDimension: true))
                    case (.convTranspose, 1), (.gemm, 1), (.matMul, 0), (.matMul, 1):
                        step.operands[i] = .constant(try Quantizer.rounded(t, to: precision, perFirstDimension: false))
                    default: continue
                    }
                }
                step.shape.bitWidths = BitWidths(uniform: precision.bits)
            }
            if backend.usesSIMDPaths, backend != .oneDNN, case .conv(let a) = node.op, step.operands.count >= 2, case .constant(let filter) = step.operands[1],
               let x = tensorShapes[node.inputs[0]],
               let g = try? ConvGeometry(input: x, filter: filter.shape, attributes: a, node: node.name) {
                if WinogradKernel.applies(to: g) {
                    step.winogradFilter = WinogradKernel.transformedFilters(filter)
                } else if !(g.isDepthwise && g.outChannelsPerGroup == 1), !(backend == .hybrid && ConvolutionKernel.hybridUsesOpenBLAS(g)) {
                    step.packedFilter = ConvolutionKernel.packedFilter(filter, groups: g.groups)
                }
            }
            for case .constant(let t) in step.operands {
                step.weightWords += t.elementCount
                step.weightZeros += t.values.withUnsafeBufferPointer { countZeros($0) }
            }
            producer[finalOutput] = steps.count
            step.output = slot(finalOutput)
            steps.append(step)
        }
        for output in graph.outputs where slots[output] == nil || (producer[output] == nil && !graph.inputs.contains { $0.name == output }) {
            throw ExecutorError(node: nil, reason: "graph output '\(output)' is not produced by any node")
        }

        // oneDNN backend: which steps run on oneDNN, in which layout (OneDNNLayout.swift).
        var slotShapes: [Int: [Int]] = [:]
        for (name, s) in slots { if let shape = tensorShapes[name] { slotShapes[s] = shape } }
        let kept = Set(graph.outputs.compactMap { slots[$0] })
        var untraced = steps
        if backend == .oneDNN {
            let unlaidOut = steps
            (steps, self.reorders) = try Self.assignOneDNNLayouts(steps, slotShapes: slotShapes, outputSlots: kept)
            // A precision study rounds every operator's output, the fused-away ones included.
            (untraced, fusedResidualAdds) = Self.residualAddFusionEnabled && precision == .float32
                ? Self.fusingResidualAdds(steps, unlaidOut: unlaidOut, slotShapes: slotShapes, outputSlots: kept)
                : (steps, 0)
            (untraced, fusedDepthwiseConvolutions) = Self.depthwiseFusionEnabled && precision == .float32
                ? Self.fusingDepthwiseConvolutions(untraced, unlaidOut: unlaidOut, slotShapes: slotShapes, outputSlots: kept)
                : (untraced, 0)
        } else {
            self.reorders = [:]
            untraced = steps
            fusedResidualAdds = 0
            fusedDepthwiseConvolutions = 0
        }

        self.steps = Self.releasingDeadSlots(steps, kept: kept)
        self.untracedSteps = Self.releasingDeadSlots(untraced, kept: kept)
        self.slotCount = slots.count
        self.inputSlots = graph.inputs.map { slots[$0.name]! }
        self.outputSlots = graph.outputs.map { slots[$0]! }
        let weights: String
        if syntheticSeeds.isEmpty && constantFills > 0 {
            // Architecture-only files (ONNX ConstantOfShape fills): not a trained network either.
            weights = "synthetic(constant fill)"
        } else if syntheticSeeds.isEmpty {
            weights = "real"
        } else if syntheticSeeds.count == 1 {
            weights = "synthetic(seed=\(syntheticSeeds.first!))"
        } else if graph.weights.allSatisfy({ name, w in
            if case .synthetic(let seed) = w.source { return seed == WeightTensor.syntheticSeed(model: graph.name, tensor: name) }
            return true
        }) {
            // The zoo's convention (docs/TRACE.md): one seed per tensor, FNV-1a64 of "<model>/<tensor>".
            weights = "synthetic(seed=FNV-1a64(\(graph.name)/<tensor>))"
        } else {
            weights = "synthetic(seeds=\(syntheticSeeds.count) per-tensor)"
        }
        self.identity = ModelIdentity(name: graph.name, source: source, sha256: sha256, weights: weights)
    }

    /// Liveness: each step frees the activations it is the last reader of (graph outputs stay).
    static func releasingDeadSlots(_ plan: [Step], kept: Set<Int>) -> [Step] {
        var steps = plan
        var lastUse: [Int: Int] = [:]
        for (i, step) in steps.enumerated() {
            steps[i].releases = []
            for case .activation(let s) in step.operands { lastUse[s] = i }
        }
        for (s, i) in lastUse where !kept.contains(s) { steps[i].releases.append(s) }
        for i in steps.indices { steps[i].releases.sort() }
        return steps
    }

    /// Runs the graph on its single input; returns the outputs by name. Runs the untraced
    /// plan (residual adds fused on the oneDNN backend): the outputs of `runWithTrace` within
    /// float32 rounding (the fused sum adds in another order: MobileNetV2's probabilities
    /// differ by up to 1e-7).
    public func run(_ input: Tensor) throws -> [String: Tensor] {
        try execute([input], tracing: false).outputs
    }

    /// Runs the graph on its single input and records a trace. `inputPixels` is the
    /// pixel count of the original frame (the energy-per-pixel denominator); `nil` uses
    /// the network input's H×W.
    public func runWithTrace(_ input: Tensor, inputIdentity: InputIdentity? = nil, inputPixels: Int? = nil) throws -> (outputs: [String: Tensor], trace: Trace) {
        let result = try execute([input], tracing: true)
        let pixels = inputPixels ?? (input.rank == 4 ? input.shape[2] * input.shape[3] : input.elementCount)
        var provenance = ["executor.gemmBackend": backend.rawValue, "executor.threads": String(GEMM.threadCount),
                          "executor.precision": precision.traceNote, "executor.threadPool": parallelForPool,
                          "executor.threadPinning": PinnedTeam.policyNote(backend: backend, threads: GEMM.threadCount)]
        if backend == .openBLAS || backend == .hybrid { provenance["openblas.core"] = OpenBLAS.shared?.coreName ?? "not loaded" }
        if backend == .oneDNN {
            provenance["onednn.version"] = OneDNNPrimitive.version
            provenance["onednn.threading"] = OneDNNPrimitive.threadingNote
            provenance["onednn.operators"] = String(steps.filter { $0.oneDNN != nil }.count)
            // Convolutions oneDNN runs by Winograd (their MACs in the trace stay the direct ones).
            provenance["onednn.winogradConvolutions"] = String(steps.filter { $0.oneDNN?.implementation.contains("wino") == true }.count)
            // Strided convolutions oneDNN runs as 1×1 convolutions over gathered patches (same MACs).
            provenance["onednn.gatheredPatchConvolutions"] = String(steps.filter { $0.oneDNN?.gatheredPatches != nil }.count)
            let shimGEMVLayers = steps.filter { $0.oneDNN?.implementation.hasPrefix("jb_gemv") == true }.count
            if shimGEMVLayers > 0 {
                // Batch-1 fully-connected layers the shim runs on its own GEMV (cdnnl.c), not on oneDNN.
                provenance["onednn.shimGEMVLayers"] = String(shimGEMVLayers)
            }
            if fusedDepthwiseConvolutions > 0 {
                // Likewise: `run` computes these depthwise convolutions inside the 1×1 before them.
                provenance["onednn.depthwiseFusedWhenUntraced"] = String(fusedDepthwiseConvolutions)
            }
            if fusedResidualAdds > 0 {
                // The trace measures every operator of the traced plan; `run` fuses these.
                provenance["onednn.residualAddsFusedWhenUntraced"] = String(fusedResidualAdds)
            }
        }
        let trace = Trace(model: identity, input: inputIdentity, inputPixels: pixels, operators: result.operators, provenance: provenance)
        return (result.outputs, trace)
    }

    /// Per-step wall times in seconds of one run (for the performance script), by step name.
    public func stepTimes(_ input: Tensor) throws -> [(name: String, kind: OperatorKind, macs: Int, seconds: Double)] {
        let result = try execute([input], tracing: true)
        return result.operators.map { ($0.shape.name, $0.shape.kind, $0.shape.macs, $0.measured?.wallTimeSeconds ?? 0) }
    }

    /// `inspect` (benchmarks, tests) sees each oneDNN step of the plan with its sources, before
    /// it runs and inside the step's timed window (a traced step's time then includes it).
    func execute(_ given: [Tensor], tracing: Bool, inspect: ((Step, [OneDNNSource]) throws -> Void)? = nil)
        throws -> (outputs: [String: Tensor], operators: [TraceOperator], pinned: Bool) {
        guard given.count == inputs.count else {
            throw ExecutorError(node: nil, reason: "the graph takes \(inputs.count) input(s), got \(given.count)")
        }
        // The pass's OpenMP team on distinct CPUs (jb_team_pin_begin says why); the caller's
        // own CPU set comes back afterwards. Not with OpenBLAS, whose own threads, if first
        // started inside the pass, would inherit the caller's single CPU for good.
        let pinning = backend == .oneDNN || backend == .simd ? PinnedTeam(threads: GEMM.threadCount) : nil
        defer { pinning?.release() }
        var values = [SlotValue](repeating: SlotValue(), count: slotCount)
        for (i, spec) in inputs.enumerated() {
            guard given[i].shape == spec.shape else {
                throw ExecutorError(node: nil, reason: "input '\(spec.name)' must have shape \(spec.shape), got \(given[i].shape)")
            }
            values[inputSlots[i]].plain = given[i]
            Quantizer.round(&values[inputSlots[i]], to: precision)
        }
        var operators: [TraceOperator] = []
        if tracing { operators.reserveCapacity(steps.count) }
        // Each step is borrowed from the plan (the buffer's address accessor), not copied:
        // `for step in plan` copied every Step (about twenty retains and releases), ~4 % of
        // a MobileNetV2 pass.
        func perform(_ step: Step) throws {
            let start = DispatchTime.now().uptimeNanoseconds
            var output: SlotValue
            var inputs: [SlotValue] = []
            if step.accumulatesAddend, let primitive = step.oneDNN {
                output = try runAccumulating(step, primitive, values: &values)
            } else if let primitive = step.oneDNN {
                // Layout conversions the step needs are part of its time (they are its cost).
                var sources: [OneDNNSource] = []
                for (operand, layout) in zip(step.operands, step.inputLayouts) {
                    guard case .activation(let s) = operand else { continue }
                    sources.append(try fetch(s, layout, from: &values, node: step.name))
                    if tracing { inputs.append(values[s]) }
                }
                try inspect?(step, sources)
                output = step.outputLayout == .blocked
                    ? SlotValue(blocked: BlockedTensor(shape: step.outputShape, storage: try primitive.runAligned(sources, node: step.name)))
                    : SlotValue(plain: try Tensor(shape: step.outputShape, values: try primitive.run(sources, node: step.name)))
            } else {
                let name = step.name   // (a closure capturing `step` would copy it)
                let operands: [Tensor] = try step.operands.map {
                    switch $0 {
                    case .constant(let t): return t
                    case .activation(let s):
                        return try fetchPlain(s, from: &values, node: name)
                    }
                }
                output = SlotValue(plain: try apply(step, operands))
                if tracing { for case .activation(let s) in step.operands { inputs.append(values[s]) } }
            }
            Quantizer.round(&output, to: precision)
            let end = DispatchTime.now().uptimeNanoseconds
            if tracing {
                operators.append(TraceOperator(shape: step.shape,
                                               measured: measure(step, inputs: inputs, output: output, seconds: Double(end - start) * 1e-9)))
            }
            for s in step.releases { values[s] = SlotValue() }
            values[step.output] = output
        }
        try (tracing ? steps : untracedSteps).withUnsafeBufferPointer { plan in
            for index in plan.indices { try perform(plan[index]) }
        }
        var outputs: [String: Tensor] = [:]
        for (name, s) in zip(outputNames, outputSlots) {
            outputs[name] = try fetchPlain(s, from: &values, node: name)
        }
        return (outputs, operators, pinning != nil)
    }

    /// Zero fractions over the logical elements of each activation input (a value may be
    /// held in either layout; blocked padding never counts) and of the output.
    func measure(_ step: Step, inputs: [SlotValue], output: SlotValue, seconds: Double) -> MeasuredFacts {
        var inputWords = 0, inputZeros = 0
        for value in inputs {
            let (words, zeros) = value.logicalCounts
            inputWords += words; inputZeros += zeros
        }
        let (outputWords, outputZeros) = output.logicalCounts
        return MeasuredFacts(
            inputZeroFraction: inputWords > 0 ? Double(inputZeros) / Double(inputWords) : 0,
            outputZeroFraction: outputWords > 0 ? Double(outputZeros) / Double(outputWords) : 0,
            weightZeroFraction: step.weightWords > 0 ? Double(step.weightZeros) / Double(step.weightWords) : nil,
            wallTimeSeconds: seconds,
            bytesTouched: (inputWords + step.weightWords + outputWords) * MemoryLayout<Float>.size)
    }

    func apply(_ step: Step, _ x: [Tensor]) throws -> Tensor {
        let name = step.name
        let backend = self.backend.ownKernels
        func need(_ n: ClosedRange<Int>) throws {
            guard n.contains(x.count) else { throw ExecutorError(node: name, reason: "\(step.op) takes \(n) inputs, got \(x.count)") }
        }
        switch step.op {
        case .conv(let a):
            try need(2...3)
            return try Operators.conv(x[0], filter: x[1], winogradFilter: step.winogradFilter, packedFilter: step.packedFilter, bias: x.count > 2 ? x[2] : nil, attributes: a,
                                      activation: step.activation, backend: backend, node: name)
        case .convTranspose(let a):
            try need(2...3)
            return try Operators.convTranspose(x[0], filter: x[1], bias: x.count > 2 ? x[2] : nil, attributes: a, backend: backend, node: name)
        case .gemm(let ta, let tb, let alpha, let beta):
            try need(2...3)
            return try Operators.gemm(x[0], x[1], x.count > 2 ? x[2] : nil, transA: ta, transB: tb, alpha: alpha, beta: beta,
                                      activation: step.activation, backend: backend, node: name)
        case .matMul: try need(2...2); return try Operators.matMul(x[0], x[1], backend: backend, node: name)
        case .maxPool(let a): try need(1...1); return try Operators.maxPool(x[0], a, node: name)
        case .averagePool(let a): try need(1...1); return try Operators.averagePool(x[0], a, node: name)
        case .globalAveragePool: try need(1...1); return try Operators.globalPool(x[0], average: true, node: name)
        case .globalMaxPool: try need(1...1); return try Operators.globalPool(x[0], average: false, node: name)
        case .relu: try need(1...1); return Operators.unary(.relu, x[0])
        case .leakyRelu(let a): try need(1...1); return Operators.unary(.leakyRelu(alpha: a), x[0])
        case .clip(let lo, let hi): try need(1...1); return Operators.unary(.clip(min: lo, max: hi), x[0])
        case .sigmoid: try need(1...1); return Operators.unary(.sigmoid, x[0])
        case .hardSigmoid(let a, let b): try need(1...1); return Operators.unary(.hardSigmoid(alpha: a, beta: b), x[0])
        case .hardSwish: try need(1...1); return Operators.unary(.hardSwish, x[0])
        case .batchNorm(let eps):
            try need(5...5)
            return try Operators.batchNorm(x[0], scale: x[1], bias: x[2], mean: x[3], variance: x[4], epsilon: eps, node: name)
        case .localResponseNorm(let size, let alpha, let beta, let bias):
            try need(1...1); return try Operators.localResponseNorm(x[0], size: size, alpha: alpha, beta: beta, bias: bias, node: name)
        case .add:
            try need(2...2)
            let sum = try Operators.binary(.add, x[0], x[1], node: name)
            switch step.activation {
            case .none: return sum
            case .relu: return Operators.unary(.relu, sum)
            case .clip(let lo, let hi): return Operators.unary(.clip(min: lo, max: hi), sum)
            }
        case .sub: try need(2...2); return try Operators.binary(.sub, x[0], x[1], node: name)
        case .mul: try need(2...2); return try Operators.binary(.mul, x[0], x[1], node: name)
        case .div: try need(2...2); return try Operators.binary(.div, x[0], x[1], node: name)
        case .concat(let axis): try need(1...Int.max); return try Operators.concat(x, axis: axis, node: name)
        case .resize(let mode, let sh, let sw): try need(1...Int.max); return try Operators.resize(x[0], mode: mode, scaleHeight: sh, scaleWidth: sw, node: name)
        case .softmax(let axis): try need(1...1); return try Operators.softmax(x[0], axis: axis, node: name)
        case .reshape(let shape): try need(1...2); return try Operators.reshape(x[0], to: shape, node: name)
        case .flatten(let axis): try need(1...1); return try Operators.flatten(x[0], axis: axis, node: name)
        case .transpose(let perm): try need(1...1); return try Operators.transpose(x[0], perm: perm, node: name)
        case .pad(let pads, let value): try need(1...Int.max); return try Operators.pad(x[0], pads: pads, value: value, node: name)
        case .dropout, .identity: try need(1...Int.max); return x[0]
        }
    }
}


/// glibc returns large freed blocks to the kernel at once (they are mmap'ed), so every
/// forward pass would page-fault its activations in again. Raising the mmap and trim
/// thresholds keeps freed blocks in the heap for the next operator and the next run;
/// the peak resident size is unchanged (docs/EXECUTOR.md measures it).
enum MemoryReuse {
    static let keepFreedBlocks: Void = {
        // <malloc.h> is not in Swift's Glibc module: look mallopt up (RTLD_DEFAULT = nil).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 1 << 30)        // M_MMAP_THRESHOLD: 1 GiB
        _ = mallopt(-1, Int32.max)      // M_TRIM_THRESHOLD: never trim
    }()
}
