/// An operator graph: what the model zoo defines in code and ONNX import produces, and
/// what the executor runs. Tensors are named; every tensor is NCHW (or N×features for
/// flat tensors), float32 in the executor.
///
/// Nodes are stored in a topological order (every node's inputs are graph inputs,
/// weights, or outputs of earlier nodes); `Graph.validate()` checks it.
public struct Graph: Sendable {
    /// Model name (`alexnet`, or the ONNX file's name without its extension).
    public var name: String
    /// Graph inputs with their shapes (the batch dimension included).
    public var inputs: [TensorSpec]
    /// Names of the graph outputs.
    public var outputs: [String]
    /// Nodes in topological order.
    public var nodes: [Node]
    /// Constant tensors (ONNX initializers and Constant nodes, or zoo parameters) by name.
    public var weights: [String: WeightTensor]
    /// How inputs are expected to be prepared (resize, mean/std normalisation).
    public var preprocessing: Preprocessing
    /// SHA-256 (lowercase hex) of the file the graph was imported from; nil for zoo
    /// graphs and graphs built in code. Goes into `ModelIdentity.sha256`, so a trace
    /// names the exact bytes it ran.
    public var sourceSHA256: String?

    public init(name: String, inputs: [TensorSpec], outputs: [String], nodes: [Node], weights: [String: WeightTensor], preprocessing: Preprocessing = .imageNet) {
        self.name = name; self.inputs = inputs; self.outputs = outputs; self.nodes = nodes
        self.weights = weights; self.preprocessing = preprocessing
    }
}

/// A named tensor with a static shape (NCHW for images).
public struct TensorSpec: Codable, Hashable, Sendable {
    public var name: String
    public var shape: [Int]
    public init(name: String, shape: [Int]) { self.name = name; self.shape = shape }
    /// Number of elements (words).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A constant tensor: its shape and its values, or only its shape when the values are to
/// be generated (zoo models without real weights).
public struct WeightTensor: Sendable {
    public var shape: [Int]
    /// The values in row-major order, or `nil` when none are stored (see `source`).
    public var values: [Float]?
    /// Where the values come from.
    public var source: WeightSource
    public init(shape: [Int], values: [Float]?, source: WeightSource) {
        self.shape = shape; self.values = values; self.source = source
    }
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The origin of a weight tensor's values.
public enum WeightSource: Hashable, Sendable {
    /// Stored in the model file (trained, or at least the file's own).
    case file
    /// To be generated deterministically from a seed (He-normal-like for filters, small
    /// constants for biases and batch-norm parameters). Results from such weights say so.
    case synthetic(seed: UInt64)
    /// Every element equals `value` and `values` is nil: an ONNX `ConstantOfShape` fill
    /// (the architecture-only ONNX test models fill every weight this way), kept unexpanded
    /// so that importing VGG-19 does not allocate its 143 M weights.
    case constant(Float)
}

/// Input preparation a model expects: resize to the graph input's H×W, scale to [0, 1],
/// then subtract `mean` and divide by `std` per channel (RGB order).
public struct Preprocessing: Codable, Hashable, Sendable {
    public var mean: [Float]
    public var std: [Float]
    /// Channel order the network expects.
    public var channelOrder: String
    public init(mean: [Float], std: [Float], channelOrder: String = "RGB") {
        self.mean = mean; self.std = std; self.channelOrder = channelOrder
    }
    /// torchvision's ImageNet normalisation.
    public static let imageNet = Preprocessing(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// Scale to [0, 1] only.
    public static let unit = Preprocessing(mean: [0, 0, 0], std: [1, 1, 1])
}

/// One operator application.
public struct Node: Sendable {
    public var name: String
    public var op: Op
    /// Input tensor names, in the operator's order (ONNX order: data, weights, bias …).
    public var inputs: [String]
    /// Output tensor names.
    public var outputs: [String]
    public init(name: String, op: Op, inputs: [String], outputs: [String]) {
        self.name = name; self.op = op; self.inputs = inputs; self.outputs = outputs
    }
}

/// Convolution attributes (ONNX `Conv` / `ConvTranspose` semantics).
public struct ConvAttributes: Hashable, Sendable {
    public var kernel: (height: Int, width: Int)
    public var stride: (height: Int, width: Int)
    /// Padding: top, left, bottom, right.
    public var pads: (top: Int, left: Int, bottom: Int, right: Int)
    public var dilation: (height: Int, width: Int)
    public var groups: Int
    /// Transposed convolution only: extra output rows/columns.
    public var outputPadding: (height: Int, width: Int)

    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), pads: (Int, Int, Int, Int) = (0, 0, 0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, outputPadding: (Int, Int) = (0, 0)) {
        self.kernel = kernel; self.stride = stride; self.pads = pads; self.dilation = dilation
        self.groups = groups; self.outputPadding = outputPadding
    }

