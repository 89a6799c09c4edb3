import Foundation
import Imaging
import Workloads

/// HOG's operators in the Trace vocabulary: non-CNN streaming operators (DESIGN.md),
/// priced by `EnergyModel` from their operation counts, words and `StreamingFootprint`.
extension OperatorKind {
    /// Bilinear resampling of the input to one pyramid level (`INTER_LINEAR_EXACT`).
    public static let hogPyramidResize = OperatorKind("hog_pyramid_resize", .streaming)
    /// Gamma (√), [−1 0 1] gradients, per-pixel magnitude and orientation split over two bins.
    public static let hogGradient = OperatorKind("hog_gradient", .streaming)
    /// Gaussian- and bilinear-weighted orientation histograms of 8×8 cells.
    public static let hogBinning = OperatorKind("hog_binning", .streaming)
    /// 2×2-cell block histograms and L2-Hys normalisation.
    public static let hogBlockNormalisation = OperatorKind("hog_block_norm", .streaming)
    /// Linear-SVM dot products of every window (3780 MACs each).
    public static let hogSVM = OperatorKind("hog_svm", .streaming)
}

/// Operation counts per unit of work, as the kernels in HOGFeatures.swift perform them,
/// except where a streaming hardware datapath computing the same values does less (block
/// assembly, below). Documented in docs/HOG.md ("Trace").
enum HOGOperationCounts {
    /// Gradient MACs per pixel per channel: dx·dx + dy·dy.
    static let gradientMACsPerPixelChannel = 2
    /// Other gradient operations per pixel per channel: gamma lookup, two subtractions,
    /// the compare-and-select of the strongest channel.
    static let gradientOpsPerPixelChannel = 4
    /// Other gradient operations per pixel after the channel choice: square root (1),
    /// polynomial arctangent (abs ×2, min/max ×2, add, divide, 4 multiply-adds counted
    /// as 8, 3 quadrant corrections, 2 scalings = 19), bin split (floor, subtract, two
    /// wraps, 1 − f, two products = 7).
    static let gradientOpsPerPixel = 27
    /// Words the gradient writes per pixel: lower-bin weight, upper-bin weight, bin.
    static let gradientWordsPerPixel = 3
    /// Binning MACs per pixel: 2 bins × 9 non-zero (block half, target cell) weights (3 per axis).
    static let binningMACsPerPixel = 18
    /// The software kernel's partial histograms per cell: 16 (cell half × target cell, per
    /// axis) × 9 bins. Only its measured `bytesTouched` uses it: the streaming datapath of
    /// the trace accumulates block histograms directly (`binningOpenBlockRows`).
    static let softwarePartialWordsPerCell = 144
    /// Block rows a raster-order binning datapath keeps open: the pixels of cell row r vote
    /// into the lower half of block row r − 1 and the upper half of block row r, with
    /// OpenCV's Gaussian × bilinear weights (which depend on the pixel's place in the block,
    /// so plain 9-bin cell histograms cannot be combined into OpenCV's blocks afterwards).
    static let binningOpenBlockRows = 2
    /// Line-buffer read-modify-writes per 8-pixel row segment of a cell: the segment's
    /// x-weighted votes (registers) are added into 9 non-zero (block, target cell) pairs × 9 bins.
    static let binningLineBufferUpdatesPerCellRowSegment = 81
    /// Block normalisation per block: sums of squares (2 × 36 MACs); 36 multiplies, 36
    /// clips and 36 multiplies, 2 square roots, 2 reciprocals. The software kernel also
    /// adds 4 partials per value (108 adds) to assemble the block; the streaming datapath
    /// has already accumulated the block in binning, so they are not counted.
    static let normalisationMACsPerBlock = 72
    static let normalisationOpsPerBlock = 36 * 3 + 4
    /// Reads per normalised value from the block held in registers: two sums of squares,
    /// scale, clip, scale.
    static let normalisationWindowReadsPerOutput = 5.0
}

