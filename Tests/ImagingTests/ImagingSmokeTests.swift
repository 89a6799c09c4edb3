import Testing
@testable import Imaging

@Test func ImagingModuleLinks() { #expect(Bool(true)) }
