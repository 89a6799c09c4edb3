import Foundation
import Workloads

/// Prices operators on an architecture under one dataflow (docs/ENERGY.md gives every
/// equation with its source). Analytic: a whole network prices in milliseconds.
///
/// Energies come out in the spec's unit (`pJ` or normalised to one 16-bit MAC).
public struct EnergyPricer: Sendable {
    public var spec: ArchitectureSpec
    public var dataflow: Dataflow
    /// Precision of weights, activations and psums on the accelerator.
    public var precision: Precision

    /// Price a unary activation (ReLU, clip, sigmoid …) that directly consumes the previous
    /// operator's output as applied on that output stream, as accelerators do (Eyeriss
    /// applies ReLU before writing ofmaps): its arithmetic only, no data moved.
    public var fuseActivations: Bool

    /// Fuse chains of streaming operators on chip (docs/ENERGY.md, "Streaming fusion"):
    /// the spec's `fuse_streaming` unless overridden here (`price --no-fusion`).
    public var fuseStreaming: Bool

    public init(spec: ArchitectureSpec, dataflow: Dataflow, precision: Precision? = nil, fuseActivations: Bool = true,
                fuseStreaming: Bool? = nil) {
        self.spec = spec; self.dataflow = dataflow; self.precision = precision ?? spec.defaultPrecision
        self.fuseActivations = fuseActivations
        self.fuseStreaming = fuseStreaming ?? spec.fuseStreaming
    }

    static let fusibleActivations: Set<String> = ["relu", "relu6", "clip", "leaky_relu", "sigmoid", "hard_sigmoid", "hard_swish"]

    static func isFusibleActivation(_ shape: OperatorShape) -> Bool {
        shape.kind.category == .elementwise && fusibleActivations.contains(shape.kind.name) && shape.weightWords == 0
    }

    /// A fused activation: its operations at the operation energy; every level unused.
    func priceFused(_ shape: OperatorShape, into producer: String) -> OperatorPrice {
        var ledger = Ledger(spec: spec, precision: precision)
        let operations = Double(shape.otherOperations > 0 ? shape.otherOperations : shape.outputWords)
        ledger.operations = operations
        ledger.arithmetic = operations * (spec.operationEnergy + instructionEnergyPerOperation)
        ledger.computeCycles = 0
        ledger.mapping = "fused into \(producer)"
        ledger.notes.append("fused into \(producer)'s output stream: arithmetic only, no data moved")
        return ledger.finish(shape: shape)
    }

    // MARK: - Networks

