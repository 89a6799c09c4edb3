import Workloads

/// The number format a session keeps its values in, for precision studies: how many zeros
/// and how much error an integer accelerator's 8- or 16-bit storage would see.
///
/// `int8`/`int16` is simulated (fake) quantization, the usual software method: every weight
/// (convolution filters per output channel; transposed-convolution filters and Gemm/MatMul
/// matrices per tensor) and every activation (per tensor, with a scale taken from each
/// run's own values: dynamic quantization) is rounded to the symmetric integer grid, and the
/// kernels compute in float32 on the rounded values. So the outputs, the measured zero
/// fractions and the trace's bit widths are those of integer storage; the memory footprint
/// and the CPU time are not (the buffers stay float32). Biases, unfolded batch-norm
/// parameters and element-wise constants stay float32, as integer accelerators keep them
/// (biases in their 32-bit accumulators). docs/EXECUTOR.md, "Integer precision studies".
public enum StoragePrecision: String, Sendable, CaseIterable, Codable {
    case float32, int16, int8

    /// Bits of one stored value.
    public var bits: Int {
        switch self {
        case .float32: 32
        case .int16: 16
        case .int8: 8
        }
    }

    /// The largest integer magnitude of the symmetric grid (127 for int8, 32767 for
    /// int16; −128 and −32768 are left out so that the grid is symmetric); nil for float32.
    var largestLevel: Float? {
        switch self {
        case .float32: nil
        case .int16: 32767
        case .int8: 127
        }
    }

    /// How the trace describes it (provenance `executor.precision`).
    var traceNote: String {
        switch self {
        case .float32: "float32"
        default: "\(rawValue): simulated (values rounded to the symmetric \(bits)-bit grid; conv filters per output channel, other weights per tensor, activations per tensor and run; biases and batch-norm parameters float32; kernels compute in float32)"
        }
    }
}

/// Rounding to a symmetric integer grid (the kernel of `StoragePrecision`'s simulation).
enum Quantizer {
    /// Rounds `values` in place to multiples of scale = max|v| / `largestLevel` (to nearest,
    /// ties to even; so every value becomes k · scale with |k| ≤ largestLevel and moves by at
    /// most scale / 2). Returns the scale; 0 when all values are zero, and nothing is changed
    /// when a value is not finite (no grid holds it).
    @discardableResult
    static func roundToGrid(_ values: UnsafeMutableBufferPointer<Float>, largestLevel: Float) -> Float {
        var largest: Float = 0
        for v in values {
            guard v.isFinite else { return .nan }
            largest = max(largest, abs(v))
        }
        guard largest > 0 else { return 0 }
        let scale = largest / largestLevel
        let inverse = 1 / scale
        for i in values.indices {
            let level = min(max((values[i] * inverse).rounded(.toNearestOrEven), -largestLevel), largestLevel)
            values[i] = level * scale
        }
        return scale
    }

    /// `tensor` rounded per slice of its first dimension (per output channel of a filter
    /// [M, C, R, S]) when `perFirstDimension`, otherwise as a whole.
    static func rounded(_ tensor: Tensor, to precision: StoragePrecision, perFirstDimension: Bool) throws -> Tensor {
        guard let level = precision.largestLevel, tensor.elementCount > 0 else { return tensor }
        var values = tensor.values
        let slices = perFirstDimension && tensor.rank > 1 ? tensor.shape[0] : 1
        let sliceLength = tensor.elementCount / max(slices, 1)
        values.withUnsafeMutableBufferPointer { all in
            for s in 0..<slices {
                roundToGrid(UnsafeMutableBufferPointer(rebasing: all[(s * sliceLength)..<((s + 1) * sliceLength)]), largestLevel: level)
            }
        }
        return try Tensor(shape: tensor.shape, values: values)
    }

    /// An activation rounded in place, per tensor: a blocked tensor over its storage
    /// (padding lanes are zero and stay zero), a plain one over its values.
    static func round(_ value: inout SlotValue, to precision: StoragePrecision) {
        guard let level = precision.largestLevel else { return }
        if let blocked = value.blocked {
            roundToGrid(UnsafeMutableBufferPointer(start: blocked.storage.base, count: blocked.storage.count), largestLevel: level)
            // A cached NCHW copy would hold the unrounded values: drop it.
            value.plain = nil
        } else if var plain = value.plain {
            value.plain = nil   // one reference: rounding in place, no copy
            _ = plain.values.withUnsafeMutableBufferPointer { roundToGrid($0, largestLevel: level) }
            value.plain = plain
        }
    }
}
