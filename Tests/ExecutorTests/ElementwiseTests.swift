import Foundation
import Testing
import Workloads
@testable import Executor

/// The ONNX definitions, written out.
func unaryReference(_ f: Operators.UnaryFunction, _ x: Float) -> Float {
    switch f {
    case .relu: return max(x, 0)
    case .leakyRelu(let a): return x >= 0 ? x : a * x
    case .clip(let lo, let hi): return min(max(x, lo), hi)
    case .sigmoid: return 1 / (1 + exp(-x))
    case .hardSigmoid(let a, let b): return max(0, min(1, a * x + b))
    case .hardSwish: return x * min(max(x + 3, 0), 6) / 6
    }
}

let unaryFunctions: [Operators.UnaryFunction] = [
    .relu, .leakyRelu(alpha: 0.1), .clip(min: 0, max: 6), .sigmoid, .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish,
]

@Test(arguments: unaryFunctions)
func unaryFunctionsMatchTheirDefinitions(_ f: Operators.UnaryFunction) {
    var x = Naive.tensor([2, 3, 70, 90], seed: 20)   // large enough to be split over threads
    for i in x.values.indices { x.values[i] *= 8 }
    let y = Operators.unary(f, x)
    #expect(y.shape == x.shape)
    #expect(Naive.maxError(y.values, x.values.map { unaryReference(f, $0) }) < 1e-6)
}

@Test(arguments: [
    ([2, 3, 4, 5], [2, 3, 4, 5]),
    ([2, 3, 4, 5], [1, 3, 1, 1]),   // per-channel
    ([2, 3, 4, 5], [5]),
    ([1, 3, 1, 5], [2, 1, 4, 1]),   // both sides broadcast
    ([3, 1], [1]),
])
func binaryBroadcastsLikeNumPy(_ aShape: [Int], _ bShape: [Int]) throws {
    let a = Naive.tensor(aShape, seed: 21), b = Naive.tensor(bShape, seed: 22)
    let rank = max(aShape.count, bShape.count)
    let pa = Array(repeating: 1, count: rank - aShape.count) + aShape, pb = Array(repeating: 1, count: rank - bShape.count) + bShape
    let out = zip(pa, pb).map { max($0, $1) }
    func value(_ t: Tensor, _ shape: [Int], _ index: [Int]) -> Float {
        var offset = 0
        for axis in 0..<rank { offset = offset * shape[axis] + (shape[axis] == 1 ? 0 : index[axis]) }
        return t.values[offset]
    }
    let functions: [(Operators.BinaryFunction, (Float, Float) -> Float)] = [(.add, { $0 + $1 }), (.sub, { $0 - $1 }), (.mul, { $0 * $1 }), (.div, { $0 / $1 })]
    for (f, op) in functions {
        let bSafe = f == .div ? try Tensor(shape: b.shape, values: b.values.map { $0 == 0 ? 1 : $0 }) : b
        let got = try Operators.binary(f, a, bSafe)
        #expect(got.shape == out)
        var index = Array(repeating: 0, count: rank)
        for i in 0..<got.elementCount {
            var rest = i
            for axis in stride(from: rank - 1, through: 0, by: -1) { index[axis] = rest % out[axis]; rest /= out[axis] }
            #expect(got.values[i] == op(value(a, pa, index), value(bSafe, pb, index)))
        }
    }
}

@Test func binaryRefusesShapesThatDoNotBroadcast() {
    #expect(throws: ExecutorError.self) { try Operators.binary(.add, Tensor(shape: [2, 3]), Tensor(shape: [4]), node: "add1") }
    do { _ = try Operators.binary(.add, Tensor(shape: [2, 3]), Tensor(shape: [4]), node: "add1") } catch let e as ExecutorError {
        #expect(e.node == "add1")
    } catch { Issue.record("wrong error \(error)") }
}

