import Workloads

/// The five dataflows of Chen, Emer, Sze, ISCA 2016 (Sections IV–V): what each PE keeps
/// in its register file decides how often every word crosses every level.
public enum Dataflow: String, Codable, CaseIterable, Hashable, Sendable {
    /// Row-stationary (Eyeriss): a filter row, an ifmap sliding window and a row of psums
    /// per PE; filter rows multicast horizontally, ifmap rows diagonally, psums accumulated
    /// vertically.
    case rs
    /// Weight-stationary: one weight per PE for all its uses; ifmaps broadcast across the
    /// filter columns, psums reduced down the columns through the array.
    case ws
    /// Output-stationary (ShiDianNao-like): one psum per PE until complete; weights
    /// broadcast, ifmaps forwarded between neighbours.
    case os
    /// Input-stationary: one input activation per PE for all its uses; weights broadcast,
    /// psums reduced across channels on the array.
    case `is`
    /// No local reuse (DianNao-like): no RF; ifmaps multicast across filters, psums reduced
    /// across channels, every weight read from the global buffer.
    case nlr

    /// Whether the dataflow keeps data in the PE register files.
    public var usesRegisterFile: Bool { self != .nlr }
}

/// Reuse factors of one data type in the notation of ISCA 2016, Section VI-A: a word is
/// fetched `a` times from DRAM, read `a·b` times from the global buffer, delivered `a·b·c`
/// times over the array and used `a·b·c·d` times from the RF. Here `array` is `c` and
/// `registerFile` is `d`; `a` comes from the DRAM tiling and `b` follows from the total
/// reuse.
struct Reuse: Hashable, Sendable {
    var array: Double
    var registerFile: Double
}

/// How an operator sits on the PE array under one dataflow.
struct ArrayMapping: Hashable, Sendable {
    var weights: Reuse
    var inputs: Reuse
    var outputs: Reuse
    /// Peak PEs busy at once (the figure the Eyeriss chip reports as "active PEs").
    var activePEs: Int
    /// Mean PEs busy over the passes (ragged last passes included): the divisor of cycles.
    var meanActivePEs: Double
    /// Which data types the dataflow keeps in the RF.
    var keptInRF: Set<DataType>
    /// Human-readable mapping parameters (for example `p=16 q=1 n=1 sets=1`).
    var summary: String
    /// The buffer tile one processing pass needs (the minimum DRAM tile).
    var passTile = TileExtent()
}

/// Capacity of a store (the per-PE RF or the global buffer) in values of the data
/// precision, per data type; all zero for a level that is absent.
struct StoreValues {
    var weights: Int
    var inputs: Int
    var outputs: Int
    /// Set when one pool serves all data types.
    var shared: Int?

    init(level: LevelSpec?, precisionBits: Int) {
        guard let level, let capacity = level.capacity else {
            weights = 0; inputs = 0; outputs = 0; shared = nil; return
        }
        let perWord = Double(level.wordBits) / Double(precisionBits)
        func values(_ words: Int) -> Int { Int((Double(words) * perWord).rounded(.down)) }
        switch capacity {
        case .shared(let words):
            shared = values(words); weights = shared!; inputs = shared!; outputs = shared!
        case .partitioned(let w, let i, let o):
            shared = nil; weights = values(w); inputs = values(i); outputs = values(o)
        }
    }

    func fits(weights w: Int, inputs i: Int, outputs o: Int) -> Bool {
        if let shared { return w + i + o <= shared }
        return w <= weights && i <= inputs && o <= outputs
    }
}

/// Candidate counts for small mapping searches: dense at the low end, sparse above.
let mappingCandidates: [Int] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64]

