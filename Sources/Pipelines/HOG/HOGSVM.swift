import Foundation
import Workloads

/// A linear SVM over 64×128 HOG descriptors: 3780 weights in OpenCV's descriptor order
/// and a bias. A window's score is `weights · descriptor + bias`; a window is a hit when
/// the score is at least the hit threshold.
public struct HOGLinearSVM: Sendable, Hashable {
    /// 3780 weights, OpenCV's descriptor order (blocks x outer / y inner, cells x-major,
    /// 9 bins inner).
    public let weights: [Float]
    public let bias: Float

    /// Expected coefficient count of a detector file: 3780 weights + 1 bias.
    public static let coefficientCount = HOGGeometry.descriptorLength + 1

    public init(weights: [Float], bias: Float) throws(HOGError) {
        guard weights.count == HOGGeometry.descriptorLength else {
            throw HOGError(.invalidDetector, "has \(weights.count) weights; a 64×128 people detector needs \(HOGGeometry.descriptorLength) (plus a bias)")
        }
        guard weights.allSatisfy(\.isFinite), bias.isFinite else {
            throw HOGError(.invalidDetector, "has a coefficient that is not a finite number")
        }
        self.weights = weights; self.bias = bias
    }

    /// Parses a detector file: whitespace-separated decimal numbers, 3780 weights then the
    /// bias (the format of `HOGDescriptor::getDefaultPeopleDetector()` written one per line).
    public init(text: String, source: String) throws(HOGError) {
        var numbers: [Float] = []
        numbers.reserveCapacity(HOGLinearSVM.coefficientCount)
        for (index, token) in text.split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," }).enumerated() {
            guard let v = Float(token) else {
                throw HOGError(.invalidDetector, "coefficient \(index + 1) ('\(token.prefix(20))') is not a number", subject: source)
            }
            numbers.append(v)
        }
        guard numbers.count == HOGLinearSVM.coefficientCount else {
            throw HOGError(.invalidDetector, "has \(numbers.count) coefficients; a 64×128 detector has \(HOGLinearSVM.coefficientCount) (3780 weights and the bias)", subject: source)
        }
        do {
            try self.init(weights: Array(numbers[0..<HOGGeometry.descriptorLength]), bias: numbers[HOGGeometry.descriptorLength])
        } catch {
            throw HOGError(error.code, error.reason, subject: source)
        }
    }

    /// Reads a detector file (see ``init(text:source:)``).
    /// Errors name the file as given (`url.relativePath`: a relative path stays relative).
    public init(contentsOf url: URL) throws(HOGError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw HOGError(.invalidDetector, "cannot be read: \(fileReadFailureReason(error, path: url.path))", subject: url.relativePath)
        }
        // An image or other binary file given by mistake: say what it is not, not Foundation's
        // "isn't in the correct format".
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else {
            throw HOGError(.invalidDetector, "is not a UTF-8 text file, so not a detector (a detector file holds \(HOGGeometry.descriptorLength) weights then the bias, as decimal numbers)", subject: url.relativePath)
        }
        try self.init(text: text, source: url.relativePath)
    }

    /// OpenCV's default people detector (`HOGDescriptor::getDefaultPeopleDetector()`,
    /// Apache-2.0), shipped as a resource of this module.
    public static func defaultPeopleDetector() throws(HOGError) -> HOGLinearSVM {
        guard let url = Bundle.module.url(forResource: "opencv_default_people_detector_64x128", withExtension: "txt", subdirectory: "Resources") else {
            throw HOGError(.invalidDetector, "the default people detector resource is missing from the Pipelines bundle")
        }
        return try HOGLinearSVM(contentsOf: url)
    }

    /// Score of one 3780-value descriptor.
    public func score(descriptor: [Float]) -> Float {
        precondition(descriptor.count == weights.count)
        var s: Float = 0
        for i in 0..<weights.count { s += weights[i] * descriptor[i] }
        return s + bias
    }

    /// The weights regrouped by window block row: `rows[j]` holds, for j in 0..<15, the
    /// 7 blocks (x = 0…6) of block row j, 36 values each, i.e. 252 values padded to 256
    /// with zeros, so a window's score is `Σ_j rows[j] · blockMap[row wy+j, columns wx…wx+6]`.
    var weightsByBlockRow: [Float] {
        var rows = [Float](repeating: 0, count: HOGGeometry.blocksPerWindowY * 256)
        for j in 0..<HOGGeometry.blocksPerWindowY {
            for i in 0..<HOGGeometry.blocksPerWindowX {
                let src = (i * HOGGeometry.blocksPerWindowY + j) * 36
                for k in 0..<36 { rows[j * 256 + i * 36 + k] = weights[src + k] }
            }
        }
        return rows
    }
}