    /// Prices every operator of a trace. `batch` re-batches every operator (weights are
    /// shared, activations and MACs scale); `zeros` overrides measured zero fractions by
    /// operator name (a trace without measured facts is dense unless overridden).
    /// Throws `PricingError` for a trace that cannot describe real work
    /// (`Trace.firstInconsistency`), a batch that would take a count past 2⁵³, or a spec
    /// whose values make an energy or a latency overflow to infinity.
    public func price(trace: Trace, batch: Int? = nil, zeros: [String: ZeroFractions] = [:]) throws -> NetworkPrice {
        if let problem = trace.firstInconsistency() { throw PricingError(operator: "(trace)", reason: problem) }
        if let batch {
            guard batch >= 1 else { throw PricingError(operator: "(trace)", reason: "batch \(batch) must be at least 1") }
            for op in trace.operators {
                let s = op.shape, factor = Double(batch) / Double(max(s.loopNest.N, 1))
                let largest = Double([s.macs, s.otherOperations, s.inputWords, s.outputWords].max() ?? 0) * factor
                guard largest <= Double(Trace.maximumCount) else {
                    throw PricingError(operator: s.name, reason: "batch \(batch) takes its counts past 2^53")
                }
            }
        }
        var cache: [CacheKey: OperatorPrice] = [:]
        var prices: [OperatorPrice] = []
        prices.reserveCapacity(trace.operators.count)
        var previousOutputWords = -1
        let shapes = trace.operators.map { op in batch.map { Self.rebatched(op.shape, to: $0) } ?? op.shape }
        let fusion = StreamingFusionPlanner.plan(shapes, enabled: fuseStreaming, capacityWords: streamingBufferWords)
        for (index, op) in trace.operators.enumerated() {
            let shape = shapes[index]
            let z = zeros[shape.name] ?? ZeroFractions(measured: op.measured)
            let key = CacheKey(kind: shape.kind, nest: shape.loopNest, macs: shape.macs, other: shape.otherOperations,
                               weights: shape.weightWords, inputs: shape.inputWords, outputs: shape.outputWords,
                               streaming: shape.streaming, zeros: z, fusion: fusion[index])
            var price: OperatorPrice
            if fuseActivations, let previous = prices.last, Self.isFusibleActivation(shape),
               previous.category != .dataMovement, shape.inputWords == previousOutputWords {
                price = priceFused(shape, into: previous.name)
            } else if let cached = cache[key] { price = cached } else {
                price = try self.price(shape, zeros: z, fusion: fusion[index])
                cache[key] = price
            }
            price.name = shape.name
            price.fusion = fusion[index]
            previousOutputWords = shape.outputWords
            prices.append(price)
        }
        let batchSize = batch ?? trace.operators.first?.shape.loopNest.N ?? 1
        var network = summarise(prices, model: trace.model.name, batch: batchSize, inputPixels: trace.inputPixels,
                                pixelBasis: Self.pixelBasis(of: trace), networkInputPixels: Self.networkInputPixels(of: trace))
        if shapes.contains(where: { $0.kind.category == .streaming }) {
            network.notes.append("streaming operators (line-buffer pipelines) cost the same under every dataflow; "
                                 + "--dataflow \(dataflow.rawValue) applies to convolution, FC and pooling operators only")
        }
        if let note = StreamingFusion.summary(fusion, shapes: shapes, enabled: fuseStreaming) { network.notes.append(note) }
        if !(network.totalEnergy.isFinite && network.latencySeconds.isFinite && network.cycles.isFinite) {
            let culprit = prices.first { !($0.totalEnergy.isFinite && $0.latencySeconds.isFinite) }?.name ?? "(network)"
            throw PricingError(operator: culprit, reason: "energy or latency overflows to infinity on spec '\(spec.name)': "
                               + "check its energies per access, clock and bandwidths for absurd values")
        }
        return network
    }

    /// `shape` at batch `n`: MACs, operations and activation words scale by n / N.
    public static func rebatched(_ shape: OperatorShape, to n: Int) -> OperatorShape {
        let old = max(shape.loopNest.N, 1)
        guard n != old, n > 0 else { return shape }
        var s = shape
        s.loopNest.N = n
        func scale(_ v: Int) -> Int { v / old * n + (v % old) * n / old }
        s.macs = scale(shape.macs); s.otherOperations = scale(shape.otherOperations)
        s.inputWords = scale(shape.inputWords); s.outputWords = scale(shape.outputWords)
        return s
    }

    /// What a trace's `inputPixels` counts, in words (`NetworkPrice.pixelBasis`).
    static func pixelBasis(of trace: Trace) -> String {
        guard let input = trace.input else { return "the network input" }
        return "the \(input.width)×\(input.height) image \(URL(fileURLWithPath: input.path).lastPathComponent)"
    }

    /// H×W of the tensor the trace's first graph-input reader sees (`producers == []`,
    /// else the first operator): the resized network input of a CNN run on an image.
    static func networkInputPixels(of trace: Trace) -> Int {
        guard let first = trace.operators.first(where: { $0.shape.producers == [] }) ?? trace.operators.first else {
            return trace.inputPixels
        }
        let nest = first.shape.loopNest
        return trace.input == nil ? trace.inputPixels : max(nest.H * nest.W, 1)
    }

