import Workloads

/// A dense float32 tensor in row-major order (NCHW for images, N×features for flat
/// tensors). A safe value type: the kernels borrow its storage through
/// `withUnsafeBufferPointer` for the duration of one call and never keep the pointer.
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    public var values: [Float]

    /// A tensor holding `values` with `shape`; the counts must agree.
    public init(shape: [Int], values: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ExecutorError(node: nil, reason: "negative extent in shape \(shape)")
        }
        let count = shape.reduce(1, *)
        guard count == values.count else {
            throw ExecutorError(node: nil, reason: "shape \(shape) needs \(count) values, got \(values.count)")
        }
        self.shape = shape; self.values = values
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(shape)")
        self.shape = shape
        self.values = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Internal: a tensor whose storage the caller fills completely before reading.
    init(uninitializedShape shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        self.shape = shape
        let count = shape.reduce(1, *)
        self.values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer); initialized = count
        }
    }

    /// Number of elements (words).
    public var elementCount: Int { values.count }
    public var rank: Int { shape.count }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, values: values)
    }

    /// Fraction of values that are exactly zero (±0), in [0, 1]; 0 for an empty tensor.
    public var zeroFraction: Double { Tensor.zeroFraction(of: values) }

    static func zeroFraction(of values: [Float]) -> Double {
        guard !values.isEmpty else { return 0 }
        let zeros = values.withUnsafeBufferPointer { countZeros($0) }
        return Double(zeros) / Double(values.count)
    }

    /// Indices of the `k` largest values, largest first (ties: lower index first).
    public func topK(_ k: Int) -> [(index: Int, value: Float)] {
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        return order.prefix(k).map { ($0, values[$0]) }
    }
}

/// Counts exact zeros with 16-wide compares (a kernel: the pointer is borrowed).
func countZeros(_ buffer: UnsafeBufferPointer<Float>) -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    let n = buffer.count
    var count = 0
    var i = 0
    let raw = UnsafeRawPointer(base)
    var lanes = SIMD16<Int32>(repeating: 0)
    while i + 16 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        lanes &+= SIMD16<Int32>(repeating: 0).replacing(with: 1, where: v .== SIMD16<Float>(repeating: 0))
        i += 16
    }
    count = Int(lanes.wrappedSum())
    while i < n { if base[i] == 0 { count += 1 }; i += 1 }
    return count
}
