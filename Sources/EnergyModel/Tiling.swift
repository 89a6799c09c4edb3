import Workloads

/// How many times each data type crosses DRAM, from the global-buffer tiling.
struct DRAMTiling: Hashable, Sendable {
    /// Times each weight word is fetched (ISCA 2016's `a` for filters).
    var weightFetches: Double
    /// Input words fetched in all (halo rows of row tiles included), per group.
    var inputWordsFetched: Double
    /// Times each input word is fetched, relative to the unpadded input.
    var inputFetches: Double
    /// Times each output is written to DRAM (`a` for psums; `2a − 1` DRAM accesses).
    var outputPasses: Double
    /// Weight and input words of the first tile (per group, uncompressed): what must
    /// arrive from DRAM before the array can start (the fill of the double-buffered tile
    /// pipeline, which nothing overlaps).
    var firstTileWeightWords = 0.0
    var firstTileInputWords = 0.0
    /// Output words of the last tile (per group, uncompressed): written back after the
    /// array has finished (the pipeline's drain).
    var lastTileOutputWords = 0.0
    /// The chosen tile and loop order, for the report.
    var summary: String
}

/// The smallest buffer tile that feeds one processing pass of the array (a tile smaller
/// than the array's spatial footprint would leave PEs idle). Each extent is clamped to
/// the operator's.
struct TileExtent: Hashable, Sendable {
    var images = 1
    var filters = 1
    var channels = 1
    var rows = 1
}

enum DRAMTiler {
    /// Tile sizes to try for a dimension of `extent`: the whole, and `ceil(extent / k)`.
    static func tiles(_ extent: Int) -> [Int] {
        var result: [Int] = []
        for k in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512] where k <= extent {
            let t = (extent + k - 1) / k
            if result.last != t { result.append(t) }
        }
        if result.last != 1 { result.append(1) }
        return result
    }

    /// The tiling of one group of a convolution-shaped loop nest that minimises DRAM
    /// traffic (weighted by the run-length factors of the activations), over tile sizes of
    /// N, M, C and output rows P and the six orders of the (N·P, M, C) tile loops, subject
    /// to the buffer capacity. Returns `nil` when not even a 1×1×1×1-row tile fits.
    ///
    /// Reuse rule (Timeloop's): a tile is refetched once per iteration of every loop that
    /// is irrelevant to it and sits outside its innermost relevant loop; psums spill to
    /// DRAM when the C loop is outside the innermost N·P / M loop.
    static func tile(
        nest: LoopNest, buffer: StoreValues, inputCompression: Double, outputCompression: Double,
        minimum: TileExtent = TileExtent()
    ) -> DRAMTiling? {
        let N = max(nest.N, 1), P = max(nest.P, 1), Q = max(nest.Q, 1)
        let R = max(nest.R, 1), S = max(nest.S, 1)
        let Mg = max(nest.filtersPerGroup, 1), Cg = max(nest.channelsPerGroup, 1)
        let H = max(nest.H, 1), Win = max(nest.W, 1)
        let sH = max(nest.strideH, 1)
        let effectiveR = max(nest.dilationH, 1) * (R - 1) + 1
        let weightsPerGroup = Double(Mg * Cg * R * S)
        let inputsPerGroup = Double(N * Cg * H * Win)
        let outputsPerGroup = Double(N * Mg * P * Q)

        func inputRows(_ rowsOut: Int) -> Int { min(H, (rowsOut - 1) * sH + effectiveR) }

        struct Choice { var n, m, c, rows, order: Int; var aW, aI, aO, inputWords: Double }
        var best: (cost: Double, choice: Choice)?
        func atLeast(_ extent: Int, _ least: Int) -> [Int] {
            let floor = min(max(least, 1), extent)
            let kept = tiles(extent).filter { $0 >= floor }
            return kept.last == floor ? kept : kept + [floor]
        }
        let mTiles = atLeast(Mg, minimum.filters), cTiles = atLeast(Cg, minimum.channels)
        let nTiles = atLeast(N, minimum.images), pTiles = atLeast(P, minimum.rows)
        // Larger tiles never cost more traffic, so only maximal fitting tiles matter: a
        // loop stops shrinking a dimension once everything inside it fits whole.
        nLoop: for n in nTiles {
            mLoop: for m in mTiles {
                for c in cTiles {
                    // Largest row tile that fits.
                    var rowsOut = 0
                    for p in pTiles where buffer.fits(
                        weights: m * c * R * S, inputs: n * c * inputRows(p) * Win, outputs: n * m * p * Q
                    ) { rowsOut = p; break }
                    if rowsOut == 0 { continue }
                    let tN = Double((N + n - 1) / n), tP = Double((P + rowsOut - 1) / rowsOut)
                    let tM = Double((Mg + m - 1) / m), tC = Double((Cg + c - 1) / c)
                    let tX = tN * tP
                    let rowsFetched = tP * Double(inputRows(rowsOut))
                    let inputWords = Double(N * Cg * Win) * min(rowsFetched, Double(H) * tP)
                    // Orders (outer → inner) over x = N·P, m, c.
                    for order in 0..<6 {
                        let (aW, aI, aO): (Double, Double, Double)
                        switch order {
                        case 0: (aW, aI, aO) = (tX, tM, 1)        // x, m, c
                        case 1: (aW, aI, aO) = (tX, 1, tC)        // x, c, m
                        case 2: (aW, aI, aO) = (tX, tM, 1)        // m, x, c
                        case 3: (aW, aI, aO) = (1, tM, tC)        // m, c, x
                        case 4: (aW, aI, aO) = (tX, 1, tC)        // c, x, m
                        default: (aW, aI, aO) = (1, tM, tC)       // c, m, x
                        }
                        let cost = weightsPerGroup * aW + inputWords * aI * inputCompression
                            + outputsPerGroup * (2 * aO - 1) * outputCompression
                        if best == nil || cost < best!.cost {
                            best = (cost, Choice(n: n, m: m, c: c, rows: rowsOut, order: order, aW: aW, aI: aI, aO: aO,
                                                 inputWords: inputWords))
                        }
                    }
                    if rowsOut == P {
                        // (m, c, all rows) fits: a smaller c is dominated; with all channels a
                        // smaller m is too, and with all filters a smaller n.
                        if c == Cg { if m == Mg { break nLoop } else { break mLoop } }
                        break
                    }
                }
            }
        }
        guard let b = best?.choice else { return nil }
        let names = ["x,m,c", "x,c,m", "m,x,c", "m,c,x", "c,x,m", "c,m,x"]
        return DRAMTiling(
            weightFetches: b.aW, inputWordsFetched: b.inputWords * b.aI,
            inputFetches: b.inputWords * b.aI / max(inputsPerGroup, 1), outputPasses: b.aO,
            firstTileWeightWords: Double(b.m * b.c * R * S), firstTileInputWords: Double(b.n * b.c * inputRows(b.rows) * Win),
            lastTileOutputWords: Double(b.n * b.m * b.rows * Q),
            summary: "tile n=\(b.n) m=\(b.m) c=\(b.c) rows=\(b.rows) order=\(names[b.order])")
    }
}