@Test func batchNormNormalisesPerChannel() throws {
    let x = Naive.tensor([2, 3, 4, 4], seed: 23)
    let scale = try Tensor(shape: [3], values: [1, 2, 0.5]), bias = try Tensor(shape: [3], values: [0, 1, -1])
    let mean = try Tensor(shape: [3], values: [0.1, -0.2, 0.3]), variance = try Tensor(shape: [3], values: [1, 4, 0.25])
    let y = try Operators.batchNorm(x, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: 1e-5)
    for i in x.values.indices {
        let c = (i / 16) % 3
        let want = (x.values[i] - mean.values[c]) / (variance.values[c] + 1e-5).squareRoot() * scale.values[c] + bias.values[c]
        #expect(abs(y.values[i] - want) < 1e-5)
    }
}

@Test(arguments: [(5, Float(0.75)), (4, 0.75), (1, 0.75), (3, 0.5), (9, 0.75)])
func localResponseNormMatchesONNXDefinition(size: Int, beta: Float) throws {
    let x = Naive.tensor([1, 7, 3, 3], seed: 24)
    let (alpha, bias): (Float, Float) = (1e-1, 2)
    let y = try Operators.localResponseNorm(x, size: size, alpha: alpha, beta: beta, bias: bias)
    for c in 0..<7 { for i in 0..<9 {
        var sum: Float = 0
        for c2 in max(0, c - (size - 1) / 2)...min(6, c + size / 2) { sum += x.values[c2 * 9 + i] * x.values[c2 * 9 + i] }
        let want = x.values[c * 9 + i] / pow(bias + alpha / Float(size) * sum, beta)
        #expect(abs(y.values[c * 9 + i] - want) < 1e-6)
    } }
}

@Test(arguments: [1, -1, 0])
func softmaxSumsToOneAlongItsAxis(axis: Int) throws {
    var x = Naive.tensor([3, 5, 4], seed: 25)
    x.values[0] = 80   // large values must not overflow
    let y = try Operators.softmax(x, axis: axis)
    let a = axis < 0 ? axis + 3 : axis
    let shape = [3, 5, 4]
    let inner = shape[(a + 1)...].reduce(1, *), extent = shape[a], outer = shape[..<a].reduce(1, *)
    for o in 0..<outer { for i in 0..<inner {
        let idx = (0..<extent).map { o * extent * inner + $0 * inner + i }
        #expect(abs(idx.reduce(0) { $0 + y.values[$1] } - 1) < 1e-5)
        let m = idx.map { x.values[$0] }.max()!
        let sum = idx.reduce(0) { $0 + exp(x.values[$1] - m) }
        for j in idx { #expect(abs(y.values[j] - exp(x.values[j] - m) / sum) < 1e-6) }
    } }
}

@Test func concatJoinsAlongAnyAxis() throws {
    let a = Naive.tensor([2, 3, 2, 2], seed: 26), b = Naive.tensor([2, 1, 2, 2], seed: 27)
    let y = try Operators.concat([a, b], axis: 1)
    #expect(y.shape == [2, 4, 2, 2])
    #expect(Array(y.values[0..<12]) == Array(a.values[0..<12]))
    #expect(Array(y.values[12..<16]) == Array(b.values[0..<4]))
    #expect(Array(y.values[16..<28]) == Array(a.values[12..<24]))
    let z = try Operators.concat([a, a], axis: -1)
    #expect(z.shape == [2, 3, 2, 4])
    #expect(throws: ExecutorError.self) { try Operators.concat([a, Tensor(shape: [2, 3, 3, 2])], axis: 1) }
}

@Test func resizeNearestRepeatsPixels() throws {
    let x = try Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
    let y = try Operators.resize(x, mode: .nearest, scaleHeight: 2, scaleWidth: 2)
    #expect(y.values == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
}

@Test func resizeBilinearUsesHalfPixelCentres() throws {
    // PyTorch F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False) on [[1, 2], [3, 4]].
    let x = try Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
    let y = try Operators.resize(x, mode: .bilinear, scaleHeight: 2, scaleWidth: 2)
    let want: [Float] = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]
    #expect(Naive.maxError(y.values, want) < 1e-6)
    let corners = try Operators.resize(x, mode: .bilinearAlignCorners, scaleHeight: 1.5, scaleWidth: 1.5)
    #expect(Naive.maxError(corners.values, [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]) < 1e-6)
}

