import Foundation
import Testing
import Workloads
@testable import Executor

struct GEMMCase: CustomTestStringConvertible, Sendable {
    var m: Int, n: Int, k: Int, transA: Bool, transB: Bool
    var testDescription: String { "\(m)×\(n)×\(k)\(transA ? " Aᵀ" : "")\(transB ? " Bᵀ" : "")" }
}

let gemmCases: [GEMMCase] = [
    .init(m: 1, n: 1, k: 1, transA: false, transB: false),
    .init(m: 8, n: 32, k: 256, transA: false, transB: false),    // exactly one register tile, one k block
    .init(m: 7, n: 33, k: 5, transA: false, transB: false),      // ragged in m and n
    .init(m: 19, n: 70, k: 300, transA: false, transB: false),   // two k blocks
    .init(m: 130, n: 45, k: 64, transA: true, transB: false),    // two m blocks, split over threads by m
    .init(m: 3, n: 1600, k: 40, transA: false, transB: true),    // two n blocks
    .init(m: 1, n: 50, k: 70, transA: false, transB: true),      // FC at batch 1 (row dot products)
    .init(m: 1, n: 37, k: 20, transA: false, transB: false),
]

@Test(arguments: gemmCases, GEMMBackend.allCases)
func gemmMatchesNaive(_ c: GEMMCase, backend: GEMMBackend) throws {
    if backend == .openBLAS && OpenBLAS.shared == nil { return }
    let a = Naive.tensor(c.transA ? [c.k, c.m] : [c.m, c.k], seed: 1)
    let b = Naive.tensor(c.transB ? [c.n, c.k] : [c.k, c.n], seed: 2)
    let got = try Operators.gemm(a, b, nil, transA: c.transA, transB: c.transB, alpha: 1, beta: 0, backend: backend)
    let want = Naive.gemm(m: c.m, n: c.n, k: c.k,
                          a: { i, p in c.transA ? a.values[p * c.m + i] : a.values[i * c.k + p] },
                          b: { p, j in c.transB ? b.values[j * c.k + p] : b.values[p * c.n + j] })
    #expect(got.shape == [c.m, c.n])
    #expect(Naive.maxError(got.values, want) < 1e-4)
}