    func summarise(_ prices: [OperatorPrice], model: String, batch: Int, inputPixels: Int,
                   pixelBasis: String, networkInputPixels: Int) -> NetworkPrice {
        var levels = MemoryLevel.allCases.map { level -> LevelCost in
            let statuses = prices.map { $0.level(level).status }
            let status: LevelStatus = statuses.contains(.present) ? .present : (statuses.first ?? (spec.level(level) == nil ? .absent : .unused))
            return LevelCost(level: level, status: status, words: PerDataType(), energy: PerDataType())
        }
        var total = 0.0, arithmetic = 0.0, idle = 0.0, cycles = 0.0, latency = 0.0
        for p in prices {
            for (i, l) in p.levels.enumerated() {
                levels[i].words = levels[i].words + l.words
                levels[i].energy = levels[i].energy + l.energy
            }
            total += p.totalEnergy; arithmetic += p.arithmeticEnergy; idle += p.idleEnergy
            cycles += p.cycles; latency += p.latencySeconds
        }
        var notes: [String] = []
        if spec.energyUnit == .normalized { notes.append("energies are normalised (one \(spec.mac.referencePrecision.rawValue) MAC = 1), not joules") }
        return NetworkPrice(
            model: model, architecture: spec.name, dataflow: dataflow, energyUnit: spec.energyUnit,
            precision: precision, batch: batch, inputPixels: inputPixels, operators: prices,
            totalEnergy: total, levelTotals: levels, arithmeticEnergy: arithmetic, idleEnergy: idle,
            cycles: cycles, latencySeconds: latency,
            energyPerInputPixel: total / Double(max(batch, 1) * max(inputPixels, 1)),
            pixelBasis: pixelBasis, networkInputPixels: networkInputPixels,
            energyPerNetworkInputPixel: total / Double(max(batch, 1) * max(networkInputPixels, 1)), notes: notes)
    }

    // MARK: - One operator

    /// Prices one operator with the given zero fractions.
    public func price(_ shape: OperatorShape, zeros: ZeroFractions = ZeroFractions()) throws -> OperatorPrice {
        try price(shape, zeros: zeros, fusion: nil)
    }

    /// One operator with its streaming-fusion decision (`nil`: unfused, DRAM in and out).
    func price(_ shape: OperatorShape, zeros: ZeroFractions, fusion: StreamingFusion?) throws -> OperatorPrice {
        for (name, value) in [("inputs", zeros.inputs), ("outputs", zeros.outputs), ("weights", zeros.weights)]
        where !(value >= 0 && value <= 1) {
            throw PricingError(operator: shape.name, reason: "zero fraction of \(name) \(value) is outside [0, 1]")
        }
        var ledger = Ledger(spec: spec, precision: precision)
        switch shape.kind.category {
        case .convolution, .fullyConnected:
            try priceConvolution(shape, zeros: zeros, into: &ledger)
        case .pooling, .elementwise, .dataMovement, .streaming:
            try priceStreaming(shape, zeros: zeros, fusion: fusion, into: &ledger)
        }
        return ledger.finish(shape: shape)
    }

    /// Fraction of the stream left after run-length compression (Eyeriss's RLC: pairs of
    /// a `runBits` zero count and a value, packed `floor((codeWordBits − 1)/(runBits + bits))`
    /// to a code word with one flag bit; JSSC 2017 §V-B). Never above 1: hardware that
    /// would expand the stream sends it raw, and so does a code word too narrow for one pair
    /// at the priced precision (a spec checks its own precision; `--precision` may be wider).
    func runLengthFactor(zeroFraction z: Double) -> Double {
        guard spec.sparsity.runLengthCompression else { return 1 }
        let s = spec.sparsity, bits = precision.bits
        let pairs = (s.codeWordBits - 1) / (s.runBits + bits)
        guard pairs >= 1 else { return 1 }
        let pairsPerWord = Double(pairs)
        let maxRun = Double((1 << s.runBits) - 1)
        let pairsPerValue = (1 - z) + z / (maxRun + 1)
        let compressedBits = pairsPerValue / pairsPerWord * Double(s.codeWordBits)
        return min(1, compressedBits / Double(bits))
    }

