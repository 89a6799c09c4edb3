import Testing
@testable import Executor

@Test func ExecutorModuleLinks() { #expect(Bool(true)) }
