import Workloads

/// An activation applied to a kernel's output as it is written (fused), so the output is
/// not read back a second time.
public enum FusedActivation: Hashable, Sendable {
    case none
    case relu
    /// Clamp to [min, max] (ReLU6 is `clip(0, 6)`).
    case clip(min: Float, max: Float)

    /// The name recorded in `OperatorShape.fusedActivation`.
    var traceName: String? {
        switch self {
        case .none: return nil
        case .relu: return "relu"
        case .clip(0, 6): return "relu6"
        case .clip: return "clip"
        }
    }

    @inline(__always) func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(x, 0)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        }
    }
}

/// The geometry of a (grouped, strided, padded, dilated) convolution over NCHW tensors,
/// validated once: every extent is positive and the channel counts divide by `groups`.
struct ConvGeometry: Equatable {
    var batch: Int, inChannels: Int, height: Int, width: Int
    var outChannels: Int, kernelHeight: Int, kernelWidth: Int
    var strideH: Int, strideW: Int, dilationH: Int, dilationW: Int
    var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    var groups: Int, outHeight: Int, outWidth: Int

    var inChannelsPerGroup: Int { inChannels / groups }
    var outChannelsPerGroup: Int { outChannels / groups }
    /// GEMM depth per group: (C/groups)·R·S.
    var patchSize: Int { inChannelsPerGroup * kernelHeight * kernelWidth }
    var outPixels: Int { outHeight * outWidth }
    var inPixels: Int { height * width }
    var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }
    var isPlainPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideH == 1 && strideW == 1
            && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
    }

    /// Geometry of `Conv` with input `x` [N, C, H, W] and filters `w` [M, C/groups, R, S].
    init(input x: [Int], filter w: [Int], attributes a: ConvAttributes, node: String) throws {
        guard x.count == 4 else { throw ExecutorError(node: node, reason: "conv input must be NCHW, got shape \(x)") }
        guard w.count == 4 else { throw ExecutorError(node: node, reason: "conv filter must be [M, C/groups, R, S], got \(w)") }
        let g = a.groups
        guard g >= 1, x[1] % g == 0, w[0] % g == 0, w[1] * g == x[1] else {
            throw ExecutorError(node: node, reason: "filter \(w) with groups \(g) does not fit input channels \(x[1])")
        }
        guard w[2] == a.kernel.height, w[3] == a.kernel.width else {
            throw ExecutorError(node: node, reason: "filter \(w) disagrees with kernel \(a.kernel.height)×\(a.kernel.width)")
        }
        try self.init(batch: x[0], inChannels: x[1], height: x[2], width: x[3], outChannels: w[0],
                      attributes: a, outHeight: nil, outWidth: nil, node: node)
    }

    init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, attributes a: ConvAttributes,
         outHeight: Int?, outWidth: Int?, node: String) throws {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels
        kernelHeight = a.kernel.height; kernelWidth = a.kernel.width
        strideH = a.stride.height; strideW = a.stride.width
        dilationH = a.dilation.height; dilationW = a.dilation.width
        padTop = a.pads.top; padLeft = a.pads.left; padBottom = a.pads.bottom; padRight = a.pads.right
        groups = a.groups
        guard kernelHeight >= 1, kernelWidth >= 1, strideH >= 1, strideW >= 1, dilationH >= 1, dilationW >= 1,
              padTop >= 0, padLeft >= 0, padBottom >= 0, padRight >= 0, batch >= 1, height >= 1, width >= 1,
              inChannels >= 1, outChannels >= 1 else {
            throw ExecutorError(node: node, reason: "invalid convolution attributes or input extent")
        }
        self.outHeight = outHeight ?? LoopNest.outputExtent(input: height, filter: kernelHeight, stride: strideH, padBefore: padTop, padAfter: padBottom, dilation: dilationH)
        self.outWidth = outWidth ?? LoopNest.outputExtent(input: width, filter: kernelWidth, stride: strideW, padBefore: padLeft, padAfter: padRight, dilation: dilationW)
        guard self.outHeight >= 1, self.outWidth >= 1 else {
            throw ExecutorError(node: node, reason: "the \(kernelHeight)×\(kernelWidth) window does not fit the padded \(height)×\(width) input")
        }
    }
}