enum HOGTraceBuilder {
    static func trace(
        outcomes: [HOGDetector.LevelOutcome], width: Int, height: Int, channels cn: Int, inputPath: String?,
        parameters p: HOGDetectionParameters, expansion: Double, svmWeightZeros: Int, measured: Bool = true
    ) -> Trace {
        var ops: [TraceOperator] = []
        let u8 = BitWidths(uniform: 8)
        let f32 = BitWidths.float32
        let mixed = BitWidths(weights: 32, inputs: 8, outputs: 32)
        for (k, o) in outcomes.enumerated() {
            let r = o.report, s = o.stats
            let prefix = "L\(k)"
            // Producers (docs/TRACE.md): each level is resized from the frame; the chain
            // resize → gradient → binning → block_norm → svm runs within the level.
            var gradientSource: [String] = []
            if r.width != width || r.height != height {
                gradientSource = ["\(prefix)/resize"]
                let resampledRows = min(height, 2 * r.height)
                let outWords = r.width * r.height * cn
                let shape = OperatorShape(
                    name: "\(prefix)/resize", kind: .hogPyramidResize,
                    loopNest: LoopNest(M: cn, C: cn, H: height, W: width, P: r.height, Q: r.width, R: 2, S: 2, groups: cn),
                    bitWidths: u8, macs: 2 * outWords + 2 * resampledRows * r.width * cn, otherOperations: outWords,
                    weightWords: 0, inputWords: width * height * cn, outputWords: outWords,
                    streaming: StreamingFootprint(lineBufferWords: 2 * r.width * cn, windowWords: 4 * cn,
                                                  lineBufferReadsPerOutput: 2, windowReadsPerOutput: 4),
                    producers: [])
                ops.append(TraceOperator(shape: shape, measured: MeasuredFacts(
                    inputZeroFraction: 0, outputZeroFraction: fraction(s.inputZeroComponents, s.inputComponents),
                    weightZeroFraction: nil, wallTimeSeconds: o.resizeSeconds,
                    bytesTouched: shape.inputWords + shape.outputWords)))
            }
            let pixels = s.binnedPixels
            let cells = s.cellsX * s.cellsY
            let blocks = r.blocksX * r.blocksY
            guard pixels > 0 else { continue }
            // Gradient.
            let gradient = OperatorShape(
                name: "\(prefix)/gradient", kind: .hogGradient,
                loopNest: LoopNest(M: 1, C: cn, H: r.height, W: r.width, P: s.cellsY * 8, Q: s.cellsX * 8, R: 3, S: 3,
                                   padTop: p.paddingPixels, padLeft: p.paddingPixels, padBottom: p.paddingPixels, padRight: p.paddingPixels),
                bitWidths: mixed,
                macs: HOGOperationCounts.gradientMACsPerPixelChannel * cn * pixels,
                otherOperations: (HOGOperationCounts.gradientOpsPerPixelChannel * cn + HOGOperationCounts.gradientOpsPerPixel) * pixels,
                weightWords: 0, inputWords: r.width * r.height * cn,
                outputWords: HOGOperationCounts.gradientWordsPerPixel * pixels,
                streaming: StreamingFootprint(lineBufferWords: 2 * s.paddedWidth * cn, windowWords: 9 * cn,
                                              lineBufferReadsPerOutput: Double(2 * cn) / Double(HOGOperationCounts.gradientWordsPerPixel),
                                              windowReadsPerOutput: Double(4 * cn) / Double(HOGOperationCounts.gradientWordsPerPixel)),
                producers: gradientSource)
            ops.append(TraceOperator(shape: gradient, measured: MeasuredFacts(
                inputZeroFraction: fraction(s.inputZeroComponents, s.inputComponents),
                outputZeroFraction: fraction(s.zeroMagnitudes, pixels),
                weightZeroFraction: nil, wallTimeSeconds: s.gradientSeconds,
                bytesTouched: gradient.inputWords + 4 * gradient.outputWords)))
            // Binning, as a streaming datapath runs it (docs/HOG.md, "Trace"): the gradient
            // stream (the 8-row cell band is not stored) votes into the block histograms of
            // the open block rows; a completed block row goes to block normalisation.
            let blockWords = blocks * HOGGeometry.blockHistogramLength
            let softwarePartialWords = HOGOperationCounts.softwarePartialWordsPerCell * cells
            let binningMACs = HOGOperationCounts.binningMACsPerPixel * pixels
            let binningLineBufferUpdates = pixels / 8 * HOGOperationCounts.binningLineBufferUpdatesPerCellRowSegment
            let binning = OperatorShape(
                name: "\(prefix)/binning", kind: .hogBinning,
                loopNest: LoopNest(M: HOGGeometry.blockHistogramLength, C: HOGOperationCounts.gradientWordsPerPixel,
                                   H: s.cellsY * 8, W: s.cellsX * 8, P: r.blocksY, Q: r.blocksX, R: 16, S: 16, strideH: 8, strideW: 8),
                bitWidths: f32, macs: binningMACs, otherOperations: 2 * pixels,
                weightWords: 64 * 16, inputWords: gradient.outputWords, outputWords: blockWords,
                // Held: the open block rows' histograms; in registers, the four blocks the
                // current cell votes into.
                streaming: StreamingFootprint(lineBufferWords: HOGOperationCounts.binningOpenBlockRows * r.blocksX * HOGGeometry.blockHistogramLength,
                                              windowWords: 4 * HOGGeometry.blockHistogramLength,
                                              lineBufferReadsPerOutput: fraction(binningLineBufferUpdates, blockWords),
                                              windowReadsPerOutput: fraction(binningMACs, blockWords)),
                producers: [gradient.name])
            ops.append(TraceOperator(shape: binning, measured: MeasuredFacts(
                inputZeroFraction: fraction(s.zeroMagnitudes, pixels), outputZeroFraction: 0,
                weightZeroFraction: 14.0 / 32.0, wallTimeSeconds: s.binningSeconds,
                bytesTouched: 4 * (gradient.outputWords + softwarePartialWords))))
            guard blocks > 0 else { continue }
            // Block normalisation: one completed block row, drained while binning fills the
            // next (double buffering); each block normalised in registers.
            let norm = OperatorShape(
                name: "\(prefix)/block_norm", kind: .hogBlockNormalisation,
                loopNest: LoopNest(M: HOGGeometry.blockHistogramLength, C: HOGGeometry.blockHistogramLength,
                                   H: r.blocksY, W: r.blocksX, P: r.blocksY, Q: r.blocksX, R: 1, S: 1),
                bitWidths: f32, macs: HOGOperationCounts.normalisationMACsPerBlock * blocks,
                otherOperations: HOGOperationCounts.normalisationOpsPerBlock * blocks,
                weightWords: 0, inputWords: blockWords, outputWords: blockWords,
                streaming: StreamingFootprint(lineBufferWords: r.blocksX * HOGGeometry.blockHistogramLength,
                                              windowWords: HOGGeometry.blockHistogramLength,
                                              lineBufferReadsPerOutput: 1,
                                              windowReadsPerOutput: HOGOperationCounts.normalisationWindowReadsPerOutput),
                producers: [binning.name])
            ops.append(TraceOperator(shape: norm, measured: MeasuredFacts(
                inputZeroFraction: 0, outputZeroFraction: fraction(s.zeroBlockValues, norm.outputWords),
                weightZeroFraction: nil, wallTimeSeconds: s.normalisationSeconds,
                bytesTouched: 4 * (softwarePartialWords + norm.outputWords))))
            // SVM.
            guard r.windows > 0 else { continue }
            let strideBlocks = p.windowStridePixels / 8
            let windowsX = (r.blocksX - HOGGeometry.blocksPerWindowX) / strideBlocks + 1
            let windowsY = r.windows / windowsX
            // Window rows (and columns) a block belongs to at this stride.
            let openWindowRows = (HOGGeometry.blocksPerWindowY + strideBlocks - 1) / strideBlocks
            let openWindowColumns = (HOGGeometry.blocksPerWindowX + strideBlocks - 1) / strideBlocks
            let svm = OperatorShape(
                name: "\(prefix)/svm", kind: .hogSVM,
                loopNest: LoopNest(M: 1, C: HOGGeometry.blockHistogramLength, H: r.blocksY, W: r.blocksX, P: windowsY, Q: windowsX,
                                   R: HOGGeometry.blocksPerWindowY, S: HOGGeometry.blocksPerWindowX, strideH: strideBlocks, strideW: strideBlocks),
                bitWidths: f32, macs: r.windows * HOGGeometry.descriptorLength, otherOperations: 2 * r.windows,
                weightWords: HOGLinearSVM.coefficientCount, inputWords: norm.outputWords, outputWords: r.windows,
                // Each normalised block is applied as it arrives. Held: the partial scores of
                // the open window rows (15 per window column); in registers, the block and the
                // 7 × 15 block-row partial sums of the windows it falls in. A window's score
                // is read and updated once per block row.
                streaming: StreamingFootprint(lineBufferWords: openWindowRows * windowsX,
                                              windowWords: HOGGeometry.blockHistogramLength + openWindowRows * openWindowColumns,
                                              lineBufferReadsPerOutput: Double(HOGGeometry.blocksPerWindowY),
                                              windowReadsPerOutput: Double(HOGGeometry.descriptorLength)),
                producers: [norm.name])
            ops.append(TraceOperator(shape: svm, measured: MeasuredFacts(
                inputZeroFraction: fraction(s.zeroBlockValues, norm.outputWords),
                outputZeroFraction: fraction(o.zeroScores, r.windows),
                weightZeroFraction: fraction(svmWeightZeros, HOGLinearSVM.coefficientCount),
                wallTimeSeconds: o.svmSeconds,
                bytesTouched: 4 * (svm.inputWords + svm.weightWords + svm.outputWords))))
        }
        if !measured { ops = ops.map { TraceOperator(shape: $0.shape, measured: nil) } }
        let pyramidPixels = outcomes.reduce(0) { $0 + $1.report.width * $1.report.height }
        let paddedPixels = outcomes.reduce(0) { $0 + $1.report.paddedWidth * $1.report.paddedHeight }
        let provenance: [String: String] = [
            "pipeline": "hog-people",
            "detector": "opencv_default_people_detector_64x128 (OpenCV 4.14, Apache-2.0)",
            "pyramid_levels": "\(outcomes.count)",
            "pyramid_pixels": "\(pyramidPixels)",
            "pyramid_padded_pixels": "\(paddedPixels)",
            "pyramid_expansion": String(format: "%.4f", expansion),
            "scale_step": "\(p.scaleStep)",
            "window_stride_px": "\(p.windowStridePixels)",
            "padding_px": "\(p.paddingPixels)",
            "hit_threshold": "\(p.hitThreshold)",
            "grouping": "\(p.grouping)",
            "threads": "\(p.threads)",
        ]
        return Trace(
            model: ModelIdentity(name: "hog-people-64x128", source: "hog", weights: "real"),
            input: measured ? InputIdentity(path: inputPath ?? "", width: width, height: height, channels: cn) : nil,
            inputPixels: width * height, operators: ops, provenance: provenance)
    }

    static func fraction(_ part: Int, _ whole: Int) -> Double { whole > 0 ? Double(part) / Double(whole) : 0 }
}