@Test func reshapeFlattenTransposeAndPad() throws {
    let x = Naive.tensor([2, 3, 4], seed: 28)
    #expect(try Operators.reshape(x, to: [0, -1]).shape == [2, 12])
    #expect(throws: ExecutorError.self) { try Operators.reshape(x, to: [5, -1]) }
    #expect(throws: ExecutorError.self) { try Operators.reshape(x, to: [-1, -1]) }
    #expect(try Operators.flatten(x, axis: 1).shape == [2, 12])
    #expect(try Operators.flatten(x, axis: 0).shape == [1, 24])
    let t = try Operators.transpose(x, perm: [2, 0, 1])
    #expect(t.shape == [4, 2, 3])
    for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(t.values[(k * 2 + i) * 3 + j] == x.values[(i * 3 + j) * 4 + k]) } } }
    let p = try Operators.pad(try Tensor(shape: [1, 2], values: [5, 6]), pads: [1, 0, 0, 2], value: -1)
    #expect(p.shape == [2, 4])
    #expect(p.values == [-1, -1, -1, -1, 5, 6, -1, -1])
    #expect(throws: ExecutorError.self) { try Operators.pad(x, pads: [1, 1], value: 0) }
}

@Test func matMulBroadcastsBatchAxesAndPromotesVectors() throws {
    let a = Naive.tensor([2, 3, 4], seed: 29), b = Naive.tensor([4, 5], seed: 30)
    let y = try Operators.matMul(a, b)
    #expect(y.shape == [2, 3, 5])
    for batch in 0..<2 {
        let want = Naive.gemm(m: 3, n: 5, k: 4, a: { a.values[batch * 12 + $0 * 4 + $1] }, b: { b.values[$0 * 5 + $1] })
        #expect(Naive.maxError(Array(y.values[(batch * 15)..<((batch + 1) * 15)]), want) < 1e-5)
    }
    let v = try Operators.matMul(Naive.tensor([4], seed: 31), b)
    #expect(v.shape == [5])
    #expect(throws: ExecutorError.self) { try Operators.matMul(a, Naive.tensor([3, 5], seed: 1)) }
}

@Test func tensorRefusesMismatchedValueCounts() {
    #expect(throws: ExecutorError.self) { try Tensor(shape: [2, 2], values: [1, 2, 3]) }
    #expect(throws: ExecutorError.self) { try Tensor(shape: [-1, 2], values: []) }
}

@Test func zeroFractionCountsExactZeros() throws {
    let t = try Tensor(shape: [37], values: (0..<37).map { $0 % 3 == 0 ? ($0 % 2 == 0 ? 0 : -0.0) : 1 })
    #expect(t.zeroFraction == 13.0 / 37.0)
}

@Test func emptyTensorsGiveErrorsNotCrashes() {
    let empty = Tensor(shape: [1, 0, 4, 4])
    #expect(throws: ExecutorError.self) { try Operators.conv(empty, filter: Tensor(shape: [2, 0, 3, 3]), bias: nil, attributes: ConvAttributes(kernel: 3)) }
    #expect(throws: ExecutorError.self) { try Operators.maxPool(empty, PoolAttributes(kernel: 2, stride: 2)) }
    #expect(throws: ExecutorError.self) { try Operators.gemm(Tensor(shape: [0, 3]), Tensor(shape: [3, 2]), nil, transA: false, transB: false, alpha: 1, beta: 0) }
    #expect(throws: ExecutorError.self) { try Operators.matMul(Tensor(shape: [2, 0]), Tensor(shape: [0, 2])) }
    #expect(throws: ExecutorError.self) { try Operators.convTranspose(empty, filter: Tensor(shape: [0, 2, 2, 2]), bias: nil, attributes: ConvAttributes(kernel: 2)) }
    #expect(throws: ExecutorError.self) { try Operators.globalPool(empty, average: true) }
    #expect(throws: ExecutorError.self) { try Operators.resize(empty, mode: .nearest, scaleHeight: 2, scaleWidth: 2) }
}