    func priceConvolution(_ shape: OperatorShape, zeros z: ZeroFractions, into ledger: inout Ledger) throws {
        let nest = shape.loopNest
        let rfLevel = spec.level(.rf)
        if dataflow.usesRegisterFile && rfLevel == nil {
            throw PricingError(operator: shape.name, reason: "dataflow \(dataflow.rawValue) keeps data in the RF, but spec '\(spec.name)' has no rf level (use nlr)")
        }
        let rf = StoreValues(level: dataflow.usesRegisterFile ? rfLevel : nil, precisionBits: precision.bits)
        let hasNoC = spec.level(.noc) != nil
        let mapping = ArrayMapper.map(dataflow, nest: nest, rows: spec.peRows, columns: spec.peColumns, rf: rf, hasNoC: hasNoC)
        for type in mapping.keptInRF where (type == .weights ? rf.weights : type == .inputs ? rf.inputs : rf.outputs) < 1 {
            throw PricingError(operator: shape.name, reason: "RF partition for \(type.rawValue) holds no \(precision.rawValue) value")
        }
        let groups = Double(max(nest.groups, 1))
        let macs = Double(shape.macs > 0 ? shape.macs : nest.convolutionMACs)
        let weightWords = Double(shape.weightWords), outputWords = Double(shape.outputWords)
        let s = spec.sparsity
        let inputZeros = (s.gateZeroInputs || s.skipZeroInputs) ? z.inputs : 0
        let weightZeros = (s.gateZeroWeights || s.skipZeroWeights) ? z.weights : 0
        let skipFraction = 1 - (1 - (s.skipZeroInputs ? z.inputs : 0)) * (1 - (s.skipZeroWeights ? z.weights : 0))
        let indexOverhead = 1 + Double(s.skipIndexBits) / Double(precision.bits)
        let inputStream = s.skipZeroInputs ? (1 - z.inputs) * indexOverhead : 1
        let weightStream = s.skipZeroWeights ? (1 - z.weights) * indexOverhead : 1

        // DRAM: the tiling decides the fetch counts (ISCA 2016's `a`).
        let rlcIn = runLengthFactor(zeroFraction: z.inputs), rlcOut = runLengthFactor(zeroFraction: z.outputs)
        let gb = spec.level(.globalBuffer)!
        let buffer = StoreValues(level: gb, precisionBits: precision.bits)
        // A buffer tile holds at least one processing pass of the array; when even that does
        // not fit, any tile that fits is used (and the pass is split, noted).
        var tiling = DRAMTiler.tile(nest: nest, buffer: buffer, inputCompression: rlcIn, outputCompression: rlcOut,
                                    minimum: mapping.passTile)
        if tiling == nil, mapping.passTile != TileExtent() {
            tiling = DRAMTiler.tile(nest: nest, buffer: buffer, inputCompression: rlcIn, outputCompression: rlcOut)
            if tiling != nil { ledger.notes.append("global_buffer smaller than one processing pass: pass split across tiles") }
        }
        guard let tiling else {
            throw PricingError(operator: shape.name, reason: "global_buffer capacity is too small for any tile (one filter row, one input row and one output row must fit)")
        }
        let inputsFetched = tiling.inputWordsFetched * groups
        let dramWeights = weightWords * tiling.weightFetches * weightStream
        let dramInputs = inputsFetched * rlcIn
        let spill = max(tiling.outputPasses - 1, 0)
        ledger.add(.dram, .weights, reads: dramWeights, writes: 0)
        ledger.add(.dram, .inputs, reads: dramInputs, writes: 0)
        ledger.add(.dram, .outputs, reads: outputWords * spill, writes: outputWords * (rlcOut + spill))
        // The tile pipeline's fill (first tile in) and drain (last tile out) overlap no
        // computation; the rest of the DRAM traffic is double-buffered behind it.
        ledger.exposedDRAMWords = tiling.firstTileWeightWords * weightStream + tiling.firstTileInputWords * rlcIn
            + tiling.lastTileOutputWords * rlcOut

        // Global buffer: fills from DRAM plus a·b reads per word (ISCA 2016 §VI-A).
        let W = mapping.weights, I = mapping.inputs, O = mapping.outputs
        ledger.add(.globalBuffer, .weights, reads: macs / (W.array * W.registerFile) * weightStream, writes: weightWords * tiling.weightFetches * weightStream)
        ledger.add(.globalBuffer, .inputs, reads: macs / (I.array * I.registerFile) * inputStream, writes: inputsFetched * inputStream)
        let psumBufferTraffic = max(0, macs / (O.array * O.registerFile) - outputWords * tiling.outputPasses) * (1 - skipFraction)
        ledger.add(.globalBuffer, .outputs, reads: psumBufferTraffic, writes: psumBufferTraffic + outputWords)

        // Array: a·b·c deliveries per word; psums forwarded a·b·(c − 1) times.
        ledger.add(.noc, .weights, reads: macs / W.registerFile * weightStream, writes: 0)
        ledger.add(.noc, .inputs, reads: macs / I.registerFile * inputStream, writes: 0)
        ledger.add(.noc, .outputs, reads: macs / O.registerFile * (1 - 1 / O.array) * (1 - skipFraction), writes: 0)

        // RF: one operand read per MAC (gated reads saved), fills written, psums read and
        // written 2·(d − 1) times per delivery.
        if mapping.keptInRF.contains(.weights) {
            ledger.add(.rf, .weights, reads: macs * (1 - inputZeros), writes: macs / W.registerFile * weightStream)
        }
        if mapping.keptInRF.contains(.inputs) {
            ledger.add(.rf, .inputs, reads: macs * (1 - weightZeros), writes: macs / I.registerFile * inputStream)
        }
        if mapping.keptInRF.contains(.outputs) {
            // A gated MAC is gated whole: its accumulate (the psum read-modify-write of the
            // spad) is skipped with its multiply, as adding a zero product changes nothing
            // (JSSC 2017 §V-B: a zero ifmap gates the filter read and the MAC datapath).
            let gatedInputs = s.gateZeroInputs && !s.skipZeroInputs ? z.inputs : 0
            let gatedWeights = s.gateZeroWeights && !s.skipZeroWeights ? z.weights : 0
            let updates = (macs - macs / O.registerFile) * (1 - skipFraction) * (1 - gatedInputs) * (1 - gatedWeights)
            ledger.add(.rf, .outputs, reads: updates, writes: updates)
        }

        let performed = macs * (1 - skipFraction)
        // Non-MAC work recorded on the operator (a fused activation, bias): priced per
        // operation; a fused activation without a count costs one operation per output.
        var operations = Double(shape.otherOperations)
        if operations == 0, let activation = shape.fusedActivation {
            operations = outputWords
            ledger.notes.append("fused \(activation): one operation per output assumed")
        }
        ledger.macs = macs
        ledger.macsPerformed = performed
        ledger.operations = operations
        ledger.arithmetic = macs * (1 - inputZeros) * (1 - weightZeros) * spec.macEnergy(precision)
            + macs * instructionEnergyPerOperation
            + operations * (spec.operationEnergy + instructionEnergyPerOperation)
        ledger.computeCycles = performed / mapping.meanActivePEs
        ledger.activePEs = mapping.activePEs
        ledger.meanActivePEs = mapping.meanActivePEs
        ledger.mapping = "\(dataflow.rawValue): \(mapping.summary); \(tiling.summary)"
        if !hasNoC { ledger.notes.append("no noc level: array deliveries priced as buffer reads") }
    }

