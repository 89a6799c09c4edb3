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

    @Test("HOG at 1080p: fusion cuts DRAM traffic, and HOG prices ≥ 10× below AlexNet per pixel",
          arguments: ["eyeriss-pj", "edge-int8"])
    func hogFarBelowAlexNet(_ preset: String) throws {
        let spec = try ArchitectureSpec.preset(named: preset)
        let hog = try Self.hog1080()
        let fused = try EnergyPricer(spec: spec, dataflow: .rs).price(trace: hog)
        let unfused = try EnergyPricer(spec: spec, dataflow: .rs, fuseStreaming: false).price(trace: hog)
        let alexnet = try EnergyPricer(spec: spec, dataflow: .rs).price(trace: Trace.loadForPricing("alexnet"))
        let dram = { (p: NetworkPrice) in p.levelTotals.first { $0.level == .dram }!.words.total }
        #expect(dram(fused) < 0.5 * dram(unfused))
        #expect(fused.energyPerInputPixel < 0.5 * unfused.energyPerInputPixel)
        #expect(fused.energyPerInputPixel * 10 < alexnet.energyPerInputPixel,
                "HOG \(fused.energyPerInputPixel / 1000) nJ/px vs AlexNet \(alexnet.energyPerInputPixel / 1000) nJ/px")
        // On-chip work does not depend on fusion beyond the staging of fused outputs.
        #expect(fused.arithmeticEnergy == unfused.arithmeticEnergy)
    }
}
