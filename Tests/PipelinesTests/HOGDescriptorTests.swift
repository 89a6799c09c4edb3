import Foundation
import Testing
@testable import Pipelines
import Imaging

/// Fixtures of Tests/PipelinesTests/Fixtures (see LICENSES there).
enum HOGFixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!
    }
    /// The 64×128 gray window of the reference test vector, from its raw bytes.
    static func window() throws -> Image<UInt8> {
        let bytes = [UInt8](try Data(contentsOf: url("window_person_64x128.gray8")))
        return try Image<UInt8>.hogInput(width: 64, height: 128, channels: 1, pixels: bytes)
    }
    /// OpenCV 4.14's descriptor of that window.
    static func referenceDescriptor() throws -> [Float] {
        try String(contentsOf: url("window_person_64x128_descriptor.txt"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map { Float($0)! }
    }
}

@Suite struct HOGDescriptorTests {
    @Test func descriptorEqualsOpenCVReferenceWithin1eMinus3() throws {
        let detector = try HOGDetector.defaultPeople()
        let descriptor = try detector.descriptor(window: HOGFixtures.window())
        let reference = try HOGFixtures.referenceDescriptor()
        #expect(descriptor.count == 3780)
        #expect(reference.count == 3780)
        let worst = zip(descriptor, reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-3, "largest difference \(worst)")
    }

    /// data/hog README: the default detector scores the window 1.81566 (OpenCV 4.14).
    @Test func defaultDetectorScoresTheWindow1_8157() throws {
        let detector = try HOGDetector.defaultPeople()
        let score = detector.svm.score(descriptor: try detector.descriptor(window: HOGFixtures.window()))
        #expect(abs(score - 1.8157) <= 0.01, "score \(score)")
    }
}
