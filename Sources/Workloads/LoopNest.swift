/// The loop-nest shape of one operator, in the notation of the field
/// (Chen, Emer, Sze, ISCA 2016, Table I; Timeloop's problem shape):
///
/// - `N` batch size,
/// - `M` output channels (filters), over all groups,
/// - `C` input channels, over all groups,
/// - `H`×`W` input height × width (before padding),
/// - `P`×`Q` output height × width,
/// - `R`×`S` filter height × width,
/// - strides, paddings, dilations, and `groups` (C and M are split into `groups`
///   independent convolutions; a depthwise convolution has `groups == C == M`).
///
/// A fully connected layer is a convolution with `H == R`, `W == S` and `P == Q == 1`
/// (or all spatial sizes 1 after flattening). Element-wise and pooling operators use
/// `M == C` and `R×S` as their window.
///
/// Property names follow the field's single-letter notation on purpose: papers, specs
/// and the tables that cite them all use it.
public struct LoopNest: Codable, Hashable, Sendable {
    public var N: Int
    public var M: Int
    public var C: Int
    public var H: Int
    public var W: Int
    public var P: Int
    public var Q: Int
    public var R: Int
    public var S: Int
    public var strideH: Int
    public var strideW: Int
    public var dilationH: Int
    public var dilationW: Int
    /// Padding in pixels: top, left, bottom, right.
    public var padTop: Int
    public var padLeft: Int
    public var padBottom: Int
    public var padRight: Int
    public var groups: Int

    public init(
        N: Int = 1, M: Int, C: Int, H: Int, W: Int, P: Int, Q: Int, R: Int = 1, S: Int = 1,
        strideH: Int = 1, strideW: Int = 1, dilationH: Int = 1, dilationW: Int = 1,
        padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
        groups: Int = 1
    ) {
        self.N = N; self.M = M; self.C = C; self.H = H; self.W = W; self.P = P; self.Q = Q
        self.R = R; self.S = S; self.strideH = strideH; self.strideW = strideW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.groups = groups
    }

    /// Input channels seen by one filter (`C / groups`).
    public var channelsPerGroup: Int { C / max(groups, 1) }
    /// Output channels produced by one group (`M / groups`).
    public var filtersPerGroup: Int { M / max(groups, 1) }

    /// Multiply-accumulates of a convolution-shaped loop nest:
    /// `N · M · P · Q · (C/groups) · R · S`.
    public var convolutionMACs: Int { N * M * P * Q * channelsPerGroup * R * S }

    /// Multiply-accumulates of a transposed convolution, each input word scattered through
    /// an (M/groups)×R×S filter: `N · C · H · W · (M/groups) · R · S`.
    public var transposedConvolutionMACs: Int { N * C * H * W * filtersPerGroup * R * S }

    /// Filter weights in words: `M · (C/groups) · R · S` (biases not included).
    public var filterWords: Int { M * channelsPerGroup * R * S }

    /// Input activations in words: `N · C · H · W` (unpadded).
    public var inputWords: Int { N * C * H * W }

    /// Output activations in words: `N · M · P · Q`.
    public var outputWords: Int { N * M * P * Q }

    /// Output size of a convolution or pooling window along one axis, as ONNX and
    /// PyTorch compute it (floor mode).
    /// Absurd extents (a malformed file, a huge `--input-shape`) that overflow give -1, which
    /// shape checking refuses as an empty shape, instead of trapping.
    public static func outputExtent(input: Int, filter: Int, stride: Int, padBefore: Int, padAfter: Int, dilation: Int = 1) -> Int {
        let (span, o1) = dilation.multipliedReportingOverflow(by: filter - 1)
        let (effectiveFilter, o2) = span.addingReportingOverflow(1)
        let (pads, o3) = padBefore.addingReportingOverflow(padAfter)
        let (padded, o4) = input.addingReportingOverflow(pads)
        let (reach, o5) = padded.subtractingReportingOverflow(effectiveFilter)
        guard !(o1 || o2 || o3 || o4 || o5), stride > 0 else { return -1 }
        return reach / stride + 1
    }
}

/// Bit widths of the three data types of an operator. Storage and MAC energy scale
/// with them (DESIGN.md, "The energy model in one page").
public struct BitWidths: Codable, Hashable, Sendable {
    public var weights: Int
    public var inputs: Int
    public var outputs: Int
    public init(weights: Int, inputs: Int, outputs: Int) {
        self.weights = weights; self.inputs = inputs; self.outputs = outputs
    }
    /// All three data types at one width.
    public init(uniform bits: Int) { self.init(weights: bits, inputs: bits, outputs: bits) }
    /// The executor's arithmetic: IEEE float32.
    public static let float32 = BitWidths(uniform: 32)
    /// Eyeriss's 16-bit fixed point.
    public static let fixed16 = BitWidths(uniform: 16)
}

/// The three data types whose movement the energy model counts separately.
public enum DataType: String, Codable, CaseIterable, Hashable, Sendable {
    /// Filter weights (and biases).
    case weights
    /// Input activations (ifmaps).
    case inputs
    /// Partial sums and output activations (psums / ofmaps).
    case outputs
}
