import Foundation
import Workloads

/// An activation slot's value during a run: in NCHW, in nChw16c, or both (a layout
/// conversion is cached until the slot is freed).
struct SlotValue: Sendable {
    var plain: Tensor? = nil
    var blocked: BlockedTensor? = nil

    /// Logical words and exact zeros (blocked padding excluded).
    var logicalCounts: (words: Int, zeros: Int) {
        if let plain { return (plain.elementCount, plain.values.withUnsafeBufferPointer { countZeros($0) }) }
        if let blocked { return (blocked.elementCount, blocked.logicalZeroCount) }
        return (0, 0)
    }
}

/// A layout conversion of one slot into `layout`.
struct ReorderKey: Hashable, Sendable {
    var slot: Int
    var layout: ActivationLayout
}

extension ActivationLayout: Hashable {}

extension InferenceSession {
    /// oneDNN primitives with less work than this run on one thread: an OpenMP fork/join
    /// costs more than it saves on them, and on a shared 2-core machine a team member
    /// waiting for a busy core stalls the whole primitive. `JOULEBENCH_ONEDNN_SERIAL_MACS`
    /// overrides the convolution limit (the other ops use 1/64 of it, in output words).
    static let serialWorkLimit: (macs: Int, words: Int) = {
        let macs = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_SERIAL_MACS"].flatMap { Int($0) } ?? defaultSerialMACs
        return (macs, macs / 64)
    }()
    static let defaultSerialMACs = 0

    /// The values of `slot` in `layout`, converting (once per run; cached in `values`) with
    /// the reorder prepared at load.
    func fetch(_ slot: Int, _ layout: ActivationLayout, from values: inout [SlotValue], node: String) throws -> OneDNNSource {
        switch layout {
        case .plain:
            return .array(try fetchPlain(slot, from: &values, node: node).values)
        case .blocked:
            if let b = values[slot].blocked { return .aligned(b.storage) }
            guard let t = values[slot].plain else { throw ExecutorError(node: node, reason: "an input was freed before use (internal)") }
            guard let reorder = reorders[ReorderKey(slot: slot, layout: .blocked)] else {
                throw ExecutorError(node: node, reason: "no reorder to nChw16c was prepared for this input (internal)")
            }
            let b = BlockedTensor(shape: t.shape, storage: try reorder.runAligned([.array(t.values)], node: node))
            values[slot].blocked = b
            return .aligned(b.storage)
        }
    }

    /// The values of `slot` as an NCHW tensor, converting (once per run; cached in `values`).
    func fetchPlain(_ slot: Int, from values: inout [SlotValue], node: String) throws -> Tensor {
        if let t = values[slot].plain { return t }
        guard let b = values[slot].blocked else { throw ExecutorError(node: node, reason: "an input was freed before use (internal)") }
        guard let reorder = reorders[ReorderKey(slot: slot, layout: .plain)] else {
            throw ExecutorError(node: node, reason: "no reorder to NCHW was prepared for this input (internal)")
        }
        let t = try Tensor(shape: b.shape, values: try reorder.run([.aligned(b.storage)], node: node))
        values[slot].plain = t
        return t
    }

