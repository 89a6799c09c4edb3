/// 3×3, stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray,
/// "Fast Algorithms for Convolutional Neural Networks", CVPR 2016): each 2×2 output tile
/// costs 16 multiplies per (filter, channel) pair instead of 36, i.e. 2.25× fewer MACs.
/// The 16 element-wise products over channels become 16 GEMMs U_ξ[M×C]·V_ξ[C×tiles] on the
/// SIMD backend, with V written straight into the GEMM's panel layout.
///
/// Transforms (Lavin & Gray §4.1): U = G g Gᵀ, V = Bᵀ d B, Y = Aᵀ M A with
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
/// Aᵀ = [1 1 1 0; 0 1 −1 −1].
enum WinogradKernel {
    /// Shapes this kernel takes: 3×3, stride 1, no dilation, one group, and enough
    /// channels (≥ 128: below that the transforms cost more than the MACs they save, as
    /// `executor-bench conv3x3` measured on VGG-16's 64-channel layers) and tiles (two
    /// 32-wide panels) for its GEMMs to pay.
    static func applies(to g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.groups == 1 && g.inChannels >= 128 && g.outChannels >= 128
            && ((g.outHeight + 1) / 2) * ((g.outWidth + 1) / 2) >= 2 * SIMDGEMM.nr
    }