/// OpenBLAS is loaded after OPENBLAS_CORETYPE is settled: on an AVX-512 CPU an unset value
/// or `Haswell` (this machine's environment) becomes SkylakeX, and the library reports the
/// kernels it actually loaded.
@Test func openBLASLoadsTheCoreTypeSetBeforeLoading() throws {
    guard let blas = OpenBLAS.shared else { return }
    let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
    if CPUFeatures.hasAVX512F { #expect(coreType?.lowercased() != "haswell") }
    if coreType == "SkylakeX" { #expect(blas.coreName.lowercased() == "skylakex") }
}

/// The hybrid backend routes deep plain pointwise and small-output convolutions to OpenBLAS
/// and keeps the others (and matrix-vector products) on SIMD16.
@Test func hybridRoutesPlainGEMMsToOpenBLAS() throws {
    guard OpenBLAS.shared != nil else { return }
    let pointwise = try ConvGeometry(input: [1, 512, 28, 28], filter: [128, 512, 1, 1], attributes: ConvAttributes(kernel: 1), node: "1x1")
    let shallowPointwise = try ConvGeometry(input: [1, 64, 14, 14], filter: [384, 64, 1, 1], attributes: ConvAttributes(kernel: 1), node: "1x1 k=64")
    let small3x3 = try ConvGeometry(input: [1, 512, 7, 7], filter: [512, 512, 3, 3], attributes: ConvAttributes(kernel: 3, pad: 1), node: "3x3 7x7")
    let large3x3 = try ConvGeometry(input: [1, 3, 224, 224], filter: [64, 3, 7, 7], attributes: ConvAttributes(kernel: 7, stride: 2, pad: 3), node: "stem")
    #expect(ConvolutionKernel.hybridUsesOpenBLAS(pointwise))
    #expect(ConvolutionKernel.hybridUsesOpenBLAS(small3x3))
    #expect(!ConvolutionKernel.hybridUsesOpenBLAS(large3x3))
    #expect(!ConvolutionKernel.hybridUsesOpenBLAS(shallowPointwise))
    #expect(!GEMMBackend.hybridPrefersOpenBLAS(m: 4096, n: 1, k: 25088))   // batch-1 FC: a matrix-vector product
}

@Test func gemmAppliesAlphaBetaAndBroadcastBias() throws {
    let a = Naive.tensor([4, 6], seed: 3), b = Naive.tensor([6, 5], seed: 4), bias = Naive.tensor([5], seed: 5)
    let got = try Operators.gemm(a, b, bias, transA: false, transB: false, alpha: 0.5, beta: 2, activation: .relu)
    let plain = Naive.gemm(m: 4, n: 5, k: 6, a: { a.values[$0 * 6 + $1] }, b: { b.values[$0 * 5 + $1] })
    let want = plain.enumerated().map { max(0, 0.5 * $0.element + 2 * bias.values[$0.offset % 5]) }
    #expect(Naive.maxError(got.values, want) < 1e-5)
}

struct ConvCase: CustomTestStringConvertible, Sendable {
    var n = 1, c: Int, h: Int, w: Int, m: Int, r: Int, s: Int
    var stride = (1, 1), pads = (0, 0, 0, 0), dilation = (1, 1), groups = 1
    var name: String
    var testDescription: String { name }
    var attributes: ConvAttributes { ConvAttributes(kernel: (r, s), stride: stride, pads: pads, dilation: dilation, groups: groups) }

    /// The case's input, filter and bias (from seeds `seed`, `seed + 1`, `seed + 2`) and
    /// their naive convolution.
    func operands(seed: Int) -> (x: Tensor, w: Tensor, bias: Tensor, want: Tensor) {
        let x = Naive.tensor([n, c, h, w], seed: seed)
        let w = Naive.tensor([m, c / groups, r, s], seed: seed + 1)
        let bias = Naive.tensor([m], seed: seed + 2)
        return (x, w, bias, Naive.conv(x, w, bias.values, attributes))
    }
}

let convCases: [ConvCase] = [
    ConvCase(c: 3, h: 11, w: 13, m: 5, r: 3, s: 3, pads: (1, 1, 1, 1), name: "3×3 same"),
    ConvCase(n: 2, c: 3, h: 23, w: 23, m: 6, r: 11, s: 11, stride: (4, 4), name: "AlexNet-like 11×11/4, batch 2"),
    ConvCase(c: 8, h: 9, w: 9, m: 12, r: 1, s: 1, name: "pointwise (direct GEMM)"),
    ConvCase(c: 8, h: 9, w: 9, m: 12, r: 1, s: 1, stride: (2, 2), name: "pointwise stride 2 (im2col)"),
    ConvCase(c: 8, h: 10, w: 7, m: 8, r: 3, s: 3, stride: (2, 1), pads: (1, 0, 2, 1), name: "asymmetric stride and pads"),
    ConvCase(c: 4, h: 12, w: 12, m: 6, r: 3, s: 3, pads: (2, 2, 2, 2), dilation: (2, 2), name: "dilated"),
    ConvCase(c: 8, h: 9, w: 9, m: 6, r: 5, s: 5, pads: (2, 2, 2, 2), groups: 2, name: "grouped (AlexNet groups=2)"),
    ConvCase(c: 16, h: 17, w: 19, m: 16, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 16, name: "depthwise 3×3"),
    ConvCase(c: 16, h: 17, w: 19, m: 16, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), groups: 16, name: "depthwise 3×3 stride 2"),
    ConvCase(c: 8, h: 20, w: 21, m: 8, r: 5, s: 5, pads: (2, 2, 2, 2), groups: 8, name: "depthwise 5×5 (FastDepth)"),
    ConvCase(c: 8, h: 20, w: 21, m: 8, r: 5, s: 5, stride: (2, 2), pads: (2, 1, 2, 2), groups: 8, name: "depthwise 5×5 stride 2, odd padded width"),
    ConvCase(c: 4, h: 12, w: 40, m: 4, r: 3, s: 3, stride: (1, 3), pads: (1, 1, 1, 1), dilation: (2, 2), groups: 4, name: "depthwise stride 3, dilated"),
    ConvCase(c: 4, h: 9, w: 9, m: 8, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 4, name: "depthwise with multiplier 2"),
    ConvCase(c: 2, h: 5, w: 37, m: 40, r: 3, s: 7, stride: (1, 3), pads: (3, 6, 3, 6), name: "padding wider than the stride (empty runs)"),
    ConvCase(c: 3, h: 70, w: 3, m: 9, r: 2, s: 2, pads: (0, 1, 1, 2), dilation: (1, 3), name: "narrow rows, dilation past the edge"),
]

@Test(arguments: convCases)
func convMatchesNaive(_ c: ConvCase) throws {
    let (x, w, bias, want) = c.operands(seed: 7)
    for backend in GEMMBackend.allCases where backend != .openBLAS || OpenBLAS.shared != nil {
        let got = try Operators.conv(x, filter: w, bias: bias, attributes: c.attributes, backend: backend)
        #expect(got.shape == want.shape)
        #expect(Naive.maxError(got.values, want.values) < 1e-4, "\(backend)")
    }
    // With the filter packed ahead, as the session does.
    let packed = try Operators.conv(x, filter: w, winogradFilter: nil, packedFilter: ConvolutionKernel.packedFilter(w, groups: c.groups), bias: bias,
                                    attributes: c.attributes, activation: .none, backend: .simd, node: "c")
    #expect(Naive.maxError(packed.values, want.values) < 1e-4, "packed filter")
    let relu = try Operators.conv(x, filter: w, bias: bias, attributes: c.attributes, activation: .clip(min: 0, max: 0.5))
    #expect(Naive.maxError(relu.values, want.values.map { min(max($0, 0), 0.5) }) < 1e-4)
}

@Test func convBuildsColumnsInTilesWhenTheyExceedTheBudget() throws {
    // 40×40 output pixels × 27 patch rows, with a budget of 300 floats: many column tiles.
    let c = ConvCase(c: 3, h: 40, w: 40, m: 5, r: 3, s: 3, pads: (1, 1, 1, 1), name: "tiled")
    let x = Naive.tensor([1, 3, 40, 40], seed: 10), w = Naive.tensor([5, 3, 3, 3], seed: 11)
    let g = try ConvGeometry(input: x.shape, filter: w.shape, attributes: c.attributes, node: "t")
    for backend in GEMMBackend.allCases where backend != .openBLAS || OpenBLAS.shared != nil {
        var out = [Float](repeating: .nan, count: 5 * 1600)
        x.values.withUnsafeBufferPointer { xp in w.values.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { op in
            ConvolutionKernel.forward(g, input: xp.baseAddress!, filter: wp.baseAddress!, bias: nil, activation: .none, backend: backend,
                                      output: op.baseAddress!, columnBudget: 300)
        } } }
        #expect(Naive.maxError(out, Naive.conv(x, w, nil, c.attributes).values) < 1e-4, "\(backend)")
    }
}

