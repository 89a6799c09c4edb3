/// What kind of work an operator does, as the energy model needs to know it.
///
/// The category decides which dataflow model prices the operator: convolution-shaped
/// work goes through the PE-array dataflows, element-wise and data-movement work is
/// priced per operation and per word moved, and streaming (non-CNN) operators through
/// their line-buffer and window footprints.
public enum OperatorCategory: String, Codable, CaseIterable, Hashable, Sendable {
    /// CONV, depthwise, pointwise and transposed CONV: MACs over an R×S×C window.
    case convolution
    /// FC / GEMM: a convolution whose filter covers the whole input.
    case fullyConnected
    /// Max, average and global pooling: comparisons or adds over an R×S window.
    case pooling
    /// ReLU, sigmoid, add, multiply, batch-norm, softmax …: a few operations per word.
    case elementwise
    /// Reshape, flatten, concat, upsample: words moved, (almost) no arithmetic.
    case dataMovement
    /// Non-CNN streaming operators (HOG gradients and histograms, stereo cost volumes
    /// and aggregation): operations plus the line buffers and windows a streaming
    /// accelerator holds.
    case streaming
}

/// The name of an operator kind. A struct rather than a closed enum so pipelines can add
/// kinds (HOG, stereo …) without touching every `switch` in the energy model; each kind
/// carries its category.
public struct OperatorKind: Codable, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var category: OperatorCategory

    public init(_ name: String, _ category: OperatorCategory) {
        self.name = name; self.category = category
    }

    public var description: String { name }

    // Convolution-shaped
    public static let conv = OperatorKind("conv", .convolution)
    public static let depthwiseConv = OperatorKind("depthwise_conv", .convolution)
    public static let pointwiseConv = OperatorKind("pointwise_conv", .convolution)
    public static let transposedConv = OperatorKind("transposed_conv", .convolution)
    public static let fullyConnected = OperatorKind("fc", .fullyConnected)
    // Pooling
    public static let maxPool = OperatorKind("max_pool", .pooling)
    public static let averagePool = OperatorKind("average_pool", .pooling)
    public static let globalAveragePool = OperatorKind("global_average_pool", .pooling)
    public static let globalMaxPool = OperatorKind("global_max_pool", .pooling)
    // Element-wise
    public static let relu = OperatorKind("relu", .elementwise)
    public static let relu6 = OperatorKind("relu6", .elementwise)
    public static let clip = OperatorKind("clip", .elementwise)
    public static let leakyRelu = OperatorKind("leaky_relu", .elementwise)
    public static let sigmoid = OperatorKind("sigmoid", .elementwise)
    public static let hardSigmoid = OperatorKind("hard_sigmoid", .elementwise)
    public static let hardSwish = OperatorKind("hard_swish", .elementwise)
    public static let batchNorm = OperatorKind("batch_norm", .elementwise)
    public static let localResponseNorm = OperatorKind("lrn", .elementwise)
    public static let add = OperatorKind("add", .elementwise)
    public static let mul = OperatorKind("mul", .elementwise)
    public static let softmax = OperatorKind("softmax", .elementwise)
    // Data movement
    public static let concat = OperatorKind("concat", .dataMovement)
    public static let upsampleNearest = OperatorKind("upsample_nearest", .dataMovement)
    public static let upsampleBilinear = OperatorKind("upsample_bilinear", .dataMovement)
    public static let reshape = OperatorKind("reshape", .dataMovement)
    public static let flatten = OperatorKind("flatten", .dataMovement)
    public static let transpose = OperatorKind("transpose", .dataMovement)
    public static let pad = OperatorKind("pad", .dataMovement)
    public static let identity = OperatorKind("identity", .dataMovement)
}

/// Footprint of a streaming (non-CNN) operator on a line-buffered accelerator: the
/// on-chip storage a streaming implementation keeps, and how many times each input word
/// is read from it. Units: words of the operator's input bit width.
public struct StreamingFootprint: Codable, Hashable, Sendable {
    /// Words held in line buffers (for example `R − 1` image rows for an R-tall window).
    public var lineBufferWords: Int
    /// Words held in the sliding window registers.
    public var windowWords: Int
    /// Reads from the line buffers per output word.
    public var lineBufferReadsPerOutput: Double
    /// Reads from the window registers per output word.
    public var windowReadsPerOutput: Double

    public init(lineBufferWords: Int, windowWords: Int, lineBufferReadsPerOutput: Double, windowReadsPerOutput: Double) {
        self.lineBufferWords = lineBufferWords; self.windowWords = windowWords
        self.lineBufferReadsPerOutput = lineBufferReadsPerOutput; self.windowReadsPerOutput = windowReadsPerOutput
    }
}

