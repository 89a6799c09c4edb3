import Testing
@testable import EnergyModel

@Test func EnergyModelModuleLinks() { #expect(Bool(true)) }