    /// Pooling, element-wise, data-movement and streaming (HOG, stereo) operators: the
    /// arithmetic from per-operation energies, the data movement through the line buffers
    /// (global buffer) and window registers (RF) of a streaming accelerator; inputs read
    /// from and outputs written to DRAM once, unless `fusion` keeps them on chip.
    func priceStreaming(_ shape: OperatorShape, zeros z: ZeroFractions, fusion: StreamingFusion? = nil, into ledger: inout Ledger) throws {
        let inputs = Double(shape.inputWords), outputs = Double(shape.outputWords)
        let weights = Double(shape.weightWords)
        let nest = shape.loopNest
        var operations = Double(shape.otherOperations)
        var lineBufferReadsPerOutput: Double, windowReadsPerOutput: Double, lineBufferWords: Double
        switch shape.kind.category {
        case .pooling:
            let window = Double(max(nest.R, 1) * max(nest.S, 1))
            if operations == 0 { operations = outputs * window; ledger.notes.append("operations derived: one per window element") }
            lineBufferReadsPerOutput = Double(max(nest.R, 1) * max(nest.strideW, 1))
            windowReadsPerOutput = window
            lineBufferWords = Double(max(nest.R - 1, 0) * max(nest.W, 1) * max(nest.N, 1))
        case .dataMovement where ["reshape", "flatten", "identity", "dropout"].contains(shape.kind.name):
            ledger.notes.append("\(shape.kind.name): metadata only, no data moved")
            ledger.macs = 0; ledger.macsPerformed = 0; ledger.operations = 0
            ledger.activePEs = 0; ledger.meanActivePEs = 0; ledger.mapping = "none"
            return
        case .dataMovement:
            lineBufferReadsPerOutput = outputs > 0 ? inputs / outputs : 0
            windowReadsPerOutput = 0
            lineBufferWords = 0
        default:
            if let footprint = shape.streaming {
                lineBufferReadsPerOutput = footprint.lineBufferReadsPerOutput
                windowReadsPerOutput = footprint.windowReadsPerOutput
                lineBufferWords = Double(footprint.lineBufferWords)
            } else {
                if shape.kind.category == .streaming {
                    ledger.notes.append("no streaming footprint in the trace: priced as element-wise (each input read once)")
                }
                lineBufferReadsPerOutput = outputs > 0 ? (inputs + weights) / outputs : 0
                windowReadsPerOutput = outputs > 0 ? max(operations, outputs) / outputs : 0
                lineBufferWords = 0
            }
            if operations == 0 && shape.macs == 0 {
                operations = outputs
                ledger.notes.append("operations derived: one per output word")
            }
        }
        let gb = StoreValues(level: spec.level(.globalBuffer)!, precisionBits: precision.bits)
        let capacity = Double(gb.shared ?? gb.inputs)
        var extraInputs = 0.0
        if lineBufferWords > capacity {
            let stripes = (lineBufferWords / max(capacity, 1)).rounded(.up)
            extraInputs = (stripes - 1) * capacity
            ledger.notes.append("line buffer (\(Int(lineBufferWords)) words) exceeds the global buffer: \(Int(stripes)) stripes, overlap re-read from DRAM")
        }
        // Streaming fusion (StreamingFusion.swift): an input on chip is not read from DRAM;
        // an output consumed on chip goes straight into its consumers' line buffers (their
        // GLB input writes), so it is neither staged in the GLB nor written to DRAM.
        let inputFromDRAM = !(fusion?.inputOnChip ?? false), outputToDRAM = !(fusion?.outputOnChip ?? false)
        ledger.notes.append(contentsOf: fusion?.notes ?? [])
        ledger.add(.dram, .inputs, reads: inputFromDRAM ? (inputs + extraInputs) * runLengthFactor(zeroFraction: z.inputs) : 0, writes: 0)
        ledger.add(.dram, .weights, reads: weights, writes: 0)
        ledger.add(.dram, .outputs, reads: 0, writes: outputToDRAM ? outputs * runLengthFactor(zeroFraction: z.outputs) : 0)
        ledger.add(.globalBuffer, .inputs, reads: outputs * lineBufferReadsPerOutput, writes: inputs + extraInputs)
        ledger.add(.globalBuffer, .weights, reads: weights, writes: weights)
        ledger.add(.globalBuffer, .outputs, reads: 0, writes: outputToDRAM ? outputs : 0)
        ledger.add(.noc, .inputs, reads: outputs * lineBufferReadsPerOutput, writes: 0)
        ledger.add(.noc, .outputs, reads: outputs, writes: 0)
        if spec.level(.rf) != nil && windowReadsPerOutput > 0 {
            ledger.add(.rf, .inputs, reads: outputs * windowReadsPerOutput, writes: outputs * lineBufferReadsPerOutput)
        }
        let macs = Double(shape.macs)
        ledger.macs = macs; ledger.macsPerformed = macs; ledger.operations = operations
        ledger.arithmetic = macs * spec.macEnergy(precision) + operations * spec.operationEnergy
            + (macs + operations) * instructionEnergyPerOperation
        let pes = Double(spec.processingElements)
        let work = macs + operations
        ledger.computeCycles = work / pes
        ledger.activePEs = work > 0 ? spec.processingElements : 0
        ledger.meanActivePEs = work > 0 ? pes : 0
        ledger.mapping = "streaming: line-buffer reads/output \(format(lineBufferReadsPerOutput)), window reads/output \(format(windowReadsPerOutput))"
    }

