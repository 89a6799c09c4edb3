import Foundation
import Testing
import Workloads

/// Read failures are named in the C library's words, the same on every toolchain (not
/// Foundation's "The operation could not be completed …", nor "error 256" for a folder).
@Test func fileReadFailuresAreNamedByTheCLibrary() throws {
    let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/model.onnx")
    let missingError = try #require(throws: (any Error).self) { try Data(contentsOf: missing) }
    #expect(fileReadFailureReason(missingError, path: missing.path) == "No such file or directory")
    let attributesError = try #require(throws: (any Error).self) { try FileManager.default.attributesOfItem(atPath: missing.path) }
    #expect(fileReadFailureReason(attributesError) == "No such file or directory")

    let folder = FileManager.default.temporaryDirectory
    let folderError = try #require(throws: (any Error).self) { try Data(contentsOf: folder) }
    #expect(fileReadFailureReason(folderError, path: folder.path) == "Is a directory")

    // No errno and no path to look at: Foundation's own description is kept.
    struct Unrelated: LocalizedError { var errorDescription: String? { "unrelated" } }
    #expect(fileReadFailureReason(Unrelated()) == "unrelated")
}