    /// Floats of transformed input plus GEMM output held at once (8 MiB, so a chunk stays in the caches between
    /// the transforms and the GEMMs): tiles are
    /// processed in chunks so memory stays bounded on large images.
    static let chunkBudget = 1 << 21

    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, transformedFilter: UnsafePointer<Float>? = nil,
                        bias: UnsafePointer<Float>?, activation: FusedActivation, output: UnsafeMutablePointer<Float>,
                        chunkBudget: Int = WinogradKernel.chunkBudget) {
        let m = g.outChannels, c = g.inChannels
        let tilesH = (g.outHeight + 1) / 2, tilesW = (g.outWidth + 1) / 2, tiles = tilesH * tilesW
        let nr = SIMDGEMM.nr
        // Whole rows of tiles per chunk, as many as the budget allows (at least one).
        let rowsPerChunk = max(1, min(tilesH, chunkBudget / (16 * (c + m)) / tilesW))
        let chunk = rowsPerChunk * tilesW
        let panelTiles = (chunk + nr - 1) / nr * nr

        let ownFilter: UnsafeMutablePointer<Float>? = transformedFilter == nil ? .allocate(capacity: 16 * m * c) : nil
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * c * panelTiles)
        let product = UnsafeMutablePointer<Float>.allocate(capacity: 16 * m * chunk)
        defer { ownFilter?.deallocate(); v.deallocate(); product.deallocate() }
        if let ownFilter { transformFilters(filter, m: m, c: c, into: ownFilter) }
        let u = transformedFilter ?? UnsafePointer(ownFilter!)

        for n in 0..<g.batch {
            let x = input + n * c * g.inPixels
            let y = output + n * m * g.outPixels
            var firstRow = 0
            while firstRow < tilesH {
                let rowCount = min(rowsPerChunk, tilesH - firstRow)
                let count = rowCount * tilesW
                transformInput(g, x, tileRows: firstRow..<(firstRow + rowCount), tilesW: tilesW, into: v)
                for xi in 0..<16 {
                    SIMDGEMM.multiply(m: m, n: count, k: c, a: MatrixView(u + xi * m * c, ld: c),
                                      packedB: v + xi * c * ((count + nr - 1) / nr * nr), beta: 0, c: product + xi * m * count, ldc: count)
                }
                transformOutput(g, product, firstTile: firstRow * tilesW, tileCount: count, tilesW: tilesW, bias: bias, activation: activation, into: y)
                firstRow += rowCount
            }
        }
        _ = tiles
    }

    /// The 16 transformed filter matrices U_ξ [M×C] for `w` [M, C, 3, 3], as the session
    /// caches them.
    static func transformedFilters(_ w: Tensor) -> Tensor {
        let m = w.shape[0], c = w.shape[1]
        return Tensor(uninitializedShape: [16, m, c]) { out in
            w.values.withUnsafeBufferPointer { transformFilters($0.baseAddress!, m: m, c: c, into: out.baseAddress!) }
        }
    }

    static func transformFilters(_ w: UnsafePointer<Float>, m: Int, c: Int, into u: UnsafeMutablePointer<Float>) {
        let stride = m * c
        for f in 0..<m {
            for ch in 0..<c {
                let g = w + (f * c + ch) * 9
                // Rows of G g (4 rows of 3 taps, padded to SIMD4).
                let g0 = SIMD4<Float>(g[0], g[1], g[2], 0), g1 = SIMD4<Float>(g[3], g[4], g[5], 0), g2 = SIMD4<Float>(g[6], g[7], g[8], 0)
                let rows = (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                // Columns: (G g) Gᵀ.
                @inline(__always) func store(_ i: Int, _ r: SIMD4<Float>) {
                    let base = u + f * c + ch
                    base[(i * 4 + 0) * stride] = r.x
                    base[(i * 4 + 1) * stride] = 0.5 * (r.x + r.y + r.z)
                    base[(i * 4 + 2) * stride] = 0.5 * (r.x - r.y + r.z)
                    base[(i * 4 + 3) * stride] = r.z
                }
                store(0, rows.0); store(1, rows.1); store(2, rows.2); store(3, rows.3)
            }
        }
    }

    /// V_ξ[ch, tile] = (Bᵀ d B)_ξ for the 4×4 input patch d of each tile (zero outside the
    /// image), in panel layout per ξ (k = C rows), for whole rows of tiles. Bᵀ d runs on
    /// four full input rows at once and d B on their even and odd columns, so both stay
    /// contiguous, vectorisable loops.
    static func transformInput(_ g: ConvGeometry, _ x: UnsafePointer<Float>, tileRows: Range<Int>, tilesW: Int,
                               into v: UnsafeMutablePointer<Float>) {
        let c = g.inChannels, nr = SIMDGEMM.nr
        let count = tileRows.count * tilesW
        let panelTiles = (count + nr - 1) / nr * nr
        let xiStride = c * panelTiles
        let span = 2 * tilesW + 2          // input columns the tiles of one row read
        let ranges = splitRange(c, parts: GEMM.threadCount, quantum: 1)
        parallelFor(ranges.count) { part in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * span + 2 * (tilesW + 1) + 16 * tilesW)
            defer { scratch.deallocate() }
            let rows = scratch, combined = scratch + 4 * span
            let even = scratch + 8 * span, odd = even + tilesW + 1, out = odd + tilesW + 1
            for ch in ranges[part] {
                let plane = x + ch * g.inPixels
                for (local, ty) in tileRows.enumerated() {
                    for i in 0..<4 {
                        let row = rows + i * span
                        let h = 2 * ty + i - g.padTop
                        row.update(repeating: 0, count: span)
                        guard h >= 0 && h < g.height else { continue }
                        let from = max(0, g.padLeft), to = min(span, g.width + g.padLeft)   // row[j] = x[h][j − padLeft]
                        if to > from { (row + from).update(from: plane + h * g.width + from - g.padLeft, count: to - from) }
                    }
                    let r0 = rows, r1 = rows + span, r2 = rows + 2 * span, r3 = rows + 3 * span
                    let b0 = combined, b1 = combined + span, b2 = combined + 2 * span, b3 = combined + 3 * span
                    for j in 0..<span {
                        b0[j] = r0[j] - r2[j]; b1[j] = r1[j] + r2[j]; b2[j] = r2[j] - r1[j]; b3[j] = r1[j] - r3[j]
                    }
                    for i in 0..<4 {
                        let b = combined + i * span
                        for t in 0...tilesW { even[t] = b[2 * t] }
                        for t in 0..<tilesW { odd[t] = b[2 * t + 1] }
                        odd[tilesW] = 2 * tilesW + 1 < span ? b[2 * tilesW + 1] : 0
                        let o0 = out + (i * 4) * tilesW, o1 = o0 + tilesW, o2 = o1 + tilesW, o3 = o2 + tilesW
                        for t in 0..<tilesW {
                            o0[t] = even[t] - even[t + 1]; o1[t] = odd[t] + even[t + 1]
                            o2[t] = even[t + 1] - odd[t]; o3[t] = odd[t] - odd[t + 1]
                        }
                    }
                    // Scatter the 16 rows of tiles into the panels (contiguous within a panel).
                    let firstColumn = local * tilesW
                    for xi in 0..<16 {
                        let source = out + xi * tilesW
                        var t = 0
                        while t < tilesW {
                            let column = firstColumn + t
                            let length = min(nr - (column & (nr - 1)), tilesW - t)
                            (v + xi * xiStride + SIMDGEMM.packedPanelOffset(row: ch, column: column, k: c)).update(from: source + t, count: length)
                            t += length
                        }
                    }
                }
                // Zero the columns past the last tile in the last panel.
                for column in count..<panelTiles {
                    for xi in 0..<16 { v[xi * xiStride + SIMDGEMM.packedPanelOffset(row: ch, column: column, k: c)] = 0 }
                }
            }
        }
    }

    /// Y = Aᵀ M A per tile and filter, plus bias and activation, clipped at the output edge.
    /// For one filter the 16 products of consecutive tiles are contiguous, so the transform
    /// runs as vectorisable loops over tiles, then the 2×2 outputs are interleaved into rows.
    static func transformOutput(_ g: ConvGeometry, _ product: UnsafePointer<Float>, firstTile: Int, tileCount: Int, tilesW: Int,
                                bias: UnsafePointer<Float>?, activation: FusedActivation, into y: UnsafeMutablePointer<Float>) {
        let m = g.outChannels
        let xiStride = m * tileCount
        let ranges = splitRange(m, parts: GEMM.threadCount, quantum: 1)
        parallelFor(ranges.count) { part in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * tileCount)
            defer { scratch.deallocate() }
            let y00 = scratch, y01 = scratch + tileCount, y10 = y01 + tileCount, y11 = y10 + tileCount
            for f in ranges[part] {
                let b = bias?[f] ?? 0
                let base = product + f * tileCount
                // Rows: s = Aᵀ M (s0_j = M0j + M1j + M2j, s1_j = M1j − M2j − M3j); columns: s A.
                for t in 0..<tileCount {
                    @inline(__always) func at(_ xi: Int) -> Float { base[xi * xiStride + t] }
                    let s00 = at(0) + at(4) + at(8), s01 = at(1) + at(5) + at(9), s02 = at(2) + at(6) + at(10), s03 = at(3) + at(7) + at(11)
                    let s10 = at(4) - at(8) - at(12), s11 = at(5) - at(9) - at(13), s12 = at(6) - at(10) - at(14), s13 = at(7) - at(11) - at(15)
                    y00[t] = s00 + s01 + s02 + b; y01[t] = s01 - s02 - s03 + b
                    y10[t] = s10 + s11 + s12 + b; y11[t] = s11 - s12 - s13 + b
                }
                let plane = y + f * g.outPixels
                let rows = tileCount / tilesW
                let firstRow = firstTile / tilesW
                for r in 0..<rows {
                    let p0 = (firstRow + r) * 2
                    let top = plane + p0 * g.outWidth
                    let hasBottom = p0 + 1 < g.outHeight
                    for tx in 0..<tilesW {
                        let t = r * tilesW + tx, q0 = 2 * tx
                        top[q0] = activation.apply(y00[t])
                        if q0 + 1 < g.outWidth { top[q0 + 1] = activation.apply(y01[t]) }
                        if hasBottom {
                            top[g.outWidth + q0] = activation.apply(y10[t])
                            if q0 + 1 < g.outWidth { top[g.outWidth + q0 + 1] = activation.apply(y11[t]) }
                        }
                    }
                }
            }
        }
    }
}
