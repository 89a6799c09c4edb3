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
