/// A constant tensor met while importing ONNX: an initializer, a `Constant` node, or the
/// folded result of a shape computation (`Shape` → `Gather` → `Concat` …). Integer
/// tensors keep their exact values (they are shapes and indices); float tensors become
/// weights; fills stay unexpanded.
struct ConstantTensor {
    enum Storage {
        case floats([Float])
        case ints([Int64])
        /// Every element has this value (ONNX `ConstantOfShape`).
        case fill(Float)
    }

    var shape: [Int]
    var storage: Storage

    /// Element count (callers have checked the shape against `Graph.maximumTensorElements`).
    var count: Int { shape.reduce(1, *) }

    var isInteger: Bool { if case .ints = storage { true } else { false } }

    /// Above this size constants are not folded element by element: they stay weights.
    static let foldingLimit = 1 << 20

    /// The values as integers (fills and floats truncated), for shapes, axes and indices.
    var ints: [Int64] {
        switch storage {
        case .ints(let v): v
        case .floats(let v): v.map { $0.isFinite ? Int64(max(min($0, 9.0e18), -9.0e18)) : 0 }
        case .fill(let value): Array(repeating: value.isFinite ? Int64(value) : 0, count: count)
        }
    }

    var floats: [Float] {
        switch storage {
        case .ints(let v): v.map(Float.init)
        case .floats(let v): v
        case .fill(let value): Array(repeating: value, count: count)
        }
    }

    /// The tensor as a graph weight.
    var weight: WeightTensor {
        switch storage {
        case .fill(let value): WeightTensor(shape: shape, values: nil, source: .constant(value))
        default: WeightTensor(shape: shape, values: floats, source: .file)
        }
    }

    func withStorage(_ values: [Int64], isInteger: Bool, shape: [Int]) -> ConstantTensor {
        ConstantTensor(shape: shape, storage: isInteger ? .ints(values) : .floats(values.map(Float.init)))
    }

    /// Elements picked by per-axis index lists (the result has `indices[k].count` along
    /// axis k): the common core of Slice and Gather.
    func select(_ indices: [[Int]]) -> ConstantTensor {
        var strides = Array(repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
        var flat: [Int] = [0]
        for (k, list) in indices.enumerated() {
            flat = flat.flatMap { base in list.map { base + $0 * strides[k] } }
        }
        let newShape = indices.map(\.count)
        switch storage {
        case .ints(let v): return ConstantTensor(shape: newShape, storage: .ints(flat.map { v[$0] }))
        case .floats(let v): return ConstantTensor(shape: newShape, storage: .floats(flat.map { v[$0] }))
        case .fill(let value): return ConstantTensor(shape: newShape, storage: .fill(value))
        }
    }

    /// Element-wise arithmetic with NumPy broadcasting; integer when both are.
    static func arithmetic(_ a: ConstantTensor, _ b: ConstantTensor, shape: [Int], _ op: String) -> ConstantTensor? {
        let rank = shape.count
        func strides(_ s: [Int]) -> [Int] {
            let padded = Array(repeating: 1, count: rank - s.count) + s
            var result = Array(repeating: 0, count: rank)
            var step = 1
            for k in stride(from: rank - 1, through: 0, by: -1) {
                result[k] = padded[k] == 1 ? 0 : step
                step *= padded[k]
            }
            return result
        }
        let sa = strides(a.shape), sb = strides(b.shape)
        let total = shape.reduce(1, *)
        var ia = [Int](), ib = [Int]()
        ia.reserveCapacity(total); ib.reserveCapacity(total)
        for linear in 0..<total {
            var rest = linear, offsetA = 0, offsetB = 0
            for k in stride(from: rank - 1, through: 0, by: -1) {
                let i = rest % shape[k]
                rest /= shape[k]
                offsetA += i * sa[k]; offsetB += i * sb[k]
            }
            ia.append(offsetA); ib.append(offsetB)
        }
        if a.isInteger && b.isInteger {
            let x = a.ints, y = b.ints
            var out: [Int64] = []
            for (i, j) in zip(ia, ib) {
                let (p, q) = (x[i], y[j])
                switch op {
                case "Add": out.append(p &+ q)
                case "Sub": out.append(p &- q)
                case "Mul": out.append(p &* q)
                case "Div": guard q != 0 else { return nil }; out.append(p / q)
                default: return nil
                }
            }
            return ConstantTensor(shape: shape, storage: .ints(out))
        }
        let x = a.floats, y = b.floats
        var out: [Float] = []
        for (i, j) in zip(ia, ib) {
            let (p, q) = (x[i], y[j])
            switch op {
            case "Add": out.append(p + q)
            case "Sub": out.append(p - q)
            case "Mul": out.append(p * q)
            case "Div": out.append(p / q)
            default: return nil
            }
        }
        return ConstantTensor(shape: shape, storage: .floats(out))
    }
}