/// Winograd F(2×2,3×3) called directly (the executor only routes ≥ 128-channel layers to
/// it): odd and even output sizes, asymmetric padding, batch 2, and a chunk budget small
/// enough to split the tiles into many row chunks.
@Test(arguments: [
    (ConvCase(n: 2, c: 16, h: 9, w: 11, m: 20, r: 3, s: 3, pads: (1, 1, 1, 1), name: "odd output, batch 2"), 1 << 21),
    (ConvCase(c: 24, h: 10, w: 7, m: 16, r: 3, s: 3, pads: (0, 2, 1, 0), name: "asymmetric pads"), 1 << 21),
    (ConvCase(c: 16, h: 21, w: 19, m: 16, r: 3, s: 3, pads: (1, 1, 1, 1), name: "many chunks"), 16 * 32 * 10),
])
func winogradMatchesNaive(_ c: ConvCase, chunkBudget: Int) throws {
    let x = Naive.tensor([c.n, c.c, c.h, c.w], seed: 17), w = Naive.tensor([c.m, c.c, 3, 3], seed: 18), bias = Naive.tensor([c.m], seed: 19)
    let g = try ConvGeometry(input: x.shape, filter: w.shape, attributes: c.attributes, node: "w")
    let cached = WinogradKernel.transformedFilters(w)
    let want = Naive.conv(x, w, bias.values, c.attributes).values.map { max($0, 0) }
    for useCache in [false, true] {
        var out = [Float](repeating: .nan, count: want.count)
        x.values.withUnsafeBufferPointer { xp in w.values.withUnsafeBufferPointer { wp in bias.values.withUnsafeBufferPointer { bp in
            cached.values.withUnsafeBufferPointer { up in out.withUnsafeMutableBufferPointer { op in
                WinogradKernel.forward(g, input: xp.baseAddress!, filter: wp.baseAddress!, transformedFilter: useCache ? up.baseAddress! : nil,
                                       bias: bp.baseAddress!, activation: .relu, output: op.baseAddress!, chunkBudget: chunkBudget)
            } }
        } } }
        #expect(Naive.maxError(out, want) < 1e-4)
    }
}