    /// The layout pass of the oneDNN backend. In graph order, each step that oneDNN runs
    /// (`oneDNNPrimitive`) gets its primitive and layouts:
    /// - a convolution reads its input in the layout it was produced in and writes nChw16c;
    /// - pooling, activations, LRN, adds and concats work in the layout of their first input;
    /// - a graph output is always written in NCHW; every other operator reads NCHW.
    /// A reader that needs the other layout than a slot was produced in gets a reorder
    /// (made here, run when first needed, cached for the slot's lifetime). A step oneDNN
    /// cannot run (no primitive for its attributes) stays on the executor's own kernels.
    /// A oneDNN convolution's filter and bias are dropped from the step: oneDNN holds them,
    /// reordered; the step's weight words and zeros were counted before (plain, logical).
    static func assignOneDNNLayouts(_ input: [Step], slotShapes: [Int: [Int]], outputSlots: Set<Int>) throws
        -> ([Step], [ReorderKey: OneDNNPrimitive]) {
        var steps = input
        var produced: [Int: ActivationLayout] = [:]   // slot → layout written (absent: NCHW graph input)
        var reorders: [ReorderKey: OneDNNPrimitive] = [:]
        func layout(of slot: Int) -> ActivationLayout { produced[slot] ?? .plain }
        func need(_ slot: Int, _ wanted: ActivationLayout, node: String) throws {
            guard wanted != layout(of: slot), reorders[ReorderKey(slot: slot, layout: wanted)] == nil, let shape = slotShapes[slot] else { return }
            reorders[ReorderKey(slot: slot, layout: wanted)] = try OneDNNPrimitive.reorder(shape: shape, from: layout(of: slot), to: wanted, node: node)
        }
        for i in steps.indices {
            let step = steps[i]
            let activationSlots = step.operands.compactMap { if case .activation(let s) = $0 { return s } else { return nil } }
            if let outShape = slotShapes[step.output], let first = activationSlots.first, let firstShape = slotShapes[first] {
                let isOutput = outputSlots.contains(step.output)
                let isConvolution: Bool = { if case .conv = step.op { return true } else { return false } }()
                // Gemm/MatMul (oneDNN inner product) read and write row-major 2-D tensors.
                let isFullyConnected: Bool = { switch step.op { case .gemm, .matMul: return true; default: return false } }()
                var sourceLayout: ActivationLayout = (isOutput && !isConvolution) || isFullyConnected ? .plain : layout(of: first)
                let destination: ActivationLayout = isOutput || isFullyConnected ? .plain : (isConvolution ? .blocked : sourceLayout)
                func make(_ source: ActivationLayout) -> OneDNNPrimitive? {
                    let p = try? oneDNNPrimitive(for: step, input: firstShape, output: outShape, slotShapes: slotShapes,
                                                 source: source, destination: destination)
                    // oneDNN's reference kernels ("ref:any") are far slower than ours: not used.
                    return p.flatMap { OneDNNPrimitive.runsOnJITKernels($0.implementation) ? $0 : nil }
                }
                var chosen = make(sourceLayout)
                if chosen == nil, isConvolution, sourceLayout == .plain {
                    // oneDNN has JIT kernels for an NCHW source only when it has few channels
                    // (the first layer): other convolutions after an NCHW operator get a reorder.
                    chosen = make(.blocked)
                    if chosen != nil { sourceLayout = .blocked }
                }
                // A primitive oneDNN refuses (or a shape it does not take) leaves the step on our kernels.
                if let primitive = chosen {
                    // Work: MACs of a convolution, output words of anything else.
                    let countsMACs = isConvolution || isFullyConnected
                    let work = countsMACs ? step.shape.macs : outShape.reduce(1, *)
                    if work < (countsMACs ? serialWorkLimit.macs : serialWorkLimit.words) { primitive.threads = 1 }
                    steps[i].oneDNN = primitive
                    steps[i].outputLayout = destination
                    steps[i].outputShape = outShape
                    steps[i].inputLayouts = step.operands.map { _ in isConvolution ? sourceLayout : destination }
                    if isConvolution || isFullyConnected {
                        // The constants live in the primitive, reordered.
                        steps[i].operands = [step.operands[0]]
                        steps[i].inputLayouts = [sourceLayout]
                    }
                    for (operand, wanted) in zip(steps[i].operands, steps[i].inputLayouts) {
                        if case .activation(let s) = operand { try need(s, wanted, node: step.name) }
                    }
                    produced[step.output] = destination
                    continue
                }
            }
            // The executor's own kernels: NCHW in and out; a convolution gets its packed forms.
            for s in activationSlots { try need(s, .plain, node: step.name) }
            produced[step.output] = .plain
            if case .conv(let a) = step.op, step.operands.count >= 2, case .constant(let filter) = step.operands[1],
               let x = activationSlots.first.flatMap({ slotShapes[$0] }),
               let g = try? ConvGeometry(input: x, filter: filter.shape, attributes: a, node: step.name) {
                if WinogradKernel.applies(to: g) {
                    steps[i].winogradFilter = WinogradKernel.transformedFilters(filter)
                } else if !(g.isDepthwise && g.outChannelsPerGroup == 1) {
                    steps[i].packedFilter = ConvolutionKernel.packedFilter(filter, groups: g.groups)
                }
            }
        }
        // Graph outputs are read in NCHW.
        for s in outputSlots { try need(s, .plain, node: "graph output") }
        return (steps, reorders)
    }

