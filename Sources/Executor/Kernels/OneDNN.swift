import CDNNL
import Foundation

/// How a 4-D activation [N, C, H, W] is stored on the oneDNN backend.
enum ActivationLayout: Sendable, Equatable {
    /// Row-major NCHW (what every other kernel and the graph's inputs/outputs use).
    case plain
    /// oneDNN's nChw16c: channel blocks of 16 innermost, C padded to a multiple of 16 with
    /// zeros (the padding is never part of the logical tensor).
    case blocked

    var code: Int32 { self == .blocked ? Int32(JB_LAYOUT_BLOCKED) : Int32(JB_LAYOUT_PLAIN) }
}

/// Float storage whose first element is 64-byte aligned. Swift arrays start 32 bytes after
/// a 16-byte-aligned malloc block (48 bytes into a cache line for every activation-sized
/// array here), so each 64-byte AVX-512 load or store of a oneDNN kernel straddles two cache
/// lines: memory-bound layers ran 10–50 % slower on such buffers (docs/EXECUTOR.md,
/// "Aligned activations"). Confined to one run: written by the primitive that produces it,
/// then read — or, when its slot is dead, added into in place by a fused residual add or
/// rounded in place by a precision study — never by two threads at once.
final class AlignedFloats: @unchecked Sendable {
    /// Bytes: one cache line, the width of an AVX-512 register.
    static let alignment = 64
    let count: Int
    let base: UnsafeMutablePointer<Float>

    /// `count` floats, uninitialised (the producing primitive writes every one). Throws an
    /// `ExecutorError` when the memory is not there (a huge `--input-shape` on a small
    /// machine), rather than trapping as a Swift array allocation would.
    init(uninitializedCount count: Int) throws {
        precondition(count >= 0, "negative float count")
        var raw: UnsafeMutableRawPointer? = nil
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, Self.alignment, bytes) == 0, let raw else {
            throw ExecutorError(node: nil, reason: "out of memory: \(bytes) bytes for an activation of \(count) floats")
        }
        self.count = count
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A copy of `values`.
    convenience init(_ values: [Float]) throws {
        try self.init(uninitializedCount: values.count)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { free(base) }

    var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: base, count: count) }
    /// A copy as an array (tests, and readers outside the oneDNN path).
    var array: [Float] { Array(buffer) }
}

/// The OpenMP team of the calling thread pinned to distinct CPUs for one forward pass
/// (`jb_team_pin_begin`: without it the worker was sometimes woken on its master's CPU and
/// the pair time-shared one core, 2.5-3× slower). `nil` when nothing was pinned; `release`
/// puts the team back on the caller's CPU set.
struct PinnedTeam {
    private let saved: OpaquePointer

    /// Variables with which the user binds OpenMP threads: then nothing is pinned here.
    static let userBindingVariables = ["OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY"]

    /// What the trace's `executor.threadPinning` says: the policy for a session's passes, the
    /// same for every pass of the process. Whether a given pass got the pins (another pinned
    /// pass may be running) is a run circumstance like its time, and left out of the trace.
    static func policyNote(backend: GEMMBackend, threads: Int) -> String {
        let environment = ProcessInfo.processInfo.environment
        if backend != .oneDNN && backend != .simd { return "off: the \(backend.rawValue) backend (OpenBLAS's own threads would inherit one CPU)" }
        if threads < 2 { return "off: one thread" }
        if jb_team_pinning_enabled() != 0 {
            return "on: a pass's \(threads) threads on distinct CPUs (unpinned while another pass of the process holds the pins, or with fewer allowed CPUs than threads)"
        }
        let bound = userBindingVariables.filter { environment[$0] != nil }
        if !bound.isEmpty { return "off: \(bound.joined(separator: ", ")) set (the user binds)" }
        if environment["JOULEBENCH_PIN_THREADS"] == "0" { return "off: JOULEBENCH_PIN_THREADS=0" }
        return "off: oneDNN's OpenMP runtime is not loaded in this process"
    }

    init?(threads: Int) {
        guard let saved = jb_team_pin_begin(Int32(clamping: threads)) else { return nil }
        self.saved = saved
    }

    /// False when the caller's CPU set could not be restored (its allowed set changed under
    /// it, e.g. a cpuset change): the caller stays on one CPU.
    @discardableResult
    func release() -> Bool { jb_team_pin_end(saved) == 0 }
}