@Test func winogradTakesOnlyWideThreeByThreeLayers() throws {
    func geometry(_ c: Int, _ size: Int, stride: Int = 1) throws -> ConvGeometry {
        try ConvGeometry(input: [1, c, size, size], filter: [c, c, 3, 3], attributes: ConvAttributes(kernel: 3, stride: stride, pad: 1), node: "g")
    }
    #expect(try WinogradKernel.applies(to: geometry(256, 56)))
    #expect(try !WinogradKernel.applies(to: geometry(64, 224)))     // too few channels
    #expect(try !WinogradKernel.applies(to: geometry(512, 7)))      // too few tiles
    #expect(try !WinogradKernel.applies(to: geometry(256, 56, stride: 2)))
}

@Test(arguments: [
    (ConvAttributes(kernel: (2, 2), stride: (2, 2)), 4, 3, 1),
    (ConvAttributes(kernel: (3, 3), stride: (2, 2), pads: (1, 1, 1, 1), outputPadding: (1, 1)), 3, 5, 1),
    (ConvAttributes(kernel: (4, 3), stride: (1, 2), pads: (0, 1, 2, 0), groups: 2), 4, 6, 2),
])
func convTransposeMatchesNaive(_ a: ConvAttributes, channels: Int, filtersPerGroup: Int, groups: Int) throws {
    let x = Naive.tensor([1, channels, 5, 6], seed: 12)
    let w = Naive.tensor([channels, filtersPerGroup, a.kernel.height, a.kernel.width], seed: 13)
    let bias = Naive.tensor([filtersPerGroup * groups], seed: 14)
    let got = try Operators.convTranspose(x, filter: w, bias: bias, attributes: a)
    let want = Naive.convTranspose(x, w, bias.values, a)
    #expect(got.shape == want.shape)
    #expect(Naive.maxError(got.values, want.values) < 1e-4)
}

@Test(arguments: [
    PoolAttributes(kernel: 3, stride: 2),
    PoolAttributes(kernel: 2, stride: 2),                             // VGG
    PoolAttributes(kernel: 2, stride: 2, ceilMode: true),
    PoolAttributes(kernel: 3, stride: 2, ceilMode: true),             // Caffe GoogLeNet / AlexNet pools
    PoolAttributes(kernel: 3, stride: 1, pad: 1),
    PoolAttributes(kernel: (2, 3), stride: (2, 2), pads: (0, 1, 1, 1), ceilMode: true, countIncludePad: true),
    PoolAttributes(kernel: (3, 3), stride: (2, 2), pads: (1, 1, 1, 1), countIncludePad: true),
])
func poolingMatchesNaive(_ a: PoolAttributes) throws {
    let x = Naive.tensor([2, 3, 13, 10], seed: 15)
    let max = try Operators.maxPool(x, a), avg = try Operators.averagePool(x, a)
    let wantMax = Naive.pool(x, a, average: false), wantAvg = Naive.pool(x, a, average: true)
    #expect(max.shape == wantMax.shape && avg.shape == wantAvg.shape)
    #expect(max.values == wantMax.values)
    #expect(Naive.maxError(avg.values, wantAvg.values) < 1e-5)
}

@Test func globalPoolsReduceEachPlane() throws {
    let x = Naive.tensor([2, 3, 5, 7], seed: 16)
    let avg = try Operators.globalPool(x, average: true), mx = try Operators.globalPool(x, average: false)
    #expect(avg.shape == [2, 3, 1, 1])
    for plane in 0..<6 {
        let slice = x.values[(plane * 35)..<((plane + 1) * 35)]
        #expect(abs(avg.values[plane] - slice.reduce(0, +) / 35) < 1e-5)
        #expect(mx.values[plane] == slice.max())
    }
}