    /// Whether `run` fuses residual adds (`fusingResidualAdds`); `JOULEBENCH_ONEDNN_FUSE=0`
    /// turns it off (A/B runs).
    static let residualAddFusionEnabled = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_FUSE"] != "0"

    /// The untraced plan of the oneDNN backend: `steps` (laid out) with each residual add
    /// fused into the convolution that computes one of its operands, through oneDNN's `sum`
    /// post-op (dst = act(conv(x) + dst), dst holding the other operand), so the sum never
    /// makes a pass of its own. Only where nothing else can tell: the add runs on oneDNN in
    /// nChw16c, the convolution has no activation of its own, writes nChw16c, and its output
    /// is read by this add alone and is not a graph output; the add's activation moves into
    /// the fused primitive, which reads the convolution's reordered filter in place when
    /// oneDNN picks the same layout for it. The fused step takes the add's place (and output
    /// slot); the convolution's step is dropped. The trace keeps the unfused plan: fused, the
    /// convolution's own output (the add's input) would never exist to be measured.
    /// `unlaidOut` is `steps` before the layout pass (it still holds the plain filters; found
    /// by step name).
    static func fusingResidualAdds(_ steps: [Step], unlaidOut: [Step], slotShapes: [Int: [Int]], outputSlots: Set<Int>)
        -> (steps: [Step], fused: Int) {
        let (plainSteps, readers, producer) = fusionMaps(steps, unlaidOut: unlaidOut)
        var plan = steps
        var dropped = Set<Int>()
        for (i, add) in steps.enumerated() {
            guard case .add = add.op, add.oneDNN != nil, add.outputLayout == .blocked, add.operands.count == 2,
                  add.inputLayouts == [.blocked, .blocked],
                  case .activation(let a) = add.operands[0], case .activation(let b) = add.operands[1], a != b else { continue }
            // Of the operands a fusable convolution computes, the later one (the other is then
            // already computed when the fused step runs in the add's place).
            let candidates = [(a, b), (b, a)].compactMap { (computed, addend) -> (conv: Int, addend: Int)? in
                guard let p = producer[computed], p < i, !dropped.contains(p) else { return nil }
                let conv = steps[p]
                guard case .conv = conv.op, conv.oneDNN != nil, conv.outputLayout == .blocked, conv.activation == .none,
                      readers[computed] == 1, !outputSlots.contains(computed), slotShapes[computed] == slotShapes[addend],
                      case .activation = conv.operands.first else { return nil }
                return (p, addend)
            }
            // The later convolution first (the other operand is then already computed); if
            // oneDNN cannot fuse into it, the earlier one.
            // The convolution as the layout pass made it (same layouts and algorithm choice),
            // with the add's activation, accumulating, reading the unfused filter in place.
            func fusedPrimitive(_ candidate: (conv: Int, addend: Int)) -> (OneDNNPrimitive, OneDNNPrimitive)? {
                let conv = steps[candidate.conv]
                guard var original = plainSteps[conv.name] else { return nil }
                original.activation = add.activation
                guard case .activation(let x) = conv.operands[0], let xShape = slotShapes[x],
                      let yShape = slotShapes[conv.output], let convPrimitive = conv.oneDNN, convPrimitive.gatheredPatches == nil,
                      let primitive = try? oneDNNPrimitive(for: original, input: xShape, output: yShape, slotShapes: slotShapes,
                                                           source: conv.inputLayouts[0], destination: .blocked,
                                                           accumulate: true, sharingWeightsOf: convPrimitive),
                      OneDNNPrimitive.runsOnJITKernels(primitive.implementation) else { return nil }
                return (primitive, convPrimitive)
            }
            guard let (pick, (primitive, convPrimitive)) = candidates.sorted(by: { $0.conv > $1.conv })
                .lazy.compactMap({ c in fusedPrimitive(c).map { (c, $0) } }).first else { continue }
            let conv = steps[pick.conv]
            primitive.threads = convPrimitive.threads
            var fused = add
            fused.name = "\(conv.name)+\(add.name)"
            fused.op = conv.op
            fused.operands = [conv.operands[0], .activation(pick.addend)]
            fused.inputLayouts = [conv.inputLayouts[0], .blocked]
            fused.oneDNN = primitive
            fused.accumulatesAddend = true
            plan[i] = fused
            dropped.insert(pick.conv)
        }
        return (plan.enumerated().filter { !dropped.contains($0.offset) }.map(\.element), dropped.count)
    }

