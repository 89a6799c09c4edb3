import Foundation
import Testing
import Workloads
@testable import EnergyModel

@Suite struct PricingBehaviourTests {
    static func eyeriss() throws -> ArchitectureSpec { try ArchitectureSpec.preset(named: "eyeriss") }
    static let conv3 = AlexNetShapes.convolutions(batch: 4)[2]
    static let fc6 = AlexNetShapes.fullyConnected(batch: 4)[0]

    // MARK: Sparsity

    /// `eyeriss` with an unbounded DRAM interface: cycles are compute cycles only.
    static func eyerissComputeBound() throws -> ArchitectureSpec {
        var spec = try eyeriss()
        spec.levels = spec.levels.map { var l = $0; if l.level == .dram { l.bandwidthWordsPerCycle = nil }; return l }
        return spec
    }

    @Test("zero-gating saves the MAC (multiply and psum accumulate) and the weight read, not compute time (ISSCC 2016; JSSC 2017 §V-B)")
    func gatingSavesEnergyNotTime() throws {
        let pricer = EnergyPricer(spec: try Self.eyerissComputeBound(), dataflow: .rs)
        let dense = try pricer.price(Self.conv3)
        let sparse = try pricer.price(Self.conv3, zeros: ZeroFractions(inputs: 0.7))
        #expect(abs(sparse.arithmeticEnergy / dense.arithmeticEnergy - 0.3) < 1e-9)
        #expect(sparse.cycles == dense.cycles)
        #expect(sparse.level(.rf).energy.weights < dense.level(.rf).energy.weights)
        // The gated MAC's accumulate (psum spad read + write) is skipped with its multiply.
        #expect(abs(sparse.level(.rf).energy.outputs / dense.level(.rf).energy.outputs - 0.3) < 1e-9)
        // The ifmap is still read (its zero flag decides the gating).
        #expect(sparse.level(.rf).words.inputs == dense.level(.rf).words.inputs)
    }

