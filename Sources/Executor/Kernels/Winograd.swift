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
    /// channels and tiles (two 32-wide panels) for its GEMMs to pay.
    static func applies(to g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.groups == 1 && g.inChannels >= 16 && g.outChannels >= 16
            && ((g.outHeight + 1) / 2) * ((g.outWidth + 1) / 2) >= 2 * SIMDGEMM.nr
    }

    /// Floats of transformed input plus GEMM output held at once (16 MiB): tiles are
    /// processed in chunks so memory stays bounded on large images.
    static let chunkBudget = 1 << 22

    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        activation: FusedActivation, output: UnsafeMutablePointer<Float>, chunkBudget: Int = WinogradKernel.chunkBudget) {
        let m = g.outChannels, c = g.inChannels
        let tilesH = (g.outHeight + 1) / 2, tilesW = (g.outWidth + 1) / 2, tiles = tilesH * tilesW
        let nr = SIMDGEMM.nr
        var chunk = max(nr, chunkBudget / (16 * (c + m)) / nr * nr)
        if chunk >= tiles { chunk = tiles }
        let panelTiles = (chunk + nr - 1) / nr * nr

        // U_ξ = (G g Gᵀ)_ξ as 16 row-major M×C matrices.
        let u = UnsafeMutablePointer<Float>.allocate(capacity: 16 * m * c)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * c * panelTiles)
        let product = UnsafeMutablePointer<Float>.allocate(capacity: 16 * m * chunk)
        defer { u.deallocate(); v.deallocate(); product.deallocate() }
        transformFilters(filter, m: m, c: c, into: u)

        for n in 0..<g.batch {
            let x = input + n * c * g.inPixels
            let y = output + n * m * g.outPixels
            var first = 0
            while first < tiles {
                let count = min(chunk, tiles - first)
                transformInput(g, x, firstTile: first, tileCount: count, tilesW: tilesW, into: v)
                for xi in 0..<16 {
                    SIMDGEMM.multiply(m: m, n: count, k: c, a: MatrixView(u + xi * m * c, ld: c),
                                      packedB: v + xi * c * ((count + nr - 1) / nr * nr), beta: 0, c: product + xi * m * count, ldc: count)
                }
                transformOutput(g, product, firstTile: first, tileCount: count, tilesW: tilesW, bias: bias, activation: activation, into: y)
                first += count
            }
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
    /// image), in panel layout per ξ (k = C rows).
    static func transformInput(_ g: ConvGeometry, _ x: UnsafePointer<Float>, firstTile: Int, tileCount: Int, tilesW: Int,
                               into v: UnsafeMutablePointer<Float>) {
        let c = g.inChannels
        let panelTiles = (tileCount + SIMDGEMM.nr - 1) / SIMDGEMM.nr * SIMDGEMM.nr
        let xiStride = c * panelTiles
        let ranges = splitRange(c, parts: GEMM.threadCount, quantum: 1)
        parallelFor(ranges.count) { part in
            for ch in ranges[part] {
                let plane = x + ch * g.inPixels
                @inline(__always) func row(_ h: Int, _ w0: Int, _ inside: Bool) -> SIMD4<Float> {
                    if inside { return UnsafeRawPointer(plane + h * g.width + w0).loadUnaligned(as: SIMD4<Float>.self) }
                    guard h >= 0 && h < g.height else { return .zero }
                    var r = SIMD4<Float>.zero
                    for j in 0..<4 where w0 + j >= 0 && w0 + j < g.width { r[j] = plane[h * g.width + w0 + j] }
                    return r
                }
                @inline(__always) func store(_ i: Int, _ r: SIMD4<Float>, _ offset: Int) {
                    let base = v + offset + i * 4 * xiStride
                    base[0] = r.x - r.z
                    base[xiStride] = r.y + r.z
                    base[2 * xiStride] = r.z - r.y
                    base[3 * xiStride] = r.y - r.w
                }
                for t in 0..<panelTiles {
                    let offset = SIMDGEMM.packedPanelOffset(row: ch, column: t, k: c)
                    if t >= tileCount {
                        for xi in 0..<16 { v[xi * xiStride + offset] = 0 }
                        continue
                    }
                    let tile = firstTile + t
                    let h0 = (tile / tilesW) * 2 - g.padTop, w0 = (tile % tilesW) * 2 - g.padLeft
                    let inside = w0 >= 0 && w0 + 4 <= g.width
                    let d0 = row(h0, w0, inside && h0 >= 0 && h0 < g.height)
                    let d1 = row(h0 + 1, w0, inside && h0 + 1 >= 0 && h0 + 1 < g.height)
                    let d2 = row(h0 + 2, w0, inside && h0 + 2 >= 0 && h0 + 2 < g.height)
                    let d3 = row(h0 + 3, w0, inside && h0 + 3 >= 0 && h0 + 3 < g.height)
                    // Rows: Bᵀ d; columns: (Bᵀ d) B.
                    store(0, d0 - d2, offset); store(1, d1 + d2, offset); store(2, d2 - d1, offset); store(3, d1 - d3, offset)
                }
            }
        }
    }

    /// Y = Aᵀ M A per tile and filter, plus bias and activation, clipped at the output edge.
    static func transformOutput(_ g: ConvGeometry, _ product: UnsafePointer<Float>, firstTile: Int, tileCount: Int, tilesW: Int,
                                bias: UnsafePointer<Float>?, activation: FusedActivation, into y: UnsafeMutablePointer<Float>) {
        let m = g.outChannels
        let xiStride = m * tileCount
        let ranges = splitRange(m, parts: GEMM.threadCount, quantum: 1)
        parallelFor(ranges.count) { part in
            for f in ranges[part] {
                let b = bias?[f] ?? 0
                let plane = y + f * g.outPixels
                for t in 0..<tileCount {
                    let base = product + f * tileCount + t
                    @inline(__always) func row(_ i: Int) -> SIMD4<Float> {
                        SIMD4(base[(4 * i) * xiStride], base[(4 * i + 1) * xiStride], base[(4 * i + 2) * xiStride], base[(4 * i + 3) * xiStride])
                    }
                    let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
                    // Rows: Aᵀ M; columns: (Aᵀ M) A.
                    let s0 = m0 + m1 + m2, s1 = m1 - m2 - m3
                    let tile = firstTile + t
                    let p0 = (tile / tilesW) * 2, q0 = (tile % tilesW) * 2
                    let last = q0 + 1 < g.outWidth
                    let top = plane + p0 * g.outWidth + q0
                    top[0] = activation.apply(s0.x + s0.y + s0.z + b)
                    if last { top[1] = activation.apply(s0.y - s0.z - s0.w + b) }
                    if p0 + 1 < g.outHeight {
                        let bottom = top + g.outWidth
                        bottom[0] = activation.apply(s1.x + s1.y + s1.z + b)
                        if last { bottom[1] = activation.apply(s1.y - s1.z - s1.w + b) }
                    }
                }
            }
        }
    }
}