/// The shape of one operator: everything the energy model needs to price it without
/// running it. Produced by the model zoo, ONNX import and the pipelines; carried in the
/// `Trace` beside what the executor measured.
///
/// Counts are per invocation at the loop nest's batch size `N`.
public struct OperatorShape: Codable, Hashable, Sendable {
    /// Unique name within its model (for example `conv1`, `inception_3a/5x5`).
    public var name: String
    public var kind: OperatorKind
    public var loopNest: LoopNest
    public var bitWidths: BitWidths
    /// Multiply-accumulates (0 for operators without them).
    public var macs: Int
    /// Other arithmetic operations (comparisons, adds, exponentials …) that are not MACs.
    public var otherOperations: Int
    /// Weight words, biases included.
    public var weightWords: Int
    /// Input activation words read (all inputs, unpadded).
    public var inputWords: Int
    /// Output activation words written.
    public var outputWords: Int
    /// True when a batch-norm (and/or bias) was folded into this operator for inference.
    public var foldedBatchNorm: Bool
    /// Activation fused into this operator's output, if any (`relu`, `relu6` …): it is
    /// recorded so that counting one operator per ONNX node does not lose work.
    public var fusedActivation: String?
    /// For streaming (non-CNN) operators: the line-buffer and window footprint.
    public var streaming: StreamingFootprint?
    /// Names of the operators (in the same trace or model) whose outputs this operator
    /// reads, in input order without repeats. `nil`: unknown (traces written before the
    /// field existed); `[]`: it reads only the graph's input (the camera frame). The
    /// energy model uses it to fuse streaming chains (docs/ENERGY.md, "Streaming fusion").
    public var producers: [String]?

    public init(
        name: String, kind: OperatorKind, loopNest: LoopNest, bitWidths: BitWidths = .float32,
        macs: Int, otherOperations: Int = 0, weightWords: Int, inputWords: Int, outputWords: Int,
        foldedBatchNorm: Bool = false, fusedActivation: String? = nil, streaming: StreamingFootprint? = nil,
        producers: [String]? = nil
    ) {
        self.name = name; self.kind = kind; self.loopNest = loopNest; self.bitWidths = bitWidths
        self.macs = macs; self.otherOperations = otherOperations
        self.weightWords = weightWords; self.inputWords = inputWords; self.outputWords = outputWords
        self.foldedBatchNorm = foldedBatchNorm; self.fusedActivation = fusedActivation
        self.streaming = streaming
        self.producers = producers
    }

    /// A convolution (`groups` > 1 for grouped and depthwise) with its MACs and words
    /// derived from the loop nest. The kind is refined to depthwise or pointwise when the
    /// shape is one.
    public static func convolution(
        name: String, loopNest: LoopNest, hasBias: Bool, bitWidths: BitWidths = .float32,
        foldedBatchNorm: Bool = false, fusedActivation: String? = nil
    ) -> OperatorShape {
        let kind: OperatorKind
        if loopNest.groups > 1 && loopNest.groups == loopNest.C && loopNest.groups == loopNest.M {
            kind = .depthwiseConv
        } else if loopNest.R == 1 && loopNest.S == 1 && loopNest.groups == 1 {
            kind = .pointwiseConv
        } else {
            kind = .conv
        }
        return OperatorShape(
            name: name, kind: kind, loopNest: loopNest, bitWidths: bitWidths,
            macs: loopNest.convolutionMACs, otherOperations: 0,
            weightWords: loopNest.filterWords + (hasBias ? loopNest.M : 0),
            inputWords: loopNest.inputWords, outputWords: loopNest.outputWords,
            foldedBatchNorm: foldedBatchNorm, fusedActivation: fusedActivation)
    }

    /// A fully connected layer at batch `N` over an input of `inputChannels` ×
    /// `inputHeight` × `inputWidth` features, producing `outputFeatures`. Written as the
    /// loop nest the Eyeriss papers use: `C = inputChannels`, `H = R = inputHeight`,
    /// `W = S = inputWidth`, `M = outputFeatures`, `P = Q = 1` (AlexNet FC6 is C=256,
    /// R=S=6, M=4096). A flat input has height and width 1.
    public static func fullyConnected(
        name: String, batch: Int = 1, inputChannels: Int, inputHeight: Int = 1, inputWidth: Int = 1,
        outputFeatures: Int, hasBias: Bool, bitWidths: BitWidths = .float32, fusedActivation: String? = nil
    ) -> OperatorShape {
        let nest = LoopNest(
            N: batch, M: outputFeatures, C: inputChannels, H: inputHeight, W: inputWidth,
            P: 1, Q: 1, R: inputHeight, S: inputWidth)
        return OperatorShape(
            name: name, kind: .fullyConnected, loopNest: nest, bitWidths: bitWidths,
            macs: nest.convolutionMACs, weightWords: nest.filterWords + (hasBias ? outputFeatures : 0),
            inputWords: nest.inputWords, outputWords: nest.outputWords, fusedActivation: fusedActivation)
    }
}
