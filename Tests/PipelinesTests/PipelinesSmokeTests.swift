import Testing
@testable import Pipelines

@Test func PipelinesModuleLinks() { #expect(Bool(true)) }