/// A 4-D float32 activation in the nChw16c layout: `shape` is the logical [N, C, H, W];
/// `storage` holds N·⌈C/16⌉·16·H·W floats (64-byte aligned), the padding channels zero.
struct BlockedTensor: Sendable {
    let shape: [Int]
    let storage: AlignedFloats

    init(shape: [Int], storage: AlignedFloats) {
        precondition(storage.count == Self.floats(for: shape), "blocked storage does not match \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A copy of `values` (already in nChw16c).
    init(shape: [Int], values: [Float]) throws { self.init(shape: shape, storage: try AlignedFloats(values)) }

    /// The stored floats, padding included (a copy).
    var values: [Float] { storage.array }

    static func floats(for shape: [Int]) -> Int {
        shape[0] * ((shape[1] + 15) / 16) * 16 * shape[2] * shape[3]
    }

    /// Logical elements (padding excluded).
    var elementCount: Int { shape.reduce(1, *) }

    /// Exact zeros among the logical elements only (padding lanes skipped).
    var logicalZeroCount: Int {
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let blocks = (c + 15) / 16
        let v = storage.buffer
        if c % 16 == 0 { return countZeros(v) }
        var zeros = 0
        let tail = c % 16
        for image in 0..<n {
            for block in 0..<blocks {
                let base = (image * blocks + block) * hw * 16
                if block < blocks - 1 {
                    zeros += countZeros(UnsafeBufferPointer(rebasing: v[base..<(base + hw * 16)]))
                } else {
                    for p in 0..<hw { for lane in 0..<tail where v[base + p * 16 + lane] == 0 { zeros += 1 } }
                }
            }
        }
        return zeros
    }
}

/// A source operand of a oneDNN primitive: an array (NCHW tensors, constants) or aligned
/// storage (nChw16c activations).
enum OneDNNSource {
    case array([Float])
    case aligned(AlignedFloats)
}

/// One prepared oneDNN primitive with its constant operands (filters already reordered
/// into oneDNN's chosen layout; the caller's plain copy is not kept). A safe owner of the
/// shim's handle: created once per session step, run any number of times, destroyed with
/// the last reference. oneDNN primitives are reentrant here because every execution
/// brings its own scratchpad (`cdnnl.c`).
final class OneDNNPrimitive: @unchecked Sendable {
    private let handle: OpaquePointer
    let sourceCount: Int
    /// Floats of the output buffer `run` writes.
    let outputFloats: Int
    /// The oneDNN implementation name (e.g. "brg:avx512_core", "jit:avx512_core", "ref:any").
    let implementation: String
    /// OpenMP threads this primitive runs on: `threadCount`, or 1 for work too small to
    /// repay a fork/join of the team (set by the layout pass, `serialWorkLimit`).
    var threads: Int32 = OneDNNPrimitive.threadCount
    /// Constants oneDNN reads in place (borrowed, not copied): kept alive with the primitive.
    private(set) var borrowed: [Float]? = nil
    /// The convolution whose reordered filter this one reads in place: kept alive with it.
    private(set) var weightsOwner: OneDNNPrimitive? = nil
    /// Set for a strided convolution run as a 1×1 convolution over gathered patches
    /// (`BlockedPatches`): its geometry; each run gathers its source first.
    private(set) var gatheredPatches: ConvGeometry? = nil

    /// Bytes of the constants this primitive holds itself (a lent or borrowed filter excluded).
    var constantBytes: Int { jb_op_constant_bytes(handle) }

    private init(_ make: (UnsafeMutablePointer<CChar>, Int) -> OpaquePointer?, sourceCount: Int, outputFloats: Int, node: String) throws {
        var message = [CChar](repeating: 0, count: 256)
        guard let h = message.withUnsafeMutableBufferPointer({ make($0.baseAddress!, $0.count) }) else {
            throw ExecutorError(node: node, reason: message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        handle = h
        self.sourceCount = sourceCount
        self.outputFloats = outputFloats
        implementation = String(cString: jb_op_implementation(h))
    }

    deinit { jb_op_destroy(handle) }

    /// Threads oneDNN's OpenMP runtime uses: the executor's count (2 in the benchmarks).
    static var threadCount: Int32 { Int32(GEMM.threadCount) }

    static var version: String { String(cString: jb_dnnl_version()) }

    /// Whether oneDNN's implementation `name` runs on JIT kernels only: not a scalar
    /// reference kernel ("ref:any"), nor a composition with one inside
    /// ("ref_fused_convolution:any:jit_1x1:avx512_core:jit_dw:avx512_core" is two JIT kernels
    /// run tile by tile, and passes).
    static func runsOnJITKernels(_ name: String) -> Bool {
        !name.hasPrefix("ref:") && !name.contains(":ref:")
    }

    /// True when libdnnl.so.2 loaded and its CPU engine exists.
    static var isAvailable: Bool { version != "unavailable" }

    /// How libdnnl was loaded and the OpenMP wait policy its threads use (`cdnnl.h`).
    static var threadingNote: String { String(cString: jb_dnnl_threading_note()) }

    /// A convolution of geometry `g` reading `source` and writing `destination` layouts;
    /// `accumulate` adds the destination's previous contents before the activation.
    /// `sharingWeightsOf`: a convolution with the same filter whose reordered copy this one
    /// reads in place when oneDNN picks the same filter layout (otherwise `filter` is
    /// reordered into a copy of its own).
    /// A depthwise 3×3 convolution (padding 1) that oneDNN runs inside the convolution before
    /// it, as a post-op: `filter` [C, 1, 3, 3], `bias` C values, then `activation`.
    struct DepthwisePostOp {
        var stride: Int
        var filter: [Float]
        var bias: [Float]
        var activation: FusedActivation
    }

    /// The shim's activation code (`JB_ACT_*`) and clip bounds of `a`.
    static func activationCode(_ a: FusedActivation) -> (code: Int32, lo: Float, hi: Float) {
        switch a {
        case .none: (Int32(JB_ACT_NONE), 0, 0)
        case .relu: (Int32(JB_ACT_RELU), 0, 0)
        case .clip(let lo, let hi): (Int32(JB_ACT_CLIP), lo, hi)
        }
    }

    /// `depthwise`: a depthwise 3×3 convolution fused after this one (its output is then the
    /// primitive's: [N, C, ⌈H/stride⌉, ⌈W/stride⌉]).
    static func convolution(_ g: ConvGeometry, filter: [Float], bias: [Float]?, source: ActivationLayout, destination: ActivationLayout,
                            activation: FusedActivation, accumulate: Bool = false, algorithm: ConvAlgorithm = .direct,
                            sharingWeightsOf owner: OneDNNPrimitive? = nil, depthwise: DepthwisePostOp? = nil,
                            node: String) throws -> OneDNNPrimitive {
        var d = jb_conv_desc()
        d.n = Int32(g.batch); d.c = Int32(g.inChannels); d.h = Int32(g.height); d.w = Int32(g.width)
        d.oc = Int32(g.outChannels); d.kh = Int32(g.kernelHeight); d.kw = Int32(g.kernelWidth); d.groups = Int32(g.groups)
        d.out_h = Int32(g.outHeight); d.out_w = Int32(g.outWidth)
        d.stride_h = Int32(g.strideH); d.stride_w = Int32(g.strideW)
        d.pad_top = Int32(g.padTop); d.pad_left = Int32(g.padLeft); d.pad_bottom = Int32(g.padBottom); d.pad_right = Int32(g.padRight)
        d.dilation_h = Int32(g.dilationH); d.dilation_w = Int32(g.dilationW)
        d.src_layout = source.code; d.dst_layout = destination.code
        (d.activation, d.clip_min, d.clip_max) = activationCode(activation)
        d.accumulate = accumulate ? 1 : 0
        d.algorithm = algorithm.code
        var out = [g.batch, g.outChannels, g.outHeight, g.outWidth]
        if let depthwise {
            guard depthwise.filter.count == g.outChannels * 9, depthwise.bias.count == g.outChannels, [1, 2].contains(depthwise.stride) else {
                throw ExecutorError(node: node, reason: "depthwise post-op: filter, bias or stride do not match \(g.outChannels) channels")
            }
            d.dw_stride = Int32(depthwise.stride)
            (d.dw_activation, d.dw_clip_min, d.dw_clip_max) = activationCode(depthwise.activation)
            out[2] = (g.outHeight + depthwise.stride - 1) / depthwise.stride
            out[3] = (g.outWidth + depthwise.stride - 1) / depthwise.stride
        }
        let primitive = try withExtendedLifetime(owner) {
            d.weights_owner = owner?.handle
            return try OneDNNPrimitive({ err, len in
                filter.withUnsafeBufferPointer { fp in
                    (depthwise?.filter ?? []).withUnsafeBufferPointer { dwf in
                        (depthwise?.bias ?? []).withUnsafeBufferPointer { dwb in
                            d.dw_filter = dwf.baseAddress; d.dw_bias = dwb.baseAddress
                            if let bias { return bias.withUnsafeBufferPointer { bp in jb_conv_create(&d, fp.baseAddress, bp.baseAddress, err, len) } }
                            return jb_conv_create(&d, fp.baseAddress, nil, err, len)
                        }
                    }
                }
            }, sourceCount: 1, outputFloats: floats(out, destination), node: node)
        }
        // Whether or not oneDNN lent the owner's filter, keeping the owner costs nothing (it is
        // a step of the same session).
        primitive.weightsOwner = owner
        return primitive
    }

    /// A strided convolution of geometry `g` (`BlockedPatches.applies`) as a 1×1 convolution
    /// over its gathered patches: reads nChw16c [N, C, H, W] (gathered on every run), writes
    /// `destination`; same result and MACs as the direct convolution.
    static func gatheredPatchConvolution(_ g: ConvGeometry, filter: [Float], bias: [Float]?, destination: ActivationLayout,
                                         activation: FusedActivation, accumulate: Bool = false,
                                         sharingWeightsOf owner: OneDNNPrimitive? = nil, node: String) throws -> OneDNNPrimitive {
        guard BlockedPatches.applies(to: g) else {
            throw ExecutorError(node: node, reason: "not a convolution for gathered patches")
        }
        let primitive = try convolution(BlockedPatches.pointwiseGeometry(of: g), filter: BlockedPatches.rearrangedFilter(filter, g), bias: bias,
                                        source: .blocked, destination: destination, activation: activation, accumulate: accumulate,
                                        sharingWeightsOf: owner, node: node)
        primitive.gatheredPatches = g
        return primitive
    }

    /// oneDNN's convolution algorithm: direct, Winograd (its F(4×4, 3×3) kernels where it
    /// has them; an error otherwise), or oneDNN's own choice.
    enum ConvAlgorithm: String, Sendable {
        case direct, winograd, auto
        var code: Int32 {
            switch self {
            case .direct: Int32(JB_CONV_DIRECT)
            case .winograd: Int32(JB_CONV_WINOGRAD)
            case .auto: Int32(JB_CONV_AUTO)
            }
        }
    }

    enum PoolKind { case max, averageExcludingPadding, averageIncludingPadding }

    static func pooling(_ kind: PoolKind, input x: [Int], output: [Int], kernel: (Int, Int), stride: (Int, Int),
                        pads: (top: Int, left: Int, bottom: Int, right: Int), layout: ActivationLayout, node: String) throws -> OneDNNPrimitive {
        let code: Int32 = switch kind {
        case .max: Int32(JB_POOL_MAX)
        case .averageExcludingPadding: Int32(JB_POOL_AVG_EXCLUDE_PAD)
        case .averageIncludingPadding: Int32(JB_POOL_AVG_INCLUDE_PAD)
        }
        return try OneDNNPrimitive({ err, len in
            jb_pool_create(code, Int32(x[0]), Int32(x[1]), Int32(x[2]), Int32(x[3]), Int32(output[2]), Int32(output[3]),
                           Int32(kernel.0), Int32(kernel.1), Int32(stride.0), Int32(stride.1),
                           Int32(pads.top), Int32(pads.left), Int32(pads.bottom), Int32(pads.right), layout.code, err, len)
        }, sourceCount: 1, outputFloats: floats(output, layout), node: node)
    }

    enum EltwiseKind { case relu, clip(min: Float, max: Float), sigmoid, hardSwish }

    static func eltwise(_ kind: EltwiseKind, shape s: [Int], layout: ActivationLayout, node: String) throws -> OneDNNPrimitive {
        let (code, alpha, beta): (Int32, Float, Float) = switch kind {
        case .relu: (Int32(JB_ELTWISE_RELU), 0, 0)
        case .clip(let lo, let hi): (Int32(JB_ELTWISE_CLIP), lo, hi)
        case .sigmoid: (Int32(JB_ELTWISE_LOGISTIC), 0, 0)
        case .hardSwish: (Int32(JB_ELTWISE_HARDSWISH), 0, 0)
        }
        return try OneDNNPrimitive({ err, len in
            jb_eltwise_create(code, alpha, beta, Int32(s[0]), Int32(s[1]), Int32(s[2]), Int32(s[3]), layout.code, err, len)
        }, sourceCount: 1, outputFloats: floats(s, layout), node: node)
    }

    /// ONNX LRN across channels (odd `size` only).
    static func localResponseNorm(size: Int, alpha: Float, beta: Float, bias: Float, shape s: [Int], layout: ActivationLayout, node: String) throws -> OneDNNPrimitive {
        try OneDNNPrimitive({ err, len in
            jb_lrn_create(Int32(size), alpha, beta, bias, Int32(s[0]), Int32(s[1]), Int32(s[2]), Int32(s[3]), layout.code, err, len)
        }, sourceCount: 1, outputFloats: floats(s, layout), node: node)
    }

    /// Same-shape addition with an optional fused activation.
    static func add(shape s: [Int], layout: ActivationLayout, activation: FusedActivation, node: String) throws -> OneDNNPrimitive {
        let (act, lo, hi) = activationCode(activation)
        return try OneDNNPrimitive({ err, len in
            jb_add_create(Int32(s[0]), Int32(s[1]), Int32(s[2]), Int32(s[3]), layout.code, act, lo, hi, err, len)
        }, sourceCount: 2, outputFloats: floats(s, layout), node: node)
    }

    /// A fully-connected layer: [batch, inputs] → [batch, outputs] = act(x·Wᵀ + bias), both
    /// row-major. `weights` is [outputs, inputs] when `weightsAreOutputsByInputs` (ONNX Gemm
    /// transB = 1), [inputs, outputs] otherwise; reordered once into oneDNN's layout and not
    /// kept, or with `borrowWeights` read in place. `bias` has `outputs` values or is nil.
    /// Batch 1 with `borrowWeights` runs on the shim's own GEMV (`jb_gemv`: it reads cold
    /// weights faster than oneDNN's gemm:jit) unless `shimGEMV` is false (benchmarks, tests)
    /// or JOULEBENCH_ONEDNN_GEMV=0.
    static func innerProduct(batch: Int, inputs: Int, outputs: Int, weights: [Float], weightsAreOutputsByInputs: Bool,
                             bias: [Float]?, activation: FusedActivation, borrowWeights: Bool = false, shimGEMV: Bool = true,
                             node: String) throws -> OneDNNPrimitive {
        guard weights.count == inputs * outputs, bias.map({ $0.count == outputs }) ?? true else {
            throw ExecutorError(node: node, reason: "inner product: weights or bias do not match [\(outputs), \(inputs)]")
        }
        let (act, lo, hi) = activationCode(activation)
        let primitive = try OneDNNPrimitive({ err, len in
            weights.withUnsafeBufferPointer { wp in
                if let bias {
                    return bias.withUnsafeBufferPointer { bp in
                        jb_inner_product_create(Int32(batch), Int32(inputs), Int32(outputs), weightsAreOutputsByInputs ? 1 : 0,
                                                borrowWeights ? 1 : 0, shimGEMV ? 1 : 0, wp.baseAddress, bp.baseAddress, act, lo, hi, err, len)
                    }
                }
                return jb_inner_product_create(Int32(batch), Int32(inputs), Int32(outputs), weightsAreOutputsByInputs ? 1 : 0,
                                               borrowWeights ? 1 : 0, shimGEMV ? 1 : 0, wp.baseAddress, nil, act, lo, hi, err, len)
            }
        }, sourceCount: 1, outputFloats: batch * outputs, node: node)
        // oneDNN (or the GEMV) reads the caller's buffer: this reference keeps it alive (arrays
        // are never mutated in place here, so the storage it saw stays the storage it reads).
        if borrowWeights { primitive.borrowed = weights }
        return primitive
    }

    /// Channel concatenation of inputs [N, channels[i], H, W].
    static func concat(channels: [Int], batch: Int, height: Int, width: Int, layout: ActivationLayout, node: String) throws -> OneDNNPrimitive {
        let c32 = channels.map { Int32($0) }
        return try OneDNNPrimitive({ err, len in
            c32.withUnsafeBufferPointer { jb_concat_create(Int32(c32.count), $0.baseAddress, Int32(batch), Int32(height), Int32(width), layout.code, err, len) }
        }, sourceCount: channels.count, outputFloats: floats([batch, channels.reduce(0, +), height, width], layout), node: node)
    }

    static func reorder(shape s: [Int], from: ActivationLayout, to: ActivationLayout, node: String) throws -> OneDNNPrimitive {
        try OneDNNPrimitive({ err, len in
            jb_reorder_create(Int32(s[0]), Int32(s[1]), Int32(s[2]), Int32(s[3]), from.code, to.code, err, len)
        }, sourceCount: 1, outputFloats: floats(s, to), node: node)
    }

    static func floats(_ shape: [Int], _ layout: ActivationLayout) -> Int {
        layout == .blocked ? BlockedTensor.floats(for: shape) : shape.reduce(1, *)
    }

    /// Runs on `sources` (each in the layout the primitive was made for) into `destination`
    /// (`outputFloats` long; for an accumulating convolution it holds the addend).
    func run(_ sources: [UnsafePointer<Float>], into destination: UnsafeMutablePointer<Float>, node: String) throws {
        precondition(sources.count == sourceCount, "oneDNN primitive takes \(sourceCount) sources")
        if let g = gatheredPatches {
            let patches = try AlignedFloats(uninitializedCount: BlockedPatches.gatheredFloats(g))
            BlockedPatches.gather(g, source: sources[0], destination: patches.base)
            try execute([UnsafePointer(patches.base)], into: destination, node: node)
            return
        }
        try execute(sources, into: destination, node: node)
    }

    private func execute(_ sources: [UnsafePointer<Float>], into destination: UnsafeMutablePointer<Float>, node: String) throws {
        // Stack buffers (no heap allocation per primitive: ~55 of these per MobileNetV2 run).
        let failure: String? = withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: max(sources.count, 1)) { sp in
            for (i, source) in sources.enumerated() { sp[i] = source }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { mp in
                mp[0] = 0
                let status = jb_op_execute(handle, Int32(sources.count), UnsafePointer(sp.baseAddress), destination, threads, mp.baseAddress, mp.count)
                return status == 0 ? nil : String(cString: mp.baseAddress!)
            }
        }
        if let failure { throw ExecutorError(node: node, reason: failure) }
    }

    /// Runs on arrays, allocating the output (`outputFloats` values).
    func run(_ sources: [[Float]], node: String) throws -> [Float] {
        try run(sources.map { .array($0) }, node: node)
    }

    /// Runs into a new array (`outputFloats` values).
    func run(_ sources: [OneDNNSource], node: String) throws -> [Float] {
        var out = [Float](unsafeUninitializedCapacity: outputFloats) { _, n in n = outputFloats }
        try withPointers(sources) { ptrs in
            try out.withUnsafeMutableBufferPointer { try run(ptrs, into: $0.baseAddress!, node: node) }
        }
        return out
    }

    /// Runs into new 64-byte-aligned storage (`outputFloats` values): how a session
    /// produces nChw16c activations.
    func runAligned(_ sources: [OneDNNSource], node: String) throws -> AlignedFloats {
        let out = try AlignedFloats(uninitializedCount: outputFloats)
        try withPointers(sources) { try run($0, into: out.base, node: node) }
        return out
    }
}

/// Borrows base addresses of several sources for one call (aligned storage is kept alive
/// by `sources` for the call's duration).
func withPointers<R>(_ sources: [OneDNNSource], _ body: ([UnsafePointer<Float>]) throws -> R) rethrows -> R {
    // Most primitives read one aligned activation: no recursion, no intermediate arrays.
    if sources.count == 1, case .aligned(let storage) = sources[0] {
        return try withExtendedLifetime(storage) { try body([UnsafePointer(storage.base)]) }
    }
    func step(_ i: Int, _ acc: [UnsafePointer<Float>]) throws -> R {
        if i == sources.count { return try body(acc) }
        switch sources[i] {
        case .array(let a): return try a.withUnsafeBufferPointer { try step(i + 1, acc + [$0.baseAddress!]) }
        case .aligned(let storage): return try withExtendedLifetime(storage) { try step(i + 1, acc + [UnsafePointer(storage.base)]) }
        }
    }
    return try step(0, [])
}