enum HOGSVMKernel {
    /// Scores every window of a block map whose top-left block lies on the grid
    /// `bx = strideBlocks·wx`, `by = strideBlocks·wy`. Returns row-major scores
    /// (`windowsY × windowsX`), bias included. `rows` is ``HOGLinearSVM/weightsByBlockRow``.
    static func scores(map: HOGBlockMap, rows: [Float], bias: Float, strideBlocks: Int) -> (scores: [Float], windowsX: Int, windowsY: Int) {
        let wbx = HOGGeometry.blocksPerWindowX, wby = HOGGeometry.blocksPerWindowY
        guard map.blocksX >= wbx, map.blocksY >= wby else { return ([], 0, 0) }
        let nwx = (map.blocksX - wbx) / strideBlocks + 1
        let nwy = (map.blocksY - wby) / strideBlocks + 1
        var scores = [Float](repeating: 0, count: nwx * nwy)
        typealias V = SIMD16<Float>
        map.values.withUnsafeBufferPointer { f in
        rows.withUnsafeBufferPointer { w in
        scores.withUnsafeMutableBufferPointer { out in
            let fb = UnsafeRawPointer(f.baseAddress!)
            let wb = UnsafeRawPointer(w.baseAddress!)
            let rowFloats = map.blocksX * 36
            for wy in 0..<nwy {
                var wx = 0
                // Four windows at a time share each weight load.
                while wx < nwx {
                    let lanes = min(4, nwx - wx)
                    var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                    for j in 0..<wby {
                        let rowBase = ((wy * strideBlocks + j) * rowFloats) * 4
                        let wRow = j * 256 * 4
                        let o0 = rowBase + wx * strideBlocks * 36 * 4
                        let step = strideBlocks * 36 * 4
                        // 252 real values = 15 full vectors + 12 (the rest of the 16th are zero weights).
                        for k in 0..<16 {
                            let wv = wb.loadUnaligned(fromByteOffset: wRow + k * 64, as: V.self)
                            a0 = a0.addingProduct(fb.loadUnaligned(fromByteOffset: o0 + k * 64, as: V.self), wv)
                            if lanes > 1 { a1 = a1.addingProduct(fb.loadUnaligned(fromByteOffset: o0 + step + k * 64, as: V.self), wv) }
                            if lanes > 2 { a2 = a2.addingProduct(fb.loadUnaligned(fromByteOffset: o0 + 2 * step + k * 64, as: V.self), wv) }
                            if lanes > 3 { a3 = a3.addingProduct(fb.loadUnaligned(fromByteOffset: o0 + 3 * step + k * 64, as: V.self), wv) }
                        }
                    }
                    let base = wy * nwx + wx
                    out[base] = a0.sum() + bias
                    if lanes > 1 { out[base + 1] = a1.sum() + bias }
                    if lanes > 2 { out[base + 2] = a2.sum() + bias }
                    if lanes > 3 { out[base + 3] = a3.sum() + bias }
                    wx += 4
                }
            }
        }}}
        return (scores, nwx, nwy)
    }
}