    /// Global-buffer capacity available to line buffers, in values of the data precision.
    var streamingBufferWords: Double {
        let gb = StoreValues(level: spec.level(.globalBuffer)!, precisionBits: precision.bits)
        return Double(gb.shared ?? gb.inputs)
    }

    var instructionEnergyPerOperation: Double {
        guard let i = spec.instruction else { return 0 }
        return i.energy / i.operationsPerInstruction
    }

    func format(_ v: Double) -> String { String(format: "%.2f", v) }
}

struct CacheKey: Hashable {
    var kind: OperatorKind
    var nest: LoopNest
    var macs: Int, other: Int, weights: Int, inputs: Int, outputs: Int
    var streaming: StreamingFootprint?
    var zeros: ZeroFractions
    var fusion: StreamingFusion?
}

/// Accumulates words and energies for one operator.
struct Ledger {
    let spec: ArchitectureSpec
    let precision: Precision
    var reads: [PerDataType] = Array(repeating: PerDataType(), count: 4)
    var writes: [PerDataType] = Array(repeating: PerDataType(), count: 4)
    var touched: [Bool] = Array(repeating: false, count: 4)
    var macs = 0.0, macsPerformed = 0.0, operations = 0.0, arithmetic = 0.0
    var computeCycles = 0.0
    /// DRAM words whose transfer overlaps no computation (tile-pipeline fill and drain);
    /// they add `words / bandwidth` cycles when the DRAM level has a bandwidth.
    var exposedDRAMWords = 0.0
    var activePEs = 0
    var meanActivePEs = 0.0
    var mapping = ""
    var notes: [String] = []