    /// Square kernel, same stride both ways, symmetric padding.
    public init(kernel k: Int, stride s: Int = 1, pad p: Int = 0, groups: Int = 1) {
        self.init(kernel: (k, k), stride: (s, s), pads: (p, p, p, p), groups: groups)
    }

    public static func == (a: ConvAttributes, b: ConvAttributes) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.pads == b.pads && a.dilation == b.dilation
            && a.groups == b.groups && a.outputPadding == b.outputPadding
    }
    public func hash(into h: inout Hasher) {
        h.combine(kernel.height); h.combine(kernel.width); h.combine(stride.height); h.combine(stride.width)
        h.combine(pads.top); h.combine(pads.left); h.combine(pads.bottom); h.combine(pads.right)
        h.combine(dilation.height); h.combine(dilation.width); h.combine(groups)
        h.combine(outputPadding.height); h.combine(outputPadding.width)
    }
}

/// Pooling attributes (ONNX `MaxPool` / `AveragePool`).
public struct PoolAttributes: Hashable, Sendable {
    public var kernel: (height: Int, width: Int)
    public var stride: (height: Int, width: Int)
    public var pads: (top: Int, left: Int, bottom: Int, right: Int)
    /// Output size rounds up (Caffe-style) instead of down.
    public var ceilMode: Bool
    /// Average pooling only: padded cells count in the divisor.
    public var countIncludePad: Bool

    public init(kernel: (Int, Int), stride: (Int, Int), pads: (Int, Int, Int, Int) = (0, 0, 0, 0), ceilMode: Bool = false, countIncludePad: Bool = false) {
        self.kernel = kernel; self.stride = stride; self.pads = pads; self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    public init(kernel k: Int, stride s: Int, pad p: Int = 0, ceilMode: Bool = false) {
        self.init(kernel: (k, k), stride: (s, s), pads: (p, p, p, p), ceilMode: ceilMode)
    }

    public static func == (a: PoolAttributes, b: PoolAttributes) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.pads == b.pads && a.ceilMode == b.ceilMode
            && a.countIncludePad == b.countIncludePad
    }
    public func hash(into h: inout Hasher) {
        h.combine(kernel.height); h.combine(kernel.width); h.combine(stride.height); h.combine(stride.width)
        h.combine(pads.top); h.combine(pads.left); h.combine(pads.bottom); h.combine(pads.right)
        h.combine(ceilMode); h.combine(countIncludePad)
    }
}

/// The operators a graph can hold. Inputs follow ONNX conventions:
/// - `conv`: X, W [M, C/groups, R, S], optional B [M];
/// - `convTranspose`: X, W [C, M/groups, R, S], optional B;
/// - `gemm`: A [N, K], B ([K, M], or [M, K] when `transB`), optional C [M];
/// - `batchNorm`: X, scale, bias, mean, variance;
/// - binary element-wise ops broadcast NumPy-style.
public enum Op: Hashable, Sendable {
    case conv(ConvAttributes)
    case convTranspose(ConvAttributes)
    /// Y = alpha·A·op(B) + beta·C.
    case gemm(transA: Bool, transB: Bool, alpha: Float, beta: Float)
    /// Plain matrix product (ONNX MatMul), no bias.
    case matMul
    case maxPool(PoolAttributes)
    case averagePool(PoolAttributes)
    case globalAveragePool
    case globalMaxPool
    case relu
    case leakyRelu(alpha: Float)
    /// Clamp to [min, max]; ReLU6 is `clip(min: 0, max: 6)`.
    case clip(min: Float, max: Float)
    case sigmoid
    /// y = max(0, min(1, alpha·x + beta)).
    case hardSigmoid(alpha: Float, beta: Float)
    /// y = x · relu6(x + 3) / 6.
    case hardSwish
    case batchNorm(epsilon: Float)
    case localResponseNorm(size: Int, alpha: Float, beta: Float, bias: Float)
    case add
    case sub
    case mul
    case div
    case concat(axis: Int)
    /// Upsample by integer or fractional scale factors on H and W.
    case resize(mode: ResizeMode, scaleHeight: Float, scaleWidth: Float)
    case softmax(axis: Int)
    /// ONNX Reshape with the target shape resolved (0 = copy, -1 = infer).
    case reshape(shape: [Int])
    case flatten(axis: Int)
    case transpose(perm: [Int])
    case pad(pads: [Int], value: Float)
    case dropout
    case identity

    public static var relu6: Op { .clip(min: 0, max: 6) }
}

/// Interpolation of `Op.resize`.
public enum ResizeMode: String, Codable, Hashable, Sendable {
    case nearest
    /// Bilinear with half-pixel centres (ONNX `coordinate_transformation_mode = half_pixel`).
    case bilinear
    /// Bilinear with aligned corners.
    case bilinearAlignCorners
}