    /// What both fusion passes look up: each step before the layout pass by name (it still
    /// holds the plain filters), how many steps read each slot, and which step writes it.
    static func fusionMaps(_ steps: [Step], unlaidOut: [Step]) -> (plainSteps: [String: Step], readers: [Int: Int], producer: [Int: Int]) {
        var readers: [Int: Int] = [:]
        var producer: [Int: Int] = [:]
        for (i, step) in steps.enumerated() {
            for case .activation(let s) in step.operands { readers[s, default: 0] += 1 }
            producer[step.output] = i
        }
        return (Dictionary(unlaidOut.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }), readers, producer)
    }

    /// Whether `run` fuses depthwise convolutions into the pointwise ones before them
    /// (`fusingDepthwiseConvolutions`); `JOULEBENCH_ONEDNN_FUSE_DW=0` turns it off (A/B runs).
    static let depthwiseFusionEnabled = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_FUSE_DW"] != "0"

    /// The untraced plan with each depthwise 3×3 convolution (padding 1, stride 1 or 2) that
    /// follows a plain 1×1 convolution fused into it through oneDNN's depthwise post-op, so
    /// the 1×1 output (MobileNetV2's 96×112×112 expansion: 4.8 MB) never makes a round trip
    /// through memory. Only where nothing else can tell: both run on oneDNN in nChw16c, the
    /// 1×1 output is read by the depthwise convolution alone and is not a graph output, and
    /// oneDNN runs the pair on JIT kernels — one fused kernel at 112×112, elsewhere
    /// `ref_fused_convolution`, which runs the two JIT kernels tile by tile through a small
    /// buffer (never a scalar `ref:` kernel). Alone and warm the tiled form is 1.02–1.43× the
    /// two primitives; in the network, where the 1×1 output would come back from memory, it
    /// was faster (docs/EXECUTOR.md, "Depthwise fusion"). The fused step takes the depthwise
    /// step's place and output slot. The trace keeps the unfused plan (fused, the 1×1 output
    /// would never exist to be measured). `unlaidOut`: the steps before the layout pass,
    /// found by name.
    static func fusingDepthwiseConvolutions(_ steps: [Step], unlaidOut: [Step], slotShapes: [Int: [Int]], outputSlots: Set<Int>)
        -> (steps: [Step], fused: Int) {
        let (plainSteps, readers, producer) = fusionMaps(steps, unlaidOut: unlaidOut)
        /// The plain filter and bias of a oneDNN convolution step, with its geometry.
        func plainConvolution(_ step: Step) -> (geometry: ConvGeometry, filter: [Float], bias: [Float]?)? {
            guard case .conv(let a) = step.op, let original = plainSteps[step.name],
                  case .activation(let x) = step.operands.first, let xShape = slotShapes[x],
                  let (g, filter, bias) = try? convolutionConstants(of: original, attributes: a, input: xShape) else { return nil }
            return (g, filter.values, bias)
        }
        var plan = steps
        var dropped = Set<Int>()
        for (i, dw) in steps.enumerated() {
            guard case .conv = dw.op, let dwPrimitive = dw.oneDNN, !dw.accumulatesAddend, dw.outputLayout == .blocked,
                  dw.inputLayouts == [.blocked], case .activation(let mid) = dw.operands.first,
                  let p = producer[mid], p < i, !dropped.contains(p), readers[mid] == 1, !outputSlots.contains(mid) else { continue }
            let pw = steps[p]
            // (Neither step can be a gathered-patch convolution: those are strided with 2-3 taps
            // a side and ungrouped, `BlockedPatches.applies`.)
            guard case .conv = pw.op, let pwPrimitive = pw.oneDNN, !pw.accumulatesAddend, pw.outputLayout == .blocked,
                  let (gp, pwFilter, pwBias) = plainConvolution(pw), gp.isPlainPointwise, gp.groups == 1,
                  let (gd, dwFilter, dwBias) = plainConvolution(dw), DepthwiseConv3x3.applies(to: gd), gd.inChannels == gp.outChannels,
                  gd.padTop == 1, gd.padLeft == 1, gd.padBottom == 1, gd.padRight == 1,
                  [gd.batch, gd.outChannels, gd.outHeight, gd.outWidth] == dw.outputShape,
                  let primitive = try? OneDNNPrimitive.convolution(
                      gp, filter: pwFilter, bias: pwBias, source: pw.inputLayouts[0], destination: .blocked, activation: pw.activation,
                      sharingWeightsOf: pwPrimitive,
                      depthwise: .init(stride: gd.strideH, filter: dwFilter, bias: dwBias ?? [Float](repeating: 0, count: gd.outChannels),
                                       activation: dw.activation),
                      node: "\(pw.name)+\(dw.name)"),
                  OneDNNPrimitive.runsOnJITKernels(primitive.implementation),
                  primitive.outputFloats == dwPrimitive.outputFloats else { continue }   // (the shim checks oneDNN's output tensor)
            primitive.threads = max(pwPrimitive.threads, dwPrimitive.threads)
            var fused = dw
            fused.name = "\(pw.name)+\(dw.name)"
            fused.operands = [pw.operands[0]]
            fused.inputLayouts = pw.inputLayouts
            fused.oneDNN = primitive
            plan[i] = fused
            dropped.insert(p)
        }
        return (plan.enumerated().filter { !dropped.contains($0.offset) }.map(\.element), dropped.count)
    }

    /// Runs a step of `fusingResidualAdds`: the convolution adds into a buffer holding the
    /// addend (its last operand), the addend's own storage when this step is its last
    /// reader, otherwise a copy.
    func runAccumulating(_ step: Step, _ primitive: OneDNNPrimitive, values: inout [SlotValue]) throws -> SlotValue {
        guard case .activation(let x) = step.operands.first, case .activation(let addendSlot) = step.operands.last,
              step.operands.count == 2, step.inputLayouts.count == 2 else {
            throw ExecutorError(node: step.name, reason: "a fused residual add needs an input and an addend (internal)")
        }
        let source = try fetch(x, step.inputLayouts[0], from: &values, node: step.name)
        guard case .aligned(let addend) = try fetch(addendSlot, .blocked, from: &values, node: step.name) else {
            throw ExecutorError(node: step.name, reason: "the addend is not in nChw16c (internal)")
        }
        guard addend.count == primitive.outputFloats else {
            throw ExecutorError(node: step.name, reason: "the addend has \(addend.count) floats, the output \(primitive.outputFloats) (internal)")
        }
        // In place only when nothing reads the addend afterwards (it is freed after this step)
        // and it is not also the convolution's input.
        let destination: AlignedFloats
        if step.releases.contains(addendSlot), addendSlot != x {
            destination = addend
        } else {
            destination = try AlignedFloats(uninitializedCount: addend.count)
            destination.base.update(from: addend.base, count: addend.count)
        }
        let name = step.name   // (a closure capturing `step` would copy it)
        try withPointers([source]) { try primitive.run($0, into: destination.base, node: name) }
        return SlotValue(blocked: BlockedTensor(shape: step.outputShape, storage: destination))
    }

    /// A convolution step's constant filter and bias (nil: none), and its geometry on input
    /// `x`; an error when they are not constants.
    static func convolutionConstants(of step: Step, attributes a: ConvAttributes, input x: [Int]) throws
        -> (geometry: ConvGeometry, filter: Tensor, bias: [Float]?) {
        guard step.operands.count >= 2, case .constant(let filter) = step.operands[1] else {
            throw ExecutorError(node: step.name, reason: "oneDNN convolutions need a constant filter")
        }
        var bias: [Float]? = nil
        if step.operands.count > 2 {
            guard case .constant(let b) = step.operands[2] else {
                throw ExecutorError(node: step.name, reason: "oneDNN convolutions need a constant bias")
            }
            bias = b.values
        }
        return (try ConvGeometry(input: x, filter: filter.shape, attributes: a, node: step.name), filter, bias)
    }

    /// The oneDNN primitive for `step` with 4-D input `x` and output `y`, or an error when
    /// oneDNN does not run this operator with these attributes.
    /// For a convolution, `accumulate` adds the destination's contents (oneDNN's sum post-op,
    /// `fusingResidualAdds`) and `sharingWeightsOf` lends another primitive's reordered filter.
    static func oneDNNPrimitive(for step: Step, input x: [Int], output y: [Int], slotShapes: [Int: [Int]],
                                source: ActivationLayout, destination: ActivationLayout,
                                accumulate: Bool = false, sharingWeightsOf owner: OneDNNPrimitive? = nil) throws -> OneDNNPrimitive {
        let name = step.name
        switch step.op {
        case .gemm, .matMul: return try oneDNNInnerProduct(for: step, input: x, output: y)
        default: break
        }
        guard x.count == 4, y.count == 4, x.allSatisfy({ $0 >= 1 }), y.allSatisfy({ $0 >= 1 }) else {
            throw ExecutorError(node: name, reason: "oneDNN runs 4-D activations only")
        }
        let activations = step.operands.filter { if case .activation = $0 { return true } else { return false } }
        func sameLayoutUnary() throws {
            guard activations.count == 1, step.operands.count == 1, source == destination else {
                throw ExecutorError(node: name, reason: "not a unary operator on one activation")
            }
        }
        switch step.op {
        case .conv(let a):
            guard activations.count == 1 else { throw ExecutorError(node: name, reason: "oneDNN convolutions read one activation") }
            let (g, filter, bias) = try convolutionConstants(of: step, attributes: a, input: x)
            guard [g.batch, g.outChannels, g.outHeight, g.outWidth] == y, bias.map({ $0.count == g.outChannels }) ?? true else {
                throw ExecutorError(node: name, reason: "convolution shapes disagree")
            }
            if source == .blocked, gatheredPatchesEnabled, BlockedPatches.applies(to: g),
               let p = try? OneDNNPrimitive.gatheredPatchConvolution(g, filter: filter.values, bias: bias, destination: destination,
                                                                     activation: step.activation, accumulate: accumulate,
                                                                     sharingWeightsOf: owner, node: name),
               OneDNNPrimitive.runsOnJITKernels(p.implementation) {
                return p
            }
            if oneDNNWinogradApplies(to: g) {
                // oneDNN's Winograd where it has a kernel for the shape; direct otherwise.
                if let p = try? OneDNNPrimitive.convolution(g, filter: filter.values, bias: bias, source: source, destination: destination,
                                                            activation: step.activation, accumulate: accumulate, algorithm: .winograd,
                                                            sharingWeightsOf: owner, node: name) { return p }
            }
            return try OneDNNPrimitive.convolution(g, filter: filter.values, bias: bias, source: source, destination: destination,
                                                   activation: step.activation, accumulate: accumulate, sharingWeightsOf: owner, node: name)
        case .maxPool(let a), .averagePool(let a):
            try sameLayoutUnary()
            let g = try PoolGeometry(input: x, attributes: a, node: name)
            guard [x[0], x[1], g.outHeight, g.outWidth] == y else { throw ExecutorError(node: name, reason: "pooling shapes disagree") }
            var kind = OneDNNPrimitive.PoolKind.max
            if case .averagePool = step.op {
                // ONNX's count_include_pad stops at the declared padding; oneDNN's would also
                // count the ceil-mode extension, so that case stays on our kernel.
                let extendedBottom = (g.outHeight - 1) * a.stride.height + a.kernel.height - x[2] - a.pads.top
                let extendedRight = (g.outWidth - 1) * a.stride.width + a.kernel.width - x[3] - a.pads.left
                if a.countIncludePad {
                    guard extendedBottom <= a.pads.bottom, extendedRight <= a.pads.right else {
                        throw ExecutorError(node: name, reason: "count_include_pad with ceil-mode extension")
                    }
                    kind = .averageIncludingPadding
                } else {
                    kind = .averageExcludingPadding
                }
            }
            return try OneDNNPrimitive.pooling(kind, input: x, output: y, kernel: (a.kernel.height, a.kernel.width),
                                               stride: (a.stride.height, a.stride.width), pads: a.pads, layout: source, node: name)
        case .globalAveragePool, .globalMaxPool:
            try sameLayoutUnary()
            guard y == [x[0], x[1], 1, 1] else { throw ExecutorError(node: name, reason: "global pooling shapes disagree") }
            let isMax: Bool = { if case .globalMaxPool = step.op { return true } else { return false } }()
            return try OneDNNPrimitive.pooling(isMax ? .max : .averageExcludingPadding, input: x, output: y, kernel: (x[2], x[3]),
                                               stride: (1, 1), pads: (0, 0, 0, 0), layout: source, node: name)
        case .relu, .clip, .sigmoid, .hardSwish:
            try sameLayoutUnary()
            guard x == y else { throw ExecutorError(node: name, reason: "element-wise shapes disagree") }
            let kind: OneDNNPrimitive.EltwiseKind = switch step.op {
            case .clip(let lo, let hi): .clip(min: lo, max: hi)
            case .sigmoid: .sigmoid
            case .hardSwish: .hardSwish
            default: .relu
            }
            return try OneDNNPrimitive.eltwise(kind, shape: x, layout: source, node: name)
        case .localResponseNorm(let size, let alpha, let beta, let bias):
            try sameLayoutUnary()
            guard x == y else { throw ExecutorError(node: name, reason: "LRN shapes disagree") }
            return try OneDNNPrimitive.localResponseNorm(size: size, alpha: alpha, beta: beta, bias: bias, shape: x, layout: source, node: name)
        case .add:
            guard activations.count == 2, step.operands.count == 2, source == destination else {
                throw ExecutorError(node: name, reason: "oneDNN adds two activations")
            }
            guard case .activation(let other) = step.operands[1], slotShapes[other] == x, x == y else {
                throw ExecutorError(node: name, reason: "oneDNN adds same-shape tensors only (no broadcasting)")
            }
            return try OneDNNPrimitive.add(shape: x, layout: source, activation: step.activation, node: name)
        case .concat(let axis):
            guard axis == 1 || axis == -3, activations.count == step.operands.count, source == destination else {
                throw ExecutorError(node: name, reason: "oneDNN concatenates activations along channels only")
            }
            var channels: [Int] = []
            for case .activation(let s) in step.operands {
                guard let shape = slotShapes[s], shape.count == 4, shape[0] == x[0], shape[2] == x[2], shape[3] == x[3], shape[1] >= 1 else {
                    throw ExecutorError(node: name, reason: "concat inputs disagree")
                }
                channels.append(shape[1])
            }
            guard channels.reduce(0, +) == y[1] else { throw ExecutorError(node: name, reason: "concat shapes disagree") }
            return try OneDNNPrimitive.concat(channels: channels, batch: x[0], height: x[2], width: x[3], layout: source, node: name)
        default:
            throw ExecutorError(node: name, reason: "oneDNN does not run \(step.op) here")
        }
    }

    /// Whether `JOULEBENCH_ONEDNN_FC=0` keeps Gemm/MatMul on the SIMD16 kernels (for A/B runs).
    static let fullyConnectedOnOneDNN: Bool = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_FC"] != "0"

    /// oneDNN's inner product for a Gemm (transA = 0, alpha = 1, constant B, constant C of
    /// M values or none) or a 2-D MatMul with a constant [K, M] right operand; an error for
    /// anything else (the step then stays on the SIMD16 GEMM). Measured (`executor-bench fc`):
    /// faster than the SIMD16 GEMM on every FC layer of the five models, batch 1 and 8.
    static func oneDNNInnerProduct(for step: Step, input x: [Int], output y: [Int]) throws -> OneDNNPrimitive {
        let name = step.name
        guard fullyConnectedOnOneDNN else { throw ExecutorError(node: name, reason: "JOULEBENCH_ONEDNN_FC=0") }
        guard x.count == 2, x.allSatisfy({ $0 >= 1 }), step.operands.count >= 2, case .activation = step.operands[0],
              case .constant(let b) = step.operands[1], b.rank == 2 else {
            throw ExecutorError(node: name, reason: "oneDNN inner products take a 2-D activation and a constant 2-D weight")
        }
        let (n, k) = (x[0], x[1])
        var transB = false
        var bias: [Float]? = nil
        switch step.op {
        case .gemm(let transA, let tb, let alpha, let beta):
            guard !transA, alpha == 1 else { throw ExecutorError(node: name, reason: "oneDNN inner products need transA = 0 and alpha = 1") }
            transB = tb
            if step.operands.count > 2, beta != 0 {
                let m = transB ? b.shape[0] : b.shape[1]
                guard case .constant(let c) = step.operands[2], c.elementCount == m, c.shape == [m] || c.shape == [1, m] else {
                    throw ExecutorError(node: name, reason: "oneDNN inner products take a constant per-output bias only")
                }
                bias = beta == 1 ? c.values : c.values.map { beta * $0 }
            }
        case .matMul:
            guard step.operands.count == 2 else { throw ExecutorError(node: name, reason: "MatMul takes two operands") }
        default:
            throw ExecutorError(node: name, reason: "not a fully-connected operator")
        }
        let (kb, m) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard kb == k, y == [n, m] else { throw ExecutorError(node: name, reason: "inner product shapes disagree") }
        // Batch 1 reads the weights in place, on the shim's GEMV (faster than oneDNN's gemm:jit
        // or reordered brgemm there, and no second copy of VGG-16's 0.5 GB of FC weights is
        // ever made); larger batches get them reordered for oneDNN (2.5× faster at batch 8).
        return try OneDNNPrimitive.innerProduct(batch: n, inputs: k, outputs: m, weights: b.values, weightsAreOutputsByInputs: transB,
                                                bias: bias, activation: step.activation, borrowWeights: n == 1, node: name)
    }

    /// Which convolutions the layout pass gives oneDNN's Winograd kernels (F(4×4, 3×3) or
    /// F(2×2, 3×3), oneDNN's choice): plain 3×3, stride 1, no dilation, no groups, when
    /// `convolutionAlgorithm` is `winograd`. `JOULEBENCH_ONEDNN_CONV=direct|winograd`
    /// overrides the default (for A/B runs).
    static let convolutionAlgorithm: OneDNNPrimitive.ConvAlgorithm =
        ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_CONV"].flatMap(OneDNNPrimitive.ConvAlgorithm.init(rawValue:)) ?? .winograd

    /// Whether strided convolutions with a blocked source run as 1×1 convolutions over
    /// gathered patches (`BlockedPatches`). `JOULEBENCH_ONEDNN_PATCHES=0` turns it off (A/B runs).
    static let gatheredPatchesEnabled = ProcessInfo.processInfo.environment["JOULEBENCH_ONEDNN_PATCHES"] != "0"

    static func oneDNNWinogradApplies(to g: ConvGeometry) -> Bool {
        convolutionAlgorithm == .winograd && g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3
            && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
    }
}