/// Convolution kernels over NCHW float32. `input`, `filter` and `output` are borrowed for
/// the call; `output` must hold N·M·P·Q values.
enum ConvolutionKernel {
    /// Column-buffer budget for im2col, in floats (8 MiB): the patch matrix is built in
    /// column tiles of at most this size, which bounds memory (VGG-16's conv1_2 would need
    /// 115 MB at once) and keeps each tile in cache for the GEMM.
    static let columnBudget = 1 << 21

    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        activation: FusedActivation, backend: GEMMBackend, output: UnsafeMutablePointer<Float>,
                        columnBudget: Int = ConvolutionKernel.columnBudget, winogradFilter: UnsafePointer<Float>? = nil,
                        packedFilter: UnsafePointer<Float>? = nil) {
        if DepthwiseConv3x3.enabled && DepthwiseConv3x3.applies(to: g) {
            DepthwiseConv3x3.forward(g, input: input, filter: filter, bias: bias, activation: activation, output: output)
            return
        }
        if g.isDepthwise && g.outChannelsPerGroup == 1 {
            depthwise(g, input: input, filter: filter, bias: bias, activation: activation, output: output)
            return
        }
        if backend.usesSIMDPaths && WinogradKernel.applies(to: g) {
            WinogradKernel.forward(g, input: input, filter: filter, transformedFilter: winogradFilter, bias: bias, activation: activation, output: output)
            return
        }
        im2colForward(g, input: input, filter: filter, packedFilter: packedFilter, bias: bias, activation: activation, backend: backend,
                      output: output, columnBudget: columnBudget)
    }

    /// The filter of each group as `SIMDGEMM` row panels, group after group (the session
    /// packs constant filters once).
    static func packedFilter(_ w: Tensor, groups: Int) -> Tensor {
        let mg = w.shape[0] / groups, kdim = w.elementCount / max(w.shape[0], 1)
        let stride = (mg + SIMDGEMM.mr - 1) / SIMDGEMM.mr * SIMDGEMM.mr * kdim
        var values: [Float] = []
        values.reserveCapacity(groups * stride)
        w.values.withUnsafeBufferPointer { wp in
            for group in 0..<groups {
                values += SIMDGEMM.packAPanels(MatrixView(wp.baseAddress! + group * mg * kdim, ld: kdim), m: mg, k: kdim)
            }
        }
        return try! Tensor(shape: [groups, stride], values: values)
    }

    /// True when the hybrid backend sends this convolution's GEMM to OpenBLAS (plain
    /// pointwise, or at most `GEMMBackend.hybridOpenBLASMaxPixels` output pixels, and a GEMM
    /// that `GEMMBackend.hybridPrefersOpenBLAS`).
    static func hybridUsesOpenBLAS(_ g: ConvGeometry) -> Bool {
        OpenBLAS.shared != nil && (g.isPlainPointwise || g.outPixels <= GEMMBackend.hybridOpenBLASMaxPixels)
            && GEMMBackend.hybridPrefersOpenBLAS(m: g.outChannelsPerGroup, n: g.outPixels, k: g.patchSize)
    }

    /// Convolution as (tiled) im2col + GEMM, or a direct GEMM for plain pointwise shapes.
    static func im2colForward(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, packedFilter: UnsafePointer<Float>? = nil,
                              bias: UnsafePointer<Float>?,
                              activation: FusedActivation, backend: GEMMBackend, output: UnsafeMutablePointer<Float>, columnBudget: Int) {
        let mg = g.outChannelsPerGroup, cg = g.inChannelsPerGroup, kdim = g.patchSize, pixels = g.outPixels
        let tile: Int = {
            if pixels * kdim <= columnBudget { return pixels }
            return max(64, columnBudget / kdim / 64 * 64)
        }()
        // The SIMD backend takes the patch matrix already in its panel layout; the hybrid
        // one too, except for plain pointwise and small-output GEMMs, which go to OpenBLAS.
        let packed = backend == .simd || (backend == .hybrid && !hybridUsesOpenBLAS(g))
        let panelColumns = (tile + SIMDGEMM.nr - 1) / SIMDGEMM.nr * SIMDGEMM.nr
        let columns: UnsafeMutablePointer<Float>? = g.isPlainPointwise ? nil : .allocate(capacity: kdim * panelColumns)
        defer { columns?.deallocate() }
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                let x = input + (n * g.inChannels + group * cg) * g.inPixels
                let y = output + (n * g.outChannels + group * mg) * pixels
                let a = MatrixView(filter + group * mg * kdim, ld: kdim)
                // Packed filters only serve the SIMD backend.
                let panels = packed ? packedFilter.map { $0 + group * ((mg + SIMDGEMM.mr - 1) / SIMDGEMM.mr * SIMDGEMM.mr) * kdim } : nil
                if let columns {
                    var start = 0
                    while start < pixels {
                        let count = min(tile, pixels - start)
                        if packed {
                            im2col(g, channels: cg, input: x, firstPixel: start, pixelCount: count, into: columns, panels: true)
                            SIMDGEMM.multiply(m: mg, n: count, k: kdim, a: a, aPanels: panels, packedB: columns, beta: 0, c: y + start, ldc: pixels)
                        } else {
                            im2col(g, channels: cg, input: x, firstPixel: start, pixelCount: count, into: columns, panels: false)
                            GEMM.multiply(backend: backend, m: mg, n: count, k: kdim, a: a, b: MatrixView(columns, ld: count),
                                          beta: 0, c: y + start, ldc: pixels)
                        }
                        start += count
                    }
                } else if let panels {
                    SIMDGEMM.multiply(m: mg, n: pixels, k: kdim, aPanels: panels, b: MatrixView(x, ld: g.inPixels), beta: 0, c: y, ldc: pixels)
                } else {
                    GEMM.multiply(backend: backend, m: mg, n: pixels, k: kdim, a: a, b: MatrixView(x, ld: g.inPixels),
                                  beta: 0, c: y, ldc: pixels)
                }
            }
            biasAndActivation(output + n * g.outChannels * pixels, channels: g.outChannels, pixels: pixels, bias: bias, activation: activation)
        }
    }

    /// Adds the per-channel bias and applies the activation in place over [channels, pixels].
    static func biasAndActivation(_ y: UnsafeMutablePointer<Float>, channels: Int, pixels: Int, bias: UnsafePointer<Float>?, activation: FusedActivation) {
        if bias == nil && activation == .none { return }
        let ranges = splitRange(channels, parts: channels * pixels > 1 << 15 ? GEMM.threadCount : 1, quantum: 1)
        parallelFor(ranges.count) { t in
            for m in ranges[t] {
                let b = bias?[m] ?? 0
                let row = y + m * pixels
                switch activation {
                case .none: for i in 0..<pixels { row[i] += b }
                case .relu: for i in 0..<pixels { row[i] = max(row[i] + b, 0) }
                case .clip(let lo, let hi): for i in 0..<pixels { row[i] = min(max(row[i] + b, lo), hi) }
                }
            }
        }
    }

    /// Writes the patch matrix rows (c, r, s) × output pixels [firstPixel, firstPixel + pixelCount)
    /// for `channels` input channels starting at `input`; padded cells are zero. Row-major
    /// (`panels == false`) or in `SIMDGEMM`'s panel layout, the unused columns of the
    /// last panel zeroed.
    static func im2col(_ g: ConvGeometry, channels: Int, input: UnsafePointer<Float>, firstPixel: Int, pixelCount: Int,
                       into out: UnsafeMutablePointer<Float>, panels: Bool) {
        let rs = g.kernelHeight * g.kernelWidth
        let rows = channels * rs
        if panels {
            im2colPanels(g, rows: rows, input: input, firstPixel: firstPixel, pixelCount: pixelCount, into: out)
            return
        }
        let ranges = splitRange(rows, parts: rows * pixelCount > 1 << 15 ? GEMM.threadCount : 1, quantum: 1)
        parallelFor(ranges.count) { t in
            for row in ranges[t] {
                let c = row / rs, r = (row % rs) / g.kernelWidth, s = row % g.kernelWidth
                let plane = input + c * g.inPixels
                let dst = out + row * pixelCount
                var p = firstPixel / g.outWidth, q = firstPixel % g.outWidth
                var i = 0
                while i < pixelCount {
                    let run = min(pixelCount - i, g.outWidth - q)
                    let h = p * g.strideH + r * g.dilationH - g.padTop
                    if h < 0 || h >= g.height {
                        (dst + i).update(repeating: 0, count: run)
                    } else {
                        let source = plane + h * g.width
                        let w0 = q * g.strideW + s * g.dilationW - g.padLeft
                        if g.strideW == 1 && w0 >= 0 && w0 + run <= g.width {
                            (dst + i).update(from: source + w0, count: run)
                        } else {
                            for j in 0..<run {
                                let w = w0 + j * g.strideW
                                dst[i + j] = (w >= 0 && w < g.width) ? source[w] : 0
                            }
                        }
                    }
                    i += run; p += 1; q = 0
                }
            }
        }
    }

    static func im2colPanels(_ g: ConvGeometry, rows: Int, input: UnsafePointer<Float>, firstPixel: Int, pixelCount: Int,
                             into out: UnsafeMutablePointer<Float>) {
        let rs = g.kernelHeight * g.kernelWidth
        let nr = SIMDGEMM.nr
        let ranges = splitRange(rows, parts: rows * pixelCount > 1 << 15 ? GEMM.threadCount : 1, quantum: 1)
        parallelFor(ranges.count) { t in
            for row in ranges[t] {
                let c = row / rs, r = (row % rs) / g.kernelWidth, s = row % g.kernelWidth
                let plane = input + c * g.inPixels
                /// Writes `count` values for columns [i, i + count) from `source` (stride `step`, or zeros when nil).
                @inline(__always) func put(_ i: Int, _ count: Int, _ source: UnsafePointer<Float>?, _ step: Int) {
                    var j = 0
                    while j < count {
                        let column = i + j
                        let lane = column & (nr - 1)
                        let length = min(nr - lane, count - j)
                        let dst = out + SIMDGEMM.packedPanelOffset(row: row, column: column, k: rows)
                        if let source {
                            if step == 1 { dst.update(from: source + j, count: length) } else { for l in 0..<length { dst[l] = source[(j + l) * step] } }
                        } else {
                            dst.update(repeating: 0, count: length)
                        }
                        j += length
                    }
                }
                var p = firstPixel / g.outWidth, q = firstPixel % g.outWidth
                var i = 0
                while i < pixelCount {
                    let run = min(pixelCount - i, g.outWidth - q)
                    let h = p * g.strideH + r * g.dilationH - g.padTop
                    if h < 0 || h >= g.height {
                        put(i, run, nil, 0)
                    } else {
                        let source = plane + h * g.width
                        let w0 = q * g.strideW + s * g.dilationW - g.padLeft
                        // Columns whose input column is left of, inside, or right of the row.
                        let firstInside = w0 >= 0 ? 0 : min(run, (-w0 + g.strideW - 1) / g.strideW)
                        let lastInside = w0 > g.width - 1 ? firstInside : min(run, max(firstInside, (g.width - 1 - w0) / g.strideW + 1))
                        if firstInside > 0 { put(i, firstInside, nil, 0) }
                        if lastInside > firstInside {
                            put(i + firstInside, lastInside - firstInside, source + w0 + firstInside * g.strideW, g.strideW)
                        }
                        if run > lastInside { put(i + lastInside, run - lastInside, nil, 0) }
                    }
                    i += run; p += 1; q = 0
                }
                // Zero the columns past the end of the last panel.
                let padded = (pixelCount + nr - 1) / nr * nr
                if padded > pixelCount { put(pixelCount, padded - pixelCount, nil, 0) }
            }
        }
    }

    /// Depthwise convolution (one filter per channel): direct, on a zero-padded copy of each
    /// plane, 16 output columns at a time. For horizontal stride 2 the padded rows are split
    /// into even and odd columns first, so every tap is again a unit-stride row update.
    static func depthwise(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          activation: FusedActivation, output: UnsafeMutablePointer<Float>) {
        let paddedH = g.height + g.padTop + g.padBottom, paddedW = g.width + g.padLeft + g.padRight
        let split = g.strideW == 2
        let halfW = (paddedW + 1) / 2
        let planes = g.batch * g.inChannels
        let ranges = splitRange(planes, parts: planes * g.outPixels * g.kernelHeight * g.kernelWidth > 1 << 15 ? GEMM.threadCount : 1, quantum: 1)
        // Rows are updated 16 lanes at a time over the width rounded up to 16; the buffers
        // carry that much slack so the extra lanes read zeros (and are never stored).
        let lanes = (g.outWidth + 15) / 16 * 16
        let slack = lanes * max(g.strideW, 1) + 16
        parallelFor(ranges.count) { t in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedH * paddedW + slack)
            let phases = UnsafeMutablePointer<Float>.allocate(capacity: split ? 2 * paddedH * halfW + slack : 1)
            let row = UnsafeMutablePointer<Float>.allocate(capacity: lanes)
            defer { padded.deallocate(); phases.deallocate(); row.deallocate() }
            padded.initialize(repeating: 0, count: paddedH * paddedW + slack)
            if split { phases.initialize(repeating: 0, count: 2 * paddedH * halfW + slack) }
            for plane in ranges[t] {
                let c = plane % g.inChannels
                let x = input + plane * g.inPixels
                for h in 0..<g.height {
                    (padded + (h + g.padTop) * paddedW + g.padLeft).update(from: x + h * g.width, count: g.width)
                }
                if split {
                    // phases[φ][h][j] = padded[h][2j + φ]
                    for h in 0..<paddedH {
                        let source = padded + h * paddedW
                        let even = phases + h * halfW, odd = phases + (paddedH + h) * halfW
                        for j in 0..<halfW { even[j] = source[2 * j] }
                        for j in 0..<(paddedW / 2) { odd[j] = source[2 * j + 1] }
                    }
                }
                let w = filter + c * g.kernelHeight * g.kernelWidth
                let b = bias?[c] ?? 0
                let y = output + plane * g.outPixels
                for p in 0..<g.outHeight {
                    if g.strideW == 1 || split {
                        // 16 output columns at a time, every tap accumulated in a register.
                        var chunk = 0
                        while chunk < lanes {
                            var acc = SIMD16<Float>(repeating: b)
                            for r in 0..<g.kernelHeight {
                                let h = p * g.strideH + r * g.dilationH
                                for s in 0..<g.kernelWidth {
                                    let column = s * g.dilationW
                                    // With stride 2, input column 2q + column lives in phase (column & 1) at q + column / 2.
                                    let source = split ? phases + ((column & 1) * paddedH + h) * halfW + column / 2 + chunk
                                                       : padded + h * paddedW + column + chunk
                                    acc = acc.addingProduct(SIMD16(repeating: w[r * g.kernelWidth + s]),
                                                            UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Float>.self))
                                }
                            }
                            UnsafeMutableRawPointer(row + chunk).storeBytes(of: acc, as: SIMD16<Float>.self)
                            chunk += 16
                        }
                    } else {
                        row.update(repeating: b, count: lanes)
                        for r in 0..<g.kernelHeight {
                            let h = p * g.strideH + r * g.dilationH
                            for s in 0..<g.kernelWidth {
                                let weight = w[r * g.kernelWidth + s]
                                let start = padded + h * paddedW + s * g.dilationW
                                for q in 0..<g.outWidth { row[q] += weight * start[q * g.strideW] }
                            }
                        }
                    }
                    let target = y + p * g.outWidth
                    switch activation {
                    case .none: target.update(from: row, count: g.outWidth)
                    case .relu: for q in 0..<g.outWidth { target[q] = max(row[q], 0) }
                    case .clip(let lo, let hi): for q in 0..<g.outWidth { target[q] = min(max(row[q], lo), hi) }
                    }
                }
            }
        }
    }

    /// y[i] += a · x[i] for i in 0..<n (16 lanes at a time).
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let va = SIMD16<Float>(repeating: a)
        let xr = UnsafeRawPointer(x), yr = UnsafeMutableRawPointer(y)
        while i + 16 <= n {
            let v = yr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                .addingProduct(va, xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            yr.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// Transposed convolution (ONNX `ConvTranspose`): per group, columns = Wᵀ·X by GEMM,
    /// then scattered (col2im) into the output. `g` describes the *forward* direction seen
    /// from the output: `inChannels`/`height`/`width` are X's, `outChannels` is M,
    /// `outHeight`/`outWidth` the transposed output's extent.
    static func transposed(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           backend: GEMMBackend, output: UnsafeMutablePointer<Float>) {
        let cg = g.inChannelsPerGroup, mg = g.outChannelsPerGroup, rs = g.kernelHeight * g.kernelWidth
        let rows = mg * rs
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: rows * g.inPixels)
        defer { columns.deallocate() }
        let outPixels = g.outPixels
        for n in 0..<g.batch {
            let y = output + n * g.outChannels * outPixels
            y.update(repeating: 0, count: g.outChannels * outPixels)
            for group in 0..<g.groups {
                let x = input + (n * g.inChannels + group * cg) * g.inPixels
                // Filter block of this group: [cg, mg·R·S] row-major; we need its transpose.
                let w = filter + group * cg * rows
                GEMM.multiply(backend: backend, m: rows, n: g.inPixels, k: cg, a: MatrixView(w, ld: rows, transposed: true),
                              b: MatrixView(x, ld: g.inPixels), beta: 0, c: columns, ldc: g.inPixels)
                for row in 0..<rows {
                    let m = row / rs, r = (row % rs) / g.kernelWidth, s = row % g.kernelWidth
                    let plane = y + (group * mg + m) * outPixels
                    let source = columns + row * g.inPixels
                    for h in 0..<g.height {
                        let oh = h * g.strideH + r * g.dilationH - g.padTop
                        if oh < 0 || oh >= g.outHeight { continue }
                        for wi in 0..<g.width {
                            let ow = wi * g.strideW + s * g.dilationW - g.padLeft
                            if ow >= 0 && ow < g.outWidth { plane[oh * g.outWidth + ow] += source[h * g.width + wi] }
                        }
                    }
                }
            }
            biasAndActivation(y, channels: g.outChannels, pixels: outPixels, bias: bias, activation: .none)
        }
    }
}