/// `DepthwiseConv3x3` (the MobileNet kernel) against the naive convolution: ragged widths
/// (rows shorter and longer than one 16-lane vector, flat vectors spanning row ends), stride
/// 2 with even and odd padded widths, asymmetric and zero pads, batch 2, enough planes to
/// split over threads, and every fused activation.
@Test(arguments: [
    ConvCase(c: 3, h: 1, w: 1, m: 3, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 3, name: "1×1 input"),
    ConvCase(c: 2, h: 7, w: 7, m: 2, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 2, name: "7×7 (rows shorter than a vector)"),
    ConvCase(c: 3, h: 14, w: 14, m: 3, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 3, name: "14×14"),
    ConvCase(c: 2, h: 5, w: 17, m: 2, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 2, name: "ragged width 17"),
    ConvCase(n: 2, c: 3, h: 9, w: 33, m: 3, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 3, name: "width 33, batch 2"),
    ConvCase(c: 2, h: 6, w: 19, m: 2, r: 3, s: 3, name: "no padding"),
    ConvCase(c: 2, h: 8, w: 11, m: 2, r: 3, s: 3, pads: (0, 2, 1, 0), groups: 2, name: "asymmetric pads"),
    ConvCase(c: 8, h: 28, w: 28, m: 8, r: 3, s: 3, pads: (1, 1, 1, 1), groups: 8, name: "28×28, two threads"),
    ConvCase(c: 2, h: 7, w: 7, m: 2, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), groups: 2, name: "stride 2, 7×7"),
    ConvCase(c: 2, h: 1, w: 1, m: 2, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), groups: 2, name: "stride 2, 1×1 input"),
    ConvCase(c: 3, h: 16, w: 16, m: 3, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), groups: 3, name: "stride 2, even width"),
    ConvCase(c: 3, h: 13, w: 37, m: 3, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), groups: 3, name: "stride 2, width 37"),
    ConvCase(c: 2, h: 12, w: 12, m: 2, r: 3, s: 3, stride: (2, 2), pads: (0, 0, 1, 1), groups: 2, name: "stride 2, TF-style pads (odd padded width)"),
    ConvCase(c: 2, h: 10, w: 9, m: 2, r: 3, s: 3, stride: (2, 2), groups: 2, name: "stride 2, no padding"),
    ConvCase(n: 2, c: 8, h: 56, w: 56, m: 8, r: 3, s: 3, stride: (2, 2), pads: (1, 1, 1, 1), groups: 8, name: "stride 2, 56×56, batch 2, two threads"),
])
func depthwise3x3MatchesNaive(_ c: ConvCase) throws {
    let groups = c.c
    let attributes = ConvAttributes(kernel: (3, 3), stride: c.stride, pads: c.pads, groups: groups)
    let x = Naive.tensor([c.n, c.c, c.h, c.w], seed: 31), w = Naive.tensor([c.c, 1, 3, 3], seed: 32), bias = Naive.tensor([c.c], seed: 33)
    let g = try ConvGeometry(input: x.shape, filter: w.shape, attributes: attributes, node: "dw")
    #expect(DepthwiseConv3x3.applies(to: g))
    let plain = Naive.conv(x, w, bias.values, attributes).values
    for (activation, apply) in [(FusedActivation.none, { (v: Float) in v }), (.relu, { max($0, 0) }), (.clip(min: 0, max: 0.5), { min(max($0, 0), 0.5) })] {
        var out = [Float](repeating: .nan, count: plain.count)
        x.values.withUnsafeBufferPointer { xp in w.values.withUnsafeBufferPointer { wp in bias.values.withUnsafeBufferPointer { bp in
            out.withUnsafeMutableBufferPointer { op in
                DepthwiseConv3x3.forward(g, input: xp.baseAddress!, filter: wp.baseAddress!, bias: bp.baseAddress!, activation: activation, output: op.baseAddress!)
            }
        } } }
        #expect(Naive.maxError(out, plain.map(apply)) < 1e-4, "\(activation)")
    }
}

@Test func depthwise3x3KernelTakesOnlyUndilatedEqualStrideOneOrTwo() throws {
    func geometry(stride: (Int, Int) = (1, 1), dilation: (Int, Int) = (1, 1), kernel: Int = 3, multiplier: Int = 1) throws -> ConvGeometry {
        try ConvGeometry(input: [1, 4, 9, 9], filter: [4 * multiplier, 1, kernel, kernel],
                         attributes: ConvAttributes(kernel: (kernel, kernel), stride: stride, pads: (1, 1, 1, 1), dilation: dilation, groups: 4), node: "g")
    }
    #expect(try DepthwiseConv3x3.applies(to: geometry()))
    #expect(try DepthwiseConv3x3.applies(to: geometry(stride: (2, 2))))
    #expect(try !DepthwiseConv3x3.applies(to: geometry(stride: (1, 2))))
    #expect(try !DepthwiseConv3x3.applies(to: geometry(stride: (3, 3))))
    #expect(try !DepthwiseConv3x3.applies(to: geometry(dilation: (2, 2))))
    #expect(try !DepthwiseConv3x3.applies(to: geometry(kernel: 5)))
    #expect(try !DepthwiseConv3x3.applies(to: geometry(multiplier: 2)))
}
