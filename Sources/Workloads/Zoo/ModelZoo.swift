/// The model zoo: published CNN architectures defined in code, with synthetic weights.
///
/// Every weight is `WeightTensor(values: nil, source: .synthetic(seed:))`, its seed
/// `WeightTensor.syntheticSeed(model:tensor:)` of the zoo name and the weight's name
/// (`conv1.weight`, `conv1_bn.variance` …); the executor generates the values. Results
/// from these weights must say so: their sparsity is not a trained network's.
public enum ModelZoo {
    /// One zoo entry: its name, what it is and where its shapes come from.
    public struct Entry: Sendable {
        public var name: String
        /// One line: the architecture and the paper that defines it.
        public var summary: String
        fileprivate var build: @Sendable (Int) throws -> Graph
    }

    /// The zoo, in listing order.
    public static let entries: [Entry] = [
        Entry(name: "alexnet", summary: "AlexNet, two-group CONV2/4/5 with LRN, 227×227 (Krizhevsky et al., NIPS 2012; as Eyeriss ran it)", build: alexNet),
        Entry(name: "vgg16", summary: "VGG-16, configuration D (Simonyan & Zisserman, ICLR 2015)", build: vgg16),
        Entry(name: "googlenet", summary: "GoogLeNet / Inception v1, torchvision form with batch-norm (Szegedy et al., CVPR 2015)", build: { try googLeNet(batch: $0, caffe: false) }),
        Entry(name: "googlenet_bvlc", summary: "GoogLeNet / Inception v1, Caffe bvlc_googlenet form with LRN and 5×5 branches", build: { try googLeNet(batch: $0, caffe: true) }),
        Entry(name: "resnet50", summary: "ResNet-50, stride on the 3×3 (He et al., CVPR 2016; torchvision/ONNX form)", build: resNet50),
        Entry(name: "mobilenet_v1", summary: "MobileNetV1, width 1.0 (Howard et al., arXiv 1704.04861)", build: mobileNetV1),
        Entry(name: "mobilenet_v2", summary: "MobileNetV2, width 1.0 (Sandler et al., CVPR 2018)", build: mobileNetV2),
        Entry(name: "fastdepth", summary: "FastDepth before pruning: MobileNet + NNConv5 decoder, additive skips (Wofk et al., ICRA 2019)", build: fastDepth),
        Entry(name: "unet", summary: "U-Net semantic segmentation, padded convolutions, 256×256 RGB, 2 classes (Ronneberger et al., MICCAI 2015)", build: uNet),
    ]

    /// Names of the zoo models, lowercase, in listing order.
    public static var names: [String] { entries.map(\.name) }

    /// The graph of a zoo model at the given batch size (≥ 1), validated, with synthetic
    /// weights. Names are matched case-insensitively.
    public static func graph(named name: String, batch: Int = 1) throws -> Graph {
        guard let entry = entries.first(where: { $0.name == name.lowercased() }) else {
            throw ModelZooError.unknownModel(name, known: names)
        }
        guard batch >= 1, batch <= 4096 else { throw ModelZooError.invalidBatch(batch) }
        return try entry.build(batch)
    }
}

/// A zoo request that cannot be served.
public enum ModelZooError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No model of that name; `known` lists the zoo's names.
    case unknownModel(String, known: [String])
    /// Batch sizes run from 1 to 4096.
    case invalidBatch(Int)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            "no zoo model named '\(name)'; the zoo has: \(known.joined(separator: ", "))"
        case .invalidBatch(let batch):
            "batch size \(batch) is out of range (1…4096)"
        }
    }
}