    init(spec: ArchitectureSpec, precision: Precision) { self.spec = spec; self.precision = precision }

    static func index(_ level: MemoryLevel) -> Int {
        switch level { case .dram: 0; case .globalBuffer: 1; case .noc: 2; case .rf: 3 }
    }

    mutating func add(_ level: MemoryLevel, _ type: DataType, reads r: Double, writes w: Double) {
        let i = Self.index(level)
        reads[i][type] += r
        writes[i][type] += w
        if r > 0 || w > 0 { touched[i] = true }
    }

    func finish(shape: OperatorShape) -> OperatorPrice {
        var levels: [LevelCost] = []
        var total = 0.0
        let onChipScale = spec.voltageScale
        var cycles = computeCycles
        var exposedCycles = 0.0
        for level in MemoryLevel.allCases {
            let i = Self.index(level)
            guard let l = spec.level(level) else {
                levels.append(LevelCost(level: level, status: .absent, words: PerDataType(), energy: PerDataType()))
                continue
            }
            let widthScale = Double(precision.bits) / Double(l.wordBits)
            let scale = level == .dram ? widthScale : widthScale * onChipScale
            var words = PerDataType(), energy = PerDataType()
            for type in DataType.allCases {
                words[type] = reads[i][type] + writes[i][type]
                energy[type] = (reads[i][type] * l.readEnergy + writes[i][type] * l.writeEnergy) * scale
            }
            if let bandwidth = l.bandwidthWordsPerCycle {
                let exposed = level == .dram ? min(exposedDRAMWords, words.total) : 0
                cycles = max(cycles, (words.total - exposed) * widthScale / bandwidth)
                exposedCycles += exposed * widthScale / bandwidth
            }
            total += energy.total
            levels.append(LevelCost(level: level, status: touched[i] ? .present : .unused, words: words, energy: energy))
        }
        cycles += exposedCycles
        let arithmeticEnergy = arithmetic * onChipScale
        let latency = cycles / spec.clockHz
        let idle = spec.energyUnit == .picojoules ? spec.idlePowerWatts * latency * 1e12 : 0
        total += arithmeticEnergy + idle
        return OperatorPrice(
            name: shape.name, kind: shape.kind.name, category: shape.kind.category, batch: shape.loopNest.N,
            macs: macs, macsPerformed: macsPerformed, otherOperations: operations, arithmeticEnergy: arithmeticEnergy,
            levels: levels, idleEnergy: idle, totalEnergy: total, cycles: cycles, latencySeconds: latency,
            activeProcessingElements: activePEs, utilization: meanActivePEs / Double(max(spec.processingElements, 1)),
            mapping: mapping, notes: notes)
    }
}
