import Foundation
import Testing
import Workloads
@testable import EnergyModel

/// Streaming fusion (docs/ENERGY.md, "Streaming fusion"): small hand-built chains whose
/// DRAM words are counted by hand, with and without fusion.
@Suite struct StreamingFusionTests {
    static let kind = OperatorKind("test_stream", .streaming)

    /// A streaming operator of `inputs` → `outputs` words holding `lineBuffer` words.
    static func stream(_ name: String, inputs: Int, outputs: Int, lineBuffer: Int = 10, producers: [String]?) -> OperatorShape {
        OperatorShape(name: name, kind: kind, loopNest: LoopNest(M: 1, C: 1, H: 10, W: 10, P: 10, Q: 10),
                      bitWidths: BitWidths(uniform: 16), macs: 0, otherOperations: outputs, weightWords: 0,
                      inputWords: inputs, outputWords: outputs,
                      streaming: StreamingFootprint(lineBufferWords: lineBuffer, windowWords: 4,
                                                    lineBufferReadsPerOutput: 2, windowReadsPerOutput: 4),
                      producers: producers)
    }

    static func trace(_ shapes: [OperatorShape]) -> Trace {
        Trace(model: ModelIdentity(name: "chain", source: "test", weights: "none"), inputPixels: 100, shapes: shapes)
    }

    /// The `eyeriss` preset (16-bit words, no run-length compression of dense data) with
    /// its global buffer set to `bufferWords`.
    static func spec(bufferWords: Int = 55_296, fuse: Bool = true) throws -> ArchitectureSpec {
        var spec = try ArchitectureSpec.preset(named: "eyeriss")
        let i = spec.levels.firstIndex { $0.level == .globalBuffer }!
        spec.levels[i].capacity = .shared(words: bufferWords)
        spec.fuseStreaming = fuse
        return spec
    }

    static func dram(_ price: NetworkPrice, _ name: String) -> LevelCost {
        price.operators.first { $0.name == name }!.level(.dram)
    }

    static let chain = [
        stream("a", inputs: 100, outputs: 50, producers: []),
        stream("b", inputs: 50, outputs: 30, producers: ["a"]),
        stream("c", inputs: 30, outputs: 20, producers: ["b"]),
    ]

    @Test("a fused chain reads the frame once and writes only its last output")
    func fusedChainDRAMWords() throws {
        let fused = try EnergyPricer(spec: try Self.spec(), dataflow: .rs).price(trace: Self.trace(Self.chain))
        #expect(Self.dram(fused, "a").words == PerDataType(inputs: 100))
        #expect(Self.dram(fused, "b").status == .unused)      // nothing moves: shown, not silently zero
        #expect(Self.dram(fused, "c").words == PerDataType(outputs: 20))
        #expect(fused.levelTotals.first { $0.level == .dram }!.words.total == 120)
        let b = try #require(fused.operators[1].fusion)
        #expect(b.inputOnChip && b.outputOnChip && b.reason == nil)
        #expect(b.chainLineBufferWords == 30)
        #expect(fused.operators[1].notes.contains(StreamingFusion.noteInputFused))
        #expect(fused.operators[0].notes.contains(StreamingFusion.noteOutputOnChip))
        #expect(fused.notes.contains { $0.hasPrefix("streaming fusion on: 2 of 3") })

        let unfused = try EnergyPricer(spec: try Self.spec(), dataflow: .rs, fuseStreaming: false).price(trace: Self.trace(Self.chain))
        #expect(Self.dram(unfused, "a").words == PerDataType(inputs: 100, outputs: 50))
        #expect(Self.dram(unfused, "b").words == PerDataType(inputs: 50, outputs: 30))
        #expect(Self.dram(unfused, "c").words == PerDataType(inputs: 30, outputs: 20))
        #expect(unfused.operators[1].fusion == StreamingFusion(inputOnChip: false, outputOnChip: false, chainLineBufferWords: 10, reason: "streaming fusion off"))
        #expect(unfused.totalEnergy > fused.totalEnergy)
        // On-chip work is unchanged apart from the producer's output staging in the GLB.
        #expect(fused.arithmeticEnergy == unfused.arithmeticEnergy)
        let glb = { (p: NetworkPrice) in p.levelTotals.first { $0.level == .globalBuffer }!.words }
        #expect(glb(unfused).outputs - glb(fused).outputs == 50 + 30)
        #expect(glb(unfused).inputs == glb(fused).inputs)
    }

