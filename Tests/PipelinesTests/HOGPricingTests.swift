import EnergyModel
import Foundation
import Testing
import Workloads
@testable import Pipelines

/// HOG priced end to end on the energy model's presets, at 1080p (the published HOG
/// ASIC's resolution, REFERENCE.md §3): the field's central result is HOG two to three
/// orders of magnitude below CNNs per pixel; with the pyramid chain fused on chip
/// (docs/ENERGY.md, "Streaming fusion") the model should put it far below AlexNet.
@Suite struct HOGPricingTests {
    static func hog1080() throws -> Trace { try HOGDetector.shapeTrace(width: 1920, height: 1080, channels: 3) }

    @Test("the HOG chain names its producers: resize ← frame, then gradient → binning → block_norm → svm per level")
    func chainProducers() throws {
        let ops = try Self.hog1080().operators.map(\.shape)
        let byName = Dictionary(uniqueKeysWithValues: ops.map { ($0.name, $0.producers) })
        #expect(byName["L0/gradient"] == .some([]))  // level 0 is the frame itself
        #expect(byName["L0/binning"] == .some(["L0/gradient"]))
        #expect(byName["L1/resize"] == .some([]))
        #expect(byName["L1/gradient"] == .some(["L1/resize"]))
        #expect(byName["L1/block_norm"] == .some(["L1/binning"]))
        #expect(byName["L1/svm"] == .some(["L1/block_norm"]))
        #expect(ops.allSatisfy { $0.producers != nil })
    }

    /// The footprints are a streaming datapath's (docs/HOG.md, "Trace"), hand-counted at
    /// level 0 of 1080p RGB: 1920 × 1080 pixels, 240 × 135 cells, 239 × 134 blocks,
    /// 233 × 120 windows.
    @Test("1080p level 0: line buffers of a streaming datapath, not of the software kernel")
    func level0Footprints() throws {
        let ops = Dictionary(uniqueKeysWithValues: try Self.hog1080().operators.map { ($0.shape.name, $0.shape) })
        let gradient = try #require(ops["L0/gradient"]), binning = try #require(ops["L0/binning"])
        let norm = try #require(ops["L0/block_norm"]), svm = try #require(ops["L0/svm"])
        #expect(gradient.streaming?.lineBufferWords == 2 * 1920 * 3)  // 2 rows × RGB
        #expect(binning.streaming?.lineBufferWords == 2 * 239 * 36)   // 2 open block rows
        #expect(norm.streaming?.lineBufferWords == 239 * 36)          // 1 completed block row
        #expect(svm.streaming?.lineBufferWords == 15 * 233)           // 15 open window rows
        // Binning hands over block histograms (36 per block), which normalisation reads.
        #expect(binning.outputWords == 239 * 134 * 36)
        #expect(norm.inputWords == binning.outputWords && norm.outputWords == binning.outputWords)
        #expect(norm.otherOperations == 239 * 134 * (3 * 36 + 4))
        // Unchanged arithmetic: 18 binning MACs per pixel, 3780 SVM MACs per window.
        #expect(binning.macs == 18 * 1920 * 1080)
        #expect(svm.macs == 233 * 120 * 3780)
    }

    @Test("HOG at 1080p: every level's chain fits the global buffer and is fused, no line buffer is striped",
          arguments: ["eyeriss-pj", "edge-int8"])
    func everyChainFused(_ preset: String) throws {
        let hog = try Self.hog1080()
        let price = try EnergyPricer(spec: try ArchitectureSpec.preset(named: preset), dataflow: .rs).price(trace: hog)
        for (op, priced) in zip(hog.operators, price.operators) where op.shape.producers?.isEmpty == false {
            #expect(priced.fusion?.inputOnChip == true, "\(op.shape.name): \(priced.fusion?.reason ?? "no fusion decision")")
        }
        #expect(!price.operators.contains { $0.notes.contains { $0.contains("stripes") } })
    }

    /// Priced 2026-11-21 (docs/HOG.md, "Priced"): HOG fused is 20.6× (`eyeriss-pj`) and 90×
    /// (`edge-int8`) below AlexNet batch 1 per pixel; the bounds keep a margin of ≥ 25 %.
    @Test("HOG at 1080p: fusion cuts DRAM traffic, and HOG prices far below AlexNet per pixel",
          arguments: [("eyeriss-pj", 15.0), ("edge-int8", 50.0)])
    func hogFarBelowAlexNet(_ preset: String, _ minimumRatio: Double) throws {
        let spec = try ArchitectureSpec.preset(named: preset)
        let hog = try Self.hog1080()
        let fused = try EnergyPricer(spec: spec, dataflow: .rs).price(trace: hog)
        let unfused = try EnergyPricer(spec: spec, dataflow: .rs, fuseStreaming: false).price(trace: hog)
        let alexnet = try EnergyPricer(spec: spec, dataflow: .rs).price(trace: Trace.loadForPricing("alexnet"))
        let dram = { (p: NetworkPrice) in p.levelTotals.first { $0.level == .dram }!.words.total }
        #expect(dram(fused) < 0.25 * dram(unfused))
        #expect(fused.energyPerInputPixel < 0.5 * unfused.energyPerInputPixel)
        #expect(fused.energyPerInputPixel * minimumRatio < alexnet.energyPerInputPixel,
                "HOG \(fused.energyPerInputPixel / 1000) nJ/px vs AlexNet \(alexnet.energyPerInputPixel / 1000) nJ/px")
        // On-chip work does not depend on fusion beyond the staging of fused outputs.
        #expect(fused.arithmeticEnergy == unfused.arithmeticEnergy)
    }
}
