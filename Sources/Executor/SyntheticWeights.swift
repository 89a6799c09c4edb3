import Foundation
import Workloads

/// What a constant tensor is for, which decides its synthetic values.
enum WeightRole: Equatable {
    /// Filters and FC weights: He-normal, N(0, 2 / fanIn).
    case filter(fanIn: Int)
    /// Biases and batch-norm shifts and means: zero.
    case zero
    /// Batch-norm scales and variances: one.
    case one
    /// Any other constant operand: N(0, 0.1²).
    case other
}

/// Deterministic synthetic weights: the same (seed, tensor name, shape, role) always gives
/// the same values, on every machine (SplitMix64 + Box–Muller; names hashed with FNV-1a,
/// not Swift's per-process randomised `Hasher`).
enum SyntheticWeights {
    static func values(seed: UInt64, name: String, count: Int, role: WeightRole) -> [Float] {
        switch role {
        case .zero: return [Float](repeating: 0, count: count)
        case .one: return [Float](repeating: 1, count: count)
        case .filter(let fanIn):
            return normal(seed: seed, name: name, count: count, std: (2 / Float(max(fanIn, 1))).squareRoot())
        case .other:
            return normal(seed: seed, name: name, count: count, std: 0.1)
        }
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in s.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    static func normal(seed: UInt64, name: String, count: Int, std: Float) -> [Float] {
        var state = seed ^ fnv1a(name)
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let r = (-2 * log(uniform())).squareRoot(), theta = 2 * Double.pi * uniform()
            out[i] = Float(r * cos(theta)) * std
            if i + 1 < count { out[i + 1] = Float(r * sin(theta)) * std }
            i += 2
        }
        return out
    }
}