    @Test("the spec key fuse_streaming: false prices as --no-fusion does")
    func specSwitch() throws {
        let off = try EnergyPricer(spec: try Self.spec(fuse: false), dataflow: .rs).price(trace: Self.trace(Self.chain))
        let flag = try EnergyPricer(spec: try Self.spec(), dataflow: .rs, fuseStreaming: false).price(trace: Self.trace(Self.chain))
        #expect(off.totalEnergy == flag.totalEnergy)
        #expect(off.notes.contains { $0.hasPrefix("streaming fusion off") })
        let on = try EnergyPricer(spec: try Self.spec(fuse: false), dataflow: .rs, fuseStreaming: true).price(trace: Self.trace(Self.chain))
        #expect(on.totalEnergy < off.totalEnergy)
    }

    @Test func specKeyIsParsedAndChecked() throws {
        let yaml = try #require(ArchitectureSpec.presetYAML(named: "eyeriss"))
        #expect(try ArchitectureSpec.parse(yaml: yaml, file: "x.yaml").fuseStreaming)
        let off = try ArchitectureSpec.parse(yaml: yaml + "\nfuse_streaming: false\n", file: "x.yaml")
        #expect(!off.fuseStreaming)
        #expect(off.summary().contains("streaming fusion: off"))
        #expect(try !ArchitectureSpec.parse(yaml: yaml, file: "x.yaml").summary().contains("streaming fusion"))
        do {
            _ = try ArchitectureSpec.parse(yaml: yaml + "\nfuse_streaming: sometimes\n", file: "x.yaml")
            Issue.record("a non-boolean fuse_streaming was accepted")
        } catch let error as SpecError {
            #expect(error.file == "x.yaml" && error.key == "fuse_streaming" && error.reason == "expected true or false")
        }
    }

    @Test("line buffers that do not fit the global buffer break the chain there")
    func capacityBreaksTheChain() throws {
        // a+b = 20 words fit; a+b+c = 30 do not: c reads b's output from DRAM.
        let price = try EnergyPricer(spec: try Self.spec(bufferWords: 25), dataflow: .rs).price(trace: Self.trace(Self.chain))
        #expect(Self.dram(price, "a").words == PerDataType(inputs: 100))
        #expect(Self.dram(price, "b").words == PerDataType(outputs: 30))
        #expect(Self.dram(price, "c").words == PerDataType(inputs: 30, outputs: 20))
        let c = try #require(price.operators[2].fusion)
        #expect(!c.inputOnChip && c.reason == StreamingFusion.reasonTooLarge)
        #expect(price.operators[2].notes.contains(StreamingFusion.reasonTooLarge))
    }

    @Test("an output also read by an unfused consumer is written to DRAM")
    func unfusedConsumerKeepsTheWrite() throws {
        var relu = OperatorShape(name: "r", kind: .relu, loopNest: LoopNest(M: 1, C: 1, H: 10, W: 5, P: 10, Q: 5),
                                 macs: 0, otherOperations: 50, weightWords: 0, inputWords: 50, outputWords: 50)
        relu.producers = ["a"]
        let shapes = Self.chain + [relu]
        let price = try EnergyPricer(spec: try Self.spec(), dataflow: .rs, fuseActivations: false).price(trace: Self.trace(shapes))
        #expect(Self.dram(price, "a").words == PerDataType(inputs: 100, outputs: 50))
        #expect(Self.dram(price, "b").status == .unused)  // b still takes a's stream on chip
        #expect(price.operators[3].fusion == nil)        // element-wise: not a streaming operator
    }

