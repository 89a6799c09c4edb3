import Foundation
import Workloads

/// A memory level of the hierarchy, outermost first. The vocabulary is Timeloop's and
/// Accelergy's (DRAM, a shared global buffer, the array network-on-chip, per-PE
/// register files), and the order is that of Chen, Emer, Sze, ISCA 2016, Table IV.
public enum MemoryLevel: String, Codable, CaseIterable, Hashable, Sendable, Comparable {
    case dram
    case globalBuffer = "global_buffer"
    /// Inter-PE communication on the array (neighbour forwarding, multicast delivery).
    case noc
    /// The per-PE scratchpads (register files).
    case rf

    public static func < (a: MemoryLevel, b: MemoryLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Units of every per-access energy of a spec: normalised to one 16-bit MAC (the
/// Eyeriss table) or picojoules.
public enum EnergyUnit: String, Codable, Hashable, Sendable {
    case normalized
    case picojoules = "pJ"
}

/// Arithmetic precisions the model prices. MAC energy and storage scale with the width
/// (DESIGN.md, "The energy model in one page").
public enum Precision: String, Codable, CaseIterable, Hashable, Sendable {
    case int8, int16, int32, fp16, fp32

    public var bits: Int {
        switch self {
        case .int8: 8
        case .int16, .fp16: 16
        case .int32, .fp32: 32
        }
    }
    public var isFloatingPoint: Bool { self == .fp16 || self == .fp32 }
}

/// Capacity of a level, in words of the level's `wordBits`: one pool shared by all
/// data types, or partitioned per data type (Eyeriss's scratchpads: 224 filter, 12 ifmap,
/// 24 psum words).
public enum Capacity: Codable, Hashable, Sendable {
    case shared(words: Int)
    case partitioned(weights: Int, inputs: Int, outputs: Int)

    public var totalWords: Int {
        switch self {
        case .shared(let words): words
        case .partitioned(let w, let i, let o): w + i + o
        }
    }
}

/// One level of the hierarchy.
public struct LevelSpec: Codable, Hashable, Sendable {
    public var level: MemoryLevel
    /// Bits per word of this level (the unit of `capacity` and of one access).
    public var wordBits: Int
    /// Energy of reading one word, in the spec's `energyUnit`, at the reference voltage.
    public var readEnergy: Double
    /// Energy of writing one word, in the spec's `energyUnit`, at the reference voltage.
    public var writeEnergy: Double
    /// Capacity in words; `nil` for DRAM and the NoC (unbounded / not a store). For the
    /// RF it is per PE.
    public var capacity: Capacity?
    /// Words per cycle this level can deliver; `nil` when not a bottleneck.
    public var bandwidthWordsPerCycle: Double?
}

/// The MAC unit's energy by precision.
public struct MACSpec: Codable, Hashable, Sendable {
    /// Energy of one MAC at `referencePrecision`, in the spec's unit.
    public var energy: Double
    public var referencePrecision: Precision
    /// Explicit energies for other precisions; precisions not listed scale from the
    /// reference by the square of the width (array multipliers), with a floating-point
    /// MAC at 1.4× the integer MAC of the same width when neither is given
    /// (Horowitz ISSCC 2014: 16-bit FP mult 1.1 pJ vs ≈ 0.8 pJ interpolated integer).
    public var energyByPrecision: [Precision: Double]
}

/// Instruction overhead of a programmable core (Dally: ≈ 250 pJ per out-of-order
/// instruction, nearly all of it fetch/decode/schedule), amortised over the operations
/// one instruction performs (16 fp32 FMAs for an AVX-512 FMA).
public struct InstructionSpec: Codable, Hashable, Sendable {
    public var energy: Double
    public var operationsPerInstruction: Double
}

/// Which sparsity mechanisms the hardware has (each a switch, ISSCC 2016 / JSSC 2017).
public struct SparsitySpec: Codable, Hashable, Sendable {
    /// Zero-gating on zero input activations: MAC and the weight read are gated (energy
    /// saved, no time saved).
    public var gateZeroInputs: Bool = false
    /// Zero-gating on zero weights: MAC and the input read gated.
    public var gateZeroWeights: Bool = false
    /// Zero-skipping of zero inputs: MAC, the weight read and the psum update skipped, and
    /// the cycle saved; each remaining input pays `skipIndexBits` of metadata read.
    public var skipZeroInputs: Bool = false
    /// Zero-skipping of zero weights (likewise).
    public var skipZeroWeights: Bool = false
    /// Bits of index metadata per non-zero word kept for skipping.
    public var skipIndexBits: Int = 4
    /// Run-length compression of activations to and from DRAM.
    public var runLengthCompression: Bool = false
    /// Bits of the run (zero count) field of one run-length pair (Eyeriss: 5).
    public var runBits: Int = 5
    /// Bits of one code word holding several pairs plus one flag bit (Eyeriss: 64).
    public var codeWordBits: Int = 64
}

/// An accelerator (or CPU) as the energy model sees it: memory levels with per-access
/// energies and capacities, a PE array, MAC energies by precision, clock, voltage and
/// idle power. Read from YAML (`ArchitectureSpec.load`) in Timeloop/Accelergy vocabulary.
public struct ArchitectureSpec: Codable, Hashable, Sendable {
    public var name: String
    public var description: String
    /// Where the numbers come from (papers, tables), free text.
    public var sources: [String]
    public var energyUnit: EnergyUnit
    /// Levels present, outermost (DRAM) first; a level not listed is *absent*.
    public var levels: [LevelSpec]
    public var peRows: Int
    public var peColumns: Int
    public var mac: MACSpec
    /// Energy of one non-MAC operation (compare, add, shift) at the reference precision.
    public var operationEnergy: Double
    public var instruction: InstructionSpec?
    public var clockHz: Double
    /// Supply voltage; dynamic energy scales by (supply / reference)².
    public var supplyVolts: Double
    public var referenceVolts: Double
    /// Idle/leakage power in watts, added over the latency (pJ specs only).
    public var idlePowerWatts: Double
    /// Default precision of the data (Eyeriss: 16-bit fixed point).
    public var defaultPrecision: Precision
    public var sparsity: SparsitySpec

    public var processingElements: Int { peRows * peColumns }

    public func level(_ level: MemoryLevel) -> LevelSpec? { levels.first { $0.level == level } }

    /// (supply / reference)²: the dynamic-energy factor of voltage scaling.
    public var voltageScale: Double { (supplyVolts / referenceVolts) * (supplyVolts / referenceVolts) }

    /// MAC energy at `precision`, in the spec's unit, before voltage scaling.
    public func macEnergy(_ precision: Precision) -> Double {
        if let explicit = mac.energyByPrecision[precision] { return explicit }
        if precision == mac.referencePrecision { return mac.energy }
        let ratio = Double(precision.bits) / Double(mac.referencePrecision.bits)
        var energy = mac.energy * ratio * ratio
        if precision.isFloatingPoint && !mac.referencePrecision.isFloatingPoint { energy *= 1.4 }
        if !precision.isFloatingPoint && mac.referencePrecision.isFloatingPoint { energy /= 1.4 }
        return energy
    }
}