enum ArrayMapper {
    /// Maps a convolution-shaped loop nest (per group: `Mg`, `Cg`) on the array.
    /// `hasNoC == false` forces all array reuse to 1 (every delivery is a buffer read).
    static func map(
        _ dataflow: Dataflow, nest: LoopNest, rows: Int, columns: Int, rf: StoreValues, hasNoC: Bool
    ) -> ArrayMapping {
        let N = max(nest.N, 1), P = max(nest.P, 1), Q = max(nest.Q, 1)
        let R = max(nest.R, 1), S = max(nest.S, 1)
        let Mg = max(nest.filtersPerGroup, 1), Cg = max(nest.channelsPerGroup, 1), G = max(nest.groups, 1)
        let sH = Double(max(nest.strideH, 1)), sW = Double(max(nest.strideW, 1))
        let pes = rows * columns
        let macs = Double(N * Mg * Cg * P * Q * R * S)
        let weightUse = Double(N * P * Q)
        let outputUse = Double(Cg * R * S)
        let inputWords = Double(N * Cg * max(nest.H, 1) * max(nest.W, 1))
        let inputUse = max(1, macs / max(inputWords, 1))
        var mapping: ArrayMapping

        switch dataflow {
        case .rs:
            // PE primitive (ISCA 2016 §V-A): a 1-D convolution of a filter row (S weights)
            // with an ifmap row; p filters, q channels and n images interleaved in the RF.
            var best: (p: Int, q: Int, n: Int, cost: Double) = (1, 1, 1, .infinity)
            let window = min(S, max(rf.inputs, 1))
            for p in mappingCandidates where p <= Mg {
                for q in mappingCandidates where q <= Cg {
                    for n in mappingCandidates where n <= N {
                        guard rf.fits(weights: p * q * S, inputs: n * q * window, outputs: p * n) else { continue }
                        let dW = Double(Q * n), dI = Double(p) * Double(window) / sW, dO = Double(q * S)
                        let cost = 1 / dW + 1 / dI + 2 / dO
                        if cost < best.cost { best = (p, q, n, cost) }
                    }
                }
            }
            // Logical PE set: R rows × P columns (one output row per column), folded onto
            // the physical array (JSSC 2017 §III-B).
            let rSet = min(R, rows)
            let slots = max(rows / rSet, 1)
            var sets: Int, peak: Int, mean: Double
            if P <= columns {
                sets = slots * max(columns / P, 1)
                peak = rSet * P; mean = Double(peak)
            } else {
                let strips = (P + columns - 1) / columns
                if strips <= slots {
                    sets = slots / strips
                    peak = rSet * P; mean = Double(peak)
                } else {
                    sets = 1
                    peak = rSet * columns * slots
                    // Passes of `slots` strips; the last strip is ragged.
                    let passes = (strips + slots - 1) / slots
                    mean = Double(rSet * P) / Double(passes)
                }
            }
            // Replicate sets over filters first (ifmap multicast), then channels (psum
            // accumulation across sets), then images and groups.
            let filterPasses = (Mg + best.p - 1) / best.p
            let channelPasses = (Cg + best.q - 1) / best.q
            let tm = min(sets, filterPasses)
            let tc = min(max(sets / tm, 1), channelPasses)
            let tn = min(max(sets / (tm * tc), 1), ((N + best.n - 1) / best.n) * G)
            let used = tm * tc * tn
            peak *= used; mean *= Double(used)
            let dW = min(Double(Q * best.n), weightUse)
            let dI = min(max(1, Double(best.p) * Double(window) / sW), inputUse)
            let dO = min(Double(best.q * S), outputUse)
            mapping = ArrayMapping(
                weights: Reuse(array: Double(P), registerFile: dW),
                inputs: Reuse(array: max(1, Double(rSet) / sH) * Double(tm), registerFile: dI),
                outputs: Reuse(array: Double(rSet * tc), registerFile: dO),
                activePEs: peak, meanActivePEs: mean, keptInRF: [.weights, .inputs, .outputs],
                summary: "p=\(best.p) q=\(best.q) n=\(best.n) set=\(rSet)x\(P) sets=\(used)",
                // Spatial footprint only: the output rows across the columns and the sets'
                // filters/channels; p, q, n are interleaved in time and may be split.
                passTile: TileExtent(filters: tm, channels: tc, rows: min(P, columns * slots)))

        case .ws:
            let reduction = min(Cg * R * S, rows), filters = min(Mg, columns)
            mapping = ArrayMapping(
                weights: Reuse(array: 1, registerFile: weightUse),
                inputs: Reuse(array: Double(filters), registerFile: 1),
                outputs: Reuse(array: Double(reduction), registerFile: 1),
                activePEs: reduction * filters, meanActivePEs: Double(reduction * filters),
                keptInRF: [.weights], summary: "reduction=\(reduction) filters=\(filters)",
                passTile: TileExtent(filters: filters, channels: (reduction + R * S - 1) / (R * S)))

        case .os:
            let pixels = min(N * P * Q, pes)
            let filters = min(Mg, max(pes / pixels, 1))
            let forwarding = min(max(1, Double(R * S) / (sH * sW)), Double(pixels))
            mapping = ArrayMapping(
                weights: Reuse(array: Double(pixels), registerFile: 1),
                inputs: Reuse(array: forwarding * Double(filters), registerFile: 1),
                outputs: Reuse(array: 1, registerFile: outputUse),
                activePEs: pixels * filters, meanActivePEs: Double(pixels * filters),
                keptInRF: [.outputs], summary: "pixels=\(pixels) filters=\(filters)",
                passTile: TileExtent(filters: filters, rows: min(P, (pixels + Q - 1) / Q)))

        case .is:
            let channels = min(Cg, rows)
            let pixels = min(N * max(nest.H, 1) * max(nest.W, 1), columns)
            mapping = ArrayMapping(
                weights: Reuse(array: Double(pixels), registerFile: 1),
                inputs: Reuse(array: 1, registerFile: inputUse),
                outputs: Reuse(array: Double(channels), registerFile: 1),
                activePEs: channels * pixels, meanActivePEs: Double(channels * pixels),
                keptInRF: [.inputs], summary: "channels=\(channels) pixels=\(pixels)",
                passTile: TileExtent(channels: channels, rows: min(P, (pixels + max(nest.W, 1) - 1) / max(nest.W, 1))))

        case .nlr:
            let reduction = min(Cg * R * S, rows), filters = min(Mg, columns)
            mapping = ArrayMapping(
                weights: Reuse(array: 1, registerFile: 1),
                inputs: Reuse(array: Double(filters), registerFile: 1),
                outputs: Reuse(array: Double(reduction), registerFile: 1),
                activePEs: reduction * filters, meanActivePEs: Double(reduction * filters),
                keptInRF: [], summary: "reduction=\(reduction) filters=\(filters)",
                passTile: TileExtent(filters: filters, channels: (reduction + R * S - 1) / (R * S)))
        }
        if !hasNoC {
            mapping.weights.array = 1; mapping.inputs.array = 1; mapping.outputs.array = 1
        }
        mapping.activePEs = min(mapping.activePEs, pes)
        mapping.meanActivePEs = min(max(mapping.meanActivePEs, 1), Double(pes))
        return mapping
    }
}
