import Workloads

/// An amount per data type (words or energy).
public struct PerDataType: Codable, Hashable, Sendable {
    public var weights: Double = 0
    public var inputs: Double = 0
    public var outputs: Double = 0
    public init(weights: Double = 0, inputs: Double = 0, outputs: Double = 0) {
        self.weights = weights; self.inputs = inputs; self.outputs = outputs
    }
    public var total: Double { weights + inputs + outputs }
    public subscript(type: DataType) -> Double {
        get { switch type { case .weights: weights; case .inputs: inputs; case .outputs: outputs } }
        set { switch type { case .weights: weights = newValue; case .inputs: inputs = newValue; case .outputs: outputs = newValue } }
    }
    static func + (a: PerDataType, b: PerDataType) -> PerDataType {
        PerDataType(weights: a.weights + b.weights, inputs: a.inputs + b.inputs, outputs: a.outputs + b.outputs)
    }
}

/// Whether a level took part in pricing an operator. A level is never silently zero:
/// it is `absent` when the spec lacks it and `unused` when the dataflow or the operator
/// does not touch it.
public enum LevelStatus: String, Codable, Hashable, Sendable {
    case present
    /// The architecture spec has no such level.
    case absent
    /// The spec has it, but this dataflow / operator moves no data through it.
    case unused
}

/// Words moved through one level and their energy, per data type.
public struct LevelCost: Codable, Hashable, Sendable {
    public var level: MemoryLevel
    public var status: LevelStatus
    /// Accesses (reads + writes) in words of the data precision.
    public var words: PerDataType
    /// Energy in the spec's unit (voltage scaling applied to on-chip levels).
    public var energy: PerDataType
}

/// The price of one operator.
public struct OperatorPrice: Codable, Hashable, Sendable {
    public var name: String
    public var kind: String
    public var category: OperatorCategory
    public var batch: Int
    /// MACs of the operator (dense count).
    public var macs: Double
    /// MACs actually performed after zero-skipping (equal to `macs` without skipping).
    public var macsPerformed: Double
    /// Non-MAC arithmetic operations.
    public var otherOperations: Double
    /// Energy of the arithmetic (MACs after gating/skipping, plus other operations).
    public var arithmeticEnergy: Double
    /// DRAM, global buffer, NoC and RF, outermost first (always all four).
    public var levels: [LevelCost]
    /// Idle/leakage energy over the latency (0 for a normalised spec, whose idle power is 0).
    public var idleEnergy: Double
    public var totalEnergy: Double
    public var cycles: Double
    public var latencySeconds: Double
    /// Peak PEs busy (Eyeriss's "active PEs").
    public var activeProcessingElements: Int
    /// Mean busy PEs / all PEs over the operator.
    public var utilization: Double
    /// Mapping and tiling chosen, for the reader.
    public var mapping: String
    public var notes: [String]
    /// Streaming fusion decision (docs/ENERGY.md, "Streaming fusion"); `nil` for operators
    /// it does not apply to (not streaming, or producers unknown).
    public var fusion: StreamingFusion? = nil

    public func level(_ level: MemoryLevel) -> LevelCost { levels.first { $0.level == level }! }
    /// Energy on chip (everything but DRAM), what the Eyeriss chip's power measures.
    public var onChipEnergy: Double { totalEnergy - level(.dram).energy.total }
}

/// The price of a whole trace.
public struct NetworkPrice: Codable, Hashable, Sendable {
    public var model: String
    public var architecture: String
    public var dataflow: Dataflow
    /// `pJ` or `normalized` (one 16-bit MAC = 1).
    public var energyUnit: EnergyUnit
    public var precision: Precision
    public var batch: Int
    /// Pixels of one input frame (the denominator of energy per pixel).
    public var inputPixels: Int
    public var operators: [OperatorPrice]
    public var totalEnergy: Double
    /// Energy per level per data type over all operators (status `present` when any
    /// operator used the level, else that of the first operator).
    public var levelTotals: [LevelCost]
    public var arithmeticEnergy: Double
    public var idleEnergy: Double
    public var cycles: Double
    public var latencySeconds: Double
    /// `totalEnergy / (batch · inputPixels)`, in the spec's unit.
    public var energyPerInputPixel: Double
    /// What `inputPixels` counts, in words: `the 768×576 image vtest.jpg` (a trace made
    /// from an image: the camera frame) or `the network input` (a shape-only trace).
    public var pixelBasis: String
    /// Pixels (H×W) of the tensor the first operator reads: the network input a CNN's
    /// image was resized to (224×224 for MobileNetV2), or the frame itself for pipelines
    /// that read it directly (HOG). Equal to `inputPixels` for shape-only traces.
    public var networkInputPixels: Int
    /// `totalEnergy / (batch · networkInputPixels)`: the per-pixel figure papers quote for
    /// CNNs; it differs from `energyPerInputPixel` when the image was resized.
    public var energyPerNetworkInputPixel: Double
    public var notes: [String]
}

/// Zero fractions that override (or stand in for) a trace's measured facts.
public struct ZeroFractions: Codable, Hashable, Sendable {
    public var inputs: Double
    public var outputs: Double
    public var weights: Double
    public init(inputs: Double = 0, outputs: Double = 0, weights: Double = 0) {
        self.inputs = inputs; self.outputs = outputs; self.weights = weights
    }

    /// An operator's measured fractions; dense (all 0) for a shape-only operator, and weights
    /// dense when they were not measured.
    public init(measured: MeasuredFacts?) {
        self.init(inputs: measured?.inputZeroFraction ?? 0, outputs: measured?.outputZeroFraction ?? 0,
                  weights: measured?.weightZeroFraction ?? 0)
    }
}

/// Some of an operator's zero fractions, given by the user (`--zeros`): the fields left `nil`
/// keep what the trace measured (dense for a shape-only trace).
public struct ZeroFractionOverride: Hashable, Sendable {
    public var inputs: Double?
    public var outputs: Double?
    public var weights: Double?
    public init(inputs: Double? = nil, outputs: Double? = nil, weights: Double? = nil) {
        self.inputs = inputs; self.outputs = outputs; self.weights = weights
    }

    /// `base` with the given fields replaced.
    public func applied(to base: ZeroFractions) -> ZeroFractions {
        ZeroFractions(inputs: inputs ?? base.inputs, outputs: outputs ?? base.outputs, weights: weights ?? base.weights)
    }

    /// The zero fractions to price each overridden operator of `trace` with (what
    /// `EnergyPricer.price(trace:zeros:)` takes): its measured ones, with the given fields
    /// replaced. Names the trace does not have are left out (the caller refuses them first).
    public static func resolved(_ overrides: [String: ZeroFractionOverride], in trace: Trace) -> [String: ZeroFractions] {
        var result: [String: ZeroFractions] = [:]
        for op in trace.operators {
            if let override = overrides[op.shape.name] { result[op.shape.name] = override.applied(to: ZeroFractions(measured: op.measured)) }
        }
        return result
    }
}

/// An operator the model cannot price on a spec, with the operator and the reason.
public struct PricingError: Error, CustomStringConvertible, Equatable, Sendable {
    public var `operator`: String
    public var reason: String
    public init(operator: String, reason: String) { self.operator = `operator`; self.reason = reason }
    public var description: String { "cannot price operator '\(`operator`)': \(reason)" }
}
