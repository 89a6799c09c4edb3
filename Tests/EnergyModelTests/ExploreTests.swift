import Testing
import Foundation
import Workloads
@testable import EnergyModel

@Test func explore() throws {
    let spec = try ArchitectureSpec.preset(named: "eyeriss")
    let zin = [0.0001, 0.387, 0.725, 0.793, 0.776]
    let zout = [0.387, 0.725, 0.793, 0.776, 0.776]
    let pricer = EnergyPricer(spec: spec, dataflow: .rs)
    var tot = 0.0
    let meas = [(332.0, 16.5), (288, 39.2), (266, 21.8), (235, 16.0), (236, 10.0)]
    var es: [Double] = []
    for (i, s) in AlexNetShapes.convolutions(batch: 4).enumerated() {
        let p = try pricer.price(s, zeros: ZeroFractions(inputs: zin[i], outputs: zout[i]))
        tot += p.onChipEnergy
        es.append(p.onChipEnergy)
        print(s.name, String(format: "onchip %.3e  lat %.2f ms (chip %.1f) ratio %.3f  active %d  dram MB %.2f  perMAC %.2f", p.onChipEnergy, p.latencySeconds*1e3, meas[i].1, p.latencySeconds*1e3/meas[i].1, p.activePEs, p.level(.dram).words.total*2/1e6, p.onChipEnergy/p.macs), p.mapping)
    }
    let k = 278e-3 * (4 / 34.7) / tot * 1e12
    print("k pJ/unit", k)
    for (i, s) in AlexNetShapes.convolutions(batch: 4).enumerated() {
        let p = try pricer.price(s, zeros: ZeroFractions(inputs: zin[i], outputs: zout[i]))
        let power = es[i] * k * 1e-12 / p.latencySeconds * 1e3
        print(s.name, String(format: "power %.0f mW vs %.0f ratio %.3f", power, meas[i].0, power/meas[i].0))
    }
}