    @Test("operators with unknown producers (old traces) are priced as before")
    func unknownProducersAreNotFused() throws {
        let old = Self.chain.map { s -> OperatorShape in var s = s; s.producers = nil; return s }
        let price = try EnergyPricer(spec: try Self.spec(), dataflow: .rs).price(trace: Self.trace(old))
        let unfused = try EnergyPricer(spec: try Self.spec(), dataflow: .rs, fuseStreaming: false).price(trace: Self.trace(Self.chain))
        #expect(price.operators.allSatisfy { $0.fusion == nil })
        #expect(price.totalEnergy == unfused.totalEnergy)
        #expect(!price.notes.contains { $0.contains("streaming fusion") })
        // A later operator of unknown producers might read any output: those stay in DRAM.
        var mixed = Self.chain
        mixed.append(Self.stream("d", inputs: 20, outputs: 5, producers: nil))
        let mixedPrice = try EnergyPricer(spec: try Self.spec(), dataflow: .rs).price(trace: Self.trace(mixed))
        #expect(Self.dram(mixedPrice, "a").words == PerDataType(inputs: 100, outputs: 50))
        #expect(Self.dram(mixedPrice, "b").words == PerDataType(outputs: 30))
    }

    @Test("frame consumers share DRAM passes over the frame while their line buffers fit")
    func frameIsSharedByPasses() throws {
        // Three chains reading the same 100-word frame; 10 words of line buffer each.
        var shapes: [OperatorShape] = []
        for k in 0..<3 {
            shapes.append(Self.stream("s\(k)", inputs: 100, outputs: 40, producers: []))
            shapes.append(Self.stream("t\(k)", inputs: 40, outputs: 4, producers: ["s\(k)"]))
        }
        let shared = try EnergyPricer(spec: try Self.spec(), dataflow: .rs).price(trace: Self.trace(shapes))
        #expect(shared.levelTotals.first { $0.level == .dram }!.words == PerDataType(inputs: 100, outputs: 12))
        #expect(shared.operators.map { $0.fusion!.framePass } == [0, nil, 0, nil, 0, nil])
        #expect(shared.notes.contains { $0.hasSuffix("the frame is read from DRAM 1 time (1 shared pass)") })
        // 45 words: two chains (40 words) per pass, so two passes read the frame.
        let tight = try EnergyPricer(spec: try Self.spec(bufferWords: 45), dataflow: .rs).price(trace: Self.trace(shapes))
        #expect(tight.levelTotals.first { $0.level == .dram }!.words == PerDataType(inputs: 200, outputs: 12))
        #expect(tight.operators.map { $0.fusion!.framePass } == [0, nil, 0, nil, nil, nil])
        // Without fusion: three frame reads and every intermediate written and read back.
        let off = try EnergyPricer(spec: try Self.spec(), dataflow: .rs, fuseStreaming: false).price(trace: Self.trace(shapes))
        #expect(off.levelTotals.first { $0.level == .dram }!.words == PerDataType(inputs: 300 + 120, outputs: 120 + 12))
    }

    @Test("CNN operators keep today's pricing whether or not fusion is on")
    func cnnUnchanged() throws {
        var shapes = AlexNetShapes.convolutions(batch: 1)
        for i in shapes.indices { shapes[i].producers = i == 0 ? [] : [shapes[i - 1].name] }
        let on = try EnergyPricer(spec: try Self.spec(), dataflow: .rs).price(trace: Self.trace(shapes))
        let off = try EnergyPricer(spec: try Self.spec(), dataflow: .rs, fuseStreaming: false).price(trace: Self.trace(shapes))
        #expect(on == off)
        #expect(on.operators.allSatisfy { $0.fusion == nil })
    }

    @Test("the fusion decision is a documented JSON key")
    func jsonKey() throws {
        let price = try EnergyPricer(spec: try Self.spec(), dataflow: .rs).price(trace: Self.trace(Self.chain))
        let json = String(decoding: try price.jsonData(), as: UTF8.self)
        #expect(json.contains("\"inputOnChip\" : true"))
        #expect(json.contains("\"outputOnChip\" : true"))
        #expect(json.contains("\"chainLineBufferWords\" : 30"))
    }
}