    @Test("DRAM tile pipeline: fill and drain add latency at the DRAM bandwidth, the rest overlaps compute")
    func dramFillAndDrainLatency() throws {
        let bounded = try EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs).price(Self.conv3)
        let unbounded = try EnergyPricer(spec: try Self.eyerissComputeBound(), dataflow: .rs).price(Self.conv3)
        let bandwidth = try Self.eyeriss().level(.dram)!.bandwidthWordsPerCycle!
        let extra = bounded.cycles - unbounded.cycles
        // CONV3's buffer tile (rs: 4 images, 64 filters, 8 channels, 13 rows): weights
        // 64·8·9 and inputs 4·8·13·13 words in (the whole unpadded 13×13 map), outputs
        // 4·64·13·13 words out.
        let tileWords = Double(64 * 8 * 9 + 4 * 8 * 13 * 13 + 4 * 64 * 13 * 13)
        #expect(bounded.mapping.contains("tile n=4 m=64 c=8 rows=13"))
        #expect(abs(extra - tileWords / bandwidth) < 1e-6)
        // Energy does not depend on time without idle power.
        #expect(bounded.totalEnergy == unbounded.totalEnergy)
    }

    @Test("zero-skipping saves time too, and pays its index overhead")
    func skippingSavesTime() throws {
        var spec = try Self.eyerissComputeBound()
        spec.sparsity.gateZeroInputs = false
        spec.sparsity.skipZeroInputs = true
        spec.sparsity.skipIndexBits = 4
        let pricer = EnergyPricer(spec: spec, dataflow: .rs)
        let dense = try pricer.price(Self.conv3)
        let sparse = try pricer.price(Self.conv3, zeros: ZeroFractions(inputs: 0.7))
        #expect(abs(sparse.cycles / dense.cycles - 0.3) < 1e-9)
        #expect(abs(sparse.macsPerformed / dense.macs - 0.3) < 1e-9)
        // Only non-zero inputs move, each with 4 bits of index per 16-bit value.
        let plain = try EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs).price(Self.conv3)
        let nocRatio = sparse.level(.noc).words.inputs / plain.level(.noc).words.inputs
        #expect(abs(nocRatio - 0.3 * (1 + 4.0 / 16)) < 1e-9)
    }

    @Test("weight zero-gating saves the MAC and the input read")
    func weightGating() throws {
        var spec = try Self.eyeriss()
        spec.sparsity.gateZeroWeights = true
        let pricer = EnergyPricer(spec: spec, dataflow: .rs)
        let dense = try pricer.price(Self.conv3)
        let pruned = try pricer.price(Self.conv3, zeros: ZeroFractions(weights: 0.5))
        #expect(abs(pruned.arithmeticEnergy / dense.arithmeticEnergy - 0.5) < 1e-9)
        #expect(pruned.level(.rf).energy.inputs < dense.level(.rf).energy.inputs)
    }

    /// (zero fraction, compressed/raw): pairs per value `(1 − z) + z/32`, 64/3 bits per pair.
    static let runLengthCases: [(Double, Double)] = [
        (0.0, 1.0),
        (0.5, (0.5 + 0.5 / 32.0) * 64.0 / 3.0 / 16.0),
        (0.9, (0.1 + 0.9 / 32.0) * 64.0 / 3.0 / 16.0),
    ]

    @Test("run-length compression: Eyeriss's 5-bit runs, 3 pairs per 64-bit word; never expands",
          arguments: runLengthCases)
    func runLengthFactor(zeros: Double, expected: Double) throws {
        let pricer = EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs)
        #expect(abs(pricer.runLengthFactor(zeroFraction: zeros) - min(1, expected)) < 1e-12)
    }

    /// A code word too narrow for one (run, value) pair at the priced precision sends the
    /// stream raw: a 16-bit word holds a 5-bit run and an 8-bit value (plus the flag bit),
    /// not a 32-bit value. It used to be priced as one pair per word, halving DRAM
    /// activations at no sparsity when priced at a wider --precision than the spec's.
    @Test func aCodeWordTooNarrowForOnePairSendsTheStreamRaw() throws {
        var spec = try Self.eyeriss()
        spec.sparsity.codeWordBits = 16
        spec.sparsity.runBits = 5
        let at8 = EnergyPricer(spec: spec, dataflow: .rs, precision: .int8)
        #expect(at8.runLengthFactor(zeroFraction: 0.9) < 1)     // 5 + 8 ≤ 15: one pair per word
        let at32 = EnergyPricer(spec: spec, dataflow: .rs, precision: .fp32)
        for z in [0.0, 0.5, 0.9] { #expect(at32.runLengthFactor(zeroFraction: z) == 1) }
    }

    @Test func runLengthCompressionCutsDRAMActivations() throws {
        let pricer = EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs)
        let dense = try pricer.price(Self.conv3)
        let sparse = try pricer.price(Self.conv3, zeros: ZeroFractions(inputs: 0.8, outputs: 0.8))
        #expect(sparse.level(.dram).words.inputs < 0.5 * dense.level(.dram).words.inputs)
        #expect(sparse.level(.dram).words.outputs < 0.5 * dense.level(.dram).words.outputs)
        #expect(sparse.level(.dram).words.weights == dense.level(.dram).words.weights)
    }

    @Test func zeroFractionOutsideUnitIntervalIsRefused() throws {
        let pricer = EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs)
        #expect(throws: PricingError.self) { try pricer.price(Self.conv3, zeros: ZeroFractions(inputs: 1.5)) }
    }

    // MARK: Precision and voltage

    @Test("precision: MAC energy with the square of the width, storage with the width")
    func precisionScales() throws {
        let spec = try Self.eyeriss()
        let p16 = try EnergyPricer(spec: spec, dataflow: .rs, precision: .int16).price(Self.fc6)
        let p8 = try EnergyPricer(spec: spec, dataflow: .rs, precision: .int8).price(Self.fc6)
        let p32 = try EnergyPricer(spec: spec, dataflow: .rs, precision: .fp32).price(Self.fc6)
        #expect(abs(p8.arithmeticEnergy / p16.arithmeticEnergy - 0.25) < 1e-9)
        #expect(abs(p32.arithmeticEnergy / p16.arithmeticEnergy - 5.6) < 1e-9)
        // FC6's weights cross DRAM once at any width: their energy follows the width.
        #expect(abs(p8.level(.dram).energy.weights / p16.level(.dram).energy.weights - 0.5) < 1e-9)
        #expect(abs(p32.level(.dram).energy.weights / p16.level(.dram).energy.weights - 2) < 1e-9)
    }

    @Test("voltage: on-chip dynamic energy scales with V², DRAM does not")
    func voltageScaling() throws {
        var low = try Self.eyeriss()
        low.supplyVolts = 0.5
        let nominal = try EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs).price(Self.conv3)
        let scaled = try EnergyPricer(spec: low, dataflow: .rs).price(Self.conv3)
        #expect(abs(scaled.arithmeticEnergy / nominal.arithmeticEnergy - 0.25) < 1e-9)
        for level in [MemoryLevel.rf, .noc, .globalBuffer] {
            #expect(abs(scaled.level(level).energy.total / nominal.level(level).energy.total - 0.25) < 1e-9)
        }
        #expect(scaled.level(.dram).energy == nominal.level(.dram).energy)
    }

    // MARK: Tiling, batch, capacities

    @Test("DRAM traffic is at least the compulsory traffic, and equals it when everything fits",
          arguments: Dataflow.allCases)
    func dramCompulsory(dataflow: Dataflow) throws {
        var huge = try Self.eyeriss()
        huge.sparsity = SparsitySpec()
        huge.levels[1].capacity = .shared(words: 1 << 30)
        var small = huge
        small.levels[1].capacity = .shared(words: 16_384)
        let depthwise = OperatorShape.convolution(
            name: "dw", loopNest: LoopNest(N: 4, M: 64, C: 64, H: 56, W: 56, P: 56, Q: 56, R: 3, S: 3,
                                           padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 64),
            hasBias: false, bitWidths: .fixed16)
        #expect(depthwise.kind == .depthwiseConv)
        for shape in AlexNetShapes.all(batch: 4) + [depthwise] {
            let compulsory = Double(shape.weightWords + shape.inputWords + shape.outputWords)
            let fits = try EnergyPricer(spec: huge, dataflow: dataflow).price(shape).level(.dram).words.total
            let tight = try EnergyPricer(spec: small, dataflow: dataflow).price(shape).level(.dram).words.total
            #expect(abs(fits / compulsory - 1) < 1e-9, "\(shape.name)")
            #expect(tight >= fits, "\(shape.name)")
        }
    }

    @Test("batch amortises FC weights: DRAM weight words do not grow with the batch")
    func batchAmortisesWeights() throws {
        let pricer = EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs)
        let one = try pricer.price(EnergyPricer.rebatched(Self.fc6, to: 1))
        let sixteen = try pricer.price(EnergyPricer.rebatched(Self.fc6, to: 16))
        #expect(sixteen.macs == 16 * one.macs)
        #expect(sixteen.level(.dram).words.weights == one.level(.dram).words.weights)
        #expect(sixteen.totalEnergy / 16 < one.totalEnergy / 2)
    }

    @Test func rebatchScalesActivationsNotWeights() {
        let shape = EnergyPricer.rebatched(Self.conv3, to: 12)
        #expect(shape.loopNest.N == 12)
        #expect(shape.macs == Self.conv3.macs * 3)
        #expect(shape.inputWords == Self.conv3.inputWords * 3)
        #expect(shape.weightWords == Self.conv3.weightWords)
    }

    @Test func bufferTooSmallForAnyTileIsRefused() throws {
        var spec = try Self.eyeriss()
        spec.levels[1].capacity = .shared(words: 100)
        let error = try #require(throws: PricingError.self) {
            try EnergyPricer(spec: spec, dataflow: .rs).price(AlexNetShapes.convolutions(batch: 1)[0])
        }
        #expect(error.operator == "CONV1")
        #expect(error.reason.contains("global_buffer"))
    }

    @Test("a buffer smaller than one processing pass still prices, with a note")
    func bufferSmallerThanAPass() throws {
        var spec = try Self.eyeriss()
        spec.levels[1].capacity = .shared(words: 500)
        let price = try EnergyPricer(spec: spec, dataflow: .rs).price(Self.conv3)
        #expect(price.notes.contains { $0.contains("smaller than one processing pass") })
        let roomy = try EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs).price(Self.conv3)
        #expect(roomy.notes.isEmpty)
        #expect(price.level(.dram).words.total > roomy.level(.dram).words.total)
    }

    // MARK: Levels never silently zero

    @Test("a level the spec lacks is absent; one the dataflow does not use is unused")
    func absentAndUnusedLevels() throws {
        let yaml = SpecParserTests.valid
        let spec = try ArchitectureSpec.parse(yaml: yaml, file: "t.yaml")
        let price = try EnergyPricer(spec: spec, dataflow: .ws).price(Self.conv3)
        #expect(price.level(.noc).status == .absent)
        #expect(price.notes.contains { $0.contains("no noc level") })
        let nlr = try EnergyPricer(spec: try Self.eyeriss(), dataflow: .nlr).price(Self.conv3)
        #expect(nlr.level(.rf).status == .unused)
        #expect(nlr.level(.noc).status == .present)
    }

    @Test func dataflowNeedingAnRFOnASpecWithoutOneIsRefused() throws {
        var spec = try Self.eyeriss()
        spec.levels.removeAll { $0.level == .rf }
        #expect(throws: PricingError.self) { try EnergyPricer(spec: spec, dataflow: .rs).price(Self.conv3) }
        #expect(try EnergyPricer(spec: spec, dataflow: .nlr).price(Self.conv3).level(.rf).status == .absent)
    }

    // MARK: Non-convolution operators

    @Test("streaming operators: arithmetic per operation, movement through line buffers and windows")
    func streamingOperator() throws {
        let spec = try Self.eyeriss()
        let footprint = StreamingFootprint(lineBufferWords: 2 * 640, windowWords: 9, lineBufferReadsPerOutput: 3, windowReadsPerOutput: 9)
        let nest = LoopNest(N: 1, M: 1, C: 1, H: 480, W: 640, P: 480, Q: 640, R: 3, S: 3)
        let shape = OperatorShape(name: "hog_gradients", kind: OperatorKind("hog_gradient", .streaming), loopNest: nest,
                                  macs: 0, otherOperations: 480 * 640 * 6, weightWords: 0,
                                  inputWords: 480 * 640, outputWords: 480 * 640, streaming: footprint)
        let price = try EnergyPricer(spec: spec, dataflow: .rs).price(shape)
        let pixels = Double(480 * 640)
        #expect(price.arithmeticEnergy == pixels * 6 * spec.operationEnergy)
        #expect(price.level(.globalBuffer).words.inputs == pixels * 3 + pixels)
        #expect(price.level(.rf).words.inputs == pixels * 9 + pixels * 3)
        #expect(price.level(.dram).words.total == 2 * pixels)
        // DRAM-bound on Eyeriss's 1.8-word/cycle link: one read and one write per pixel.
        #expect(price.cycles == max(pixels * 6 / 168, 2 * pixels / 1.8))
        #expect(price.notes.isEmpty)
    }

    @Test func streamingWithoutFootprintSaysSo() throws {
        let nest = LoopNest(N: 1, M: 1, C: 1, H: 10, W: 10, P: 10, Q: 10)
        let shape = OperatorShape(name: "cost", kind: OperatorKind("cost_volume", .streaming), loopNest: nest,
                                  macs: 0, otherOperations: 1000, weightWords: 0, inputWords: 100, outputWords: 100)
        let price = try EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs).price(shape)
        #expect(price.notes.contains { $0.contains("no streaming footprint") })
        #expect(price.totalEnergy > 0)
    }

    @Test("pooling, element-wise and data movement are priced; reshape moves nothing")
    func otherCategories() throws {
        let pricer = EnergyPricer(spec: try Self.eyeriss(), dataflow: .rs)
        let poolNest = LoopNest(N: 1, M: 96, C: 96, H: 55, W: 55, P: 27, Q: 27, R: 3, S: 3, strideH: 2, strideW: 2)
        let pool = OperatorShape(name: "pool1", kind: .maxPool, loopNest: poolNest, macs: 0, otherOperations: 96 * 27 * 27 * 9,
                                 weightWords: 0, inputWords: 96 * 55 * 55, outputWords: 96 * 27 * 27)
        let poolPrice = try pricer.price(pool)
        #expect(poolPrice.level(.dram).words.total == Double(96 * 55 * 55 + 96 * 27 * 27))
        #expect(poolPrice.level(.rf).words.inputs > 0)
        let addNest = LoopNest(N: 1, M: 64, C: 64, H: 56, W: 56, P: 56, Q: 56)
        let add = OperatorShape(name: "add", kind: .add, loopNest: addNest, macs: 0, otherOperations: 64 * 56 * 56,
                                weightWords: 0, inputWords: 2 * 64 * 56 * 56, outputWords: 64 * 56 * 56)
        #expect(try pricer.price(add).level(.dram).words.inputs == Double(2 * 64 * 56 * 56))
        let concat = OperatorShape(name: "cat", kind: .concat, loopNest: addNest, macs: 0, weightWords: 0,
                                   inputWords: 64 * 56 * 56, outputWords: 64 * 56 * 56)
        #expect(try pricer.price(concat).level(.dram).words.total == Double(2 * 64 * 56 * 56))
        let reshape = OperatorShape(name: "flat", kind: .flatten, loopNest: addNest, macs: 0, weightWords: 0,
                                    inputWords: 64 * 56 * 56, outputWords: 64 * 56 * 56)
        let reshapePrice = try pricer.price(reshape)
        #expect(reshapePrice.totalEnergy == 0)
        #expect(reshapePrice.levels.allSatisfy { $0.status == .unused })
        #expect(reshapePrice.notes.contains { $0.contains("metadata only") })
    }

    @Test("a convolution's fused activation and other operations are priced, never dropped")
    func fusedActivationOnConvolution() throws {
        let spec = try Self.eyeriss()
        let pricer = EnergyPricer(spec: spec, dataflow: .rs)
        var fused = Self.conv3
        fused.fusedActivation = "relu"
        let plain = try pricer.price(Self.conv3)
        let withRelu = try pricer.price(fused)
        #expect(abs(withRelu.arithmeticEnergy - plain.arithmeticEnergy - Double(Self.conv3.outputWords) * spec.operationEnergy) < 1e-3)
        #expect(withRelu.notes.contains { $0.contains("fused relu") })
        var counted = fused
        counted.otherOperations = 2 * Self.conv3.outputWords
        let explicit = try pricer.price(counted)
        #expect(abs(explicit.otherOperations - Double(2 * Self.conv3.outputWords)) < 1e-9)
        #expect(explicit.notes.isEmpty)
    }

    @Test("the CPU preset charges Dally's instruction overhead on every MAC")
    func cpuInstructionOverhead() throws {
        let spec = try ArchitectureSpec.preset(named: "cpu")
        let price = try EnergyPricer(spec: spec, dataflow: .os).price(Self.conv3)
        #expect(abs(price.arithmeticEnergy / price.macs - (4.6 + 250.0 / 16)) < 1e-9)
        #expect(price.level(.noc).status == .absent)
    }

    @Test("every dataflow prices AlexNet's shapes on every preset with finite, positive energies",
          arguments: Dataflow.allCases)
    func everyDataflowOnEveryPreset(dataflow: Dataflow) throws {
        for name in ArchitectureSpec.presetNames {
            let pricer = EnergyPricer(spec: try ArchitectureSpec.preset(named: name), dataflow: dataflow)
            for shape in AlexNetShapes.all(batch: 2) {
                let price = try pricer.price(shape)
                #expect(price.totalEnergy.isFinite && price.totalEnergy > 0, "\(name) \(dataflow) \(shape.name)")
                #expect(price.cycles > 0 && price.utilization > 0 && price.utilization <= 1, "\(name) \(dataflow) \(shape.name)")
                let sum = price.arithmeticEnergy + price.levels.reduce(0) { $0 + $1.energy.total } + price.idleEnergy
                #expect(abs(sum / price.totalEnergy - 1) < 1e-9)
            }
        }
    }
}
