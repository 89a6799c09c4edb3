import Foundation
import func Workloads.fileReadFailureReason
import Yams

/// A spec that cannot be used: the file, the key (a path such as `levels[2].read_energy`)
/// and the reason. Every refusal of `ArchitectureSpec.parse` is one of these.
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var key: String
    public var reason: String
    /// 1-based line of the offending node, when known.
    public var line: Int?

    public init(file: String, key: String, reason: String, line: Int? = nil) {
        self.file = file; self.key = key; self.reason = reason; self.line = line
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        // `(file)` and `(document)` mark problems with the whole file, not with a key.
        if key.hasPrefix("(") { return "\(location): \(reason)" }
        return "\(location): architecture spec key '\(key)': \(reason)"
    }
}

extension ArchitectureSpec {
    /// The presets shipped in `Sources/EnergyModel/Presets` (one YAML file each).
    public static var presetNames: [String] {
        guard let url = Bundle.module.url(forResource: "Presets", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return [] }
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The YAML text of a shipped preset, or `nil` if there is none of that name.
    public static func presetYAML(named name: String) -> String? {
        guard let url = Bundle.module.url(forResource: "Presets", withExtension: nil)?
            .appendingPathComponent("\(name).yaml") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }

    /// A shipped preset by name (`eyeriss`, `eyeriss-pj`, `edge-int8`, `cpu`).
    public static func preset(named name: String) throws -> ArchitectureSpec {
        guard let yaml = presetYAML(named: name) else {
            throw SpecError(file: "preset:\(name)", key: "name",
                            reason: "no preset of that name (presets: \(presetNames.joined(separator: ", ")))")
        }
        return try parse(yaml: yaml, file: "preset:\(name)")
    }

    /// Why `presetOrPath` names no architecture at all — neither a preset nor an existing
    /// file — with the presets and a guess at a typo; `nil` when it names one (whether the
    /// file parses is `load`'s business). For commands that check an option before working.
    public static func unknownArchitectureReason(_ presetOrPath: String) -> String? {
        guard presetYAML(named: presetOrPath) == nil, !FileManager.default.fileExists(atPath: presetOrPath) else { return nil }
        let guess = closestPresetName(to: presetOrPath).map { "; did you mean '\($0)'?" } ?? ""
        return "neither an architecture preset (\(presetNames.joined(separator: ", "))) nor an existing YAML file\(guess)"
    }

    /// A preset name or a path to a YAML file.
    public static func load(_ presetOrPath: String) throws -> ArchitectureSpec {
        if presetYAML(named: presetOrPath) != nil { return try preset(named: presetOrPath) }
        if let reason = unknownArchitectureReason(presetOrPath) {
            throw SpecError(file: presetOrPath, key: "(file)", reason: reason)
        }
        let url = URL(fileURLWithPath: presetOrPath)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        guard !isDirectory.boolValue else {
            throw SpecError(file: presetOrPath, key: "(file)", reason: "is a directory, not a YAML architecture spec")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SpecError(file: presetOrPath, key: "(file)", reason: "cannot be read: \(fileReadFailureReason(error, path: url.path))")
        }
        // Foundation's own message for this ("The file isn't in the correct format.") does
        // not say which format was expected.
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: presetOrPath, key: "(file)", reason: "is not a UTF-8 text file (is it a YAML architecture spec?)")
        }
        return try parse(yaml: text, file: presetOrPath)
    }

    /// The preset whose name is within two edits of `name` (a typo), if exactly one is.
    static func closestPresetName(to name: String) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]; row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let saved = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = saved
                }
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        let close = presetNames.filter { distance(Array(name.lowercased()), Array($0)) <= 2 }
        return close.count == 1 ? close[0] : nil
    }

    /// Parses and validates a spec. Unknown keys, missing levels, negative or non-numeric
    /// energies and capacities too small for any mapping are refused with a `SpecError`.
    public static func parse(yaml: String, file: String) throws -> ArchitectureSpec {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SpecError(file: file, key: "(document)", reason: "the file is empty")
            }
            root = node
        } catch let error as SpecError {
            throw error
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            // Yams's own text repeats the whole file as "context"; name the key and the line
            // it is repeated on instead: the next line of the same block mapping (the first
            // occurrence's column, the context's mark) that starts with it, or the first
            // occurrence's own line in a flow mapping ({a: 1, a: 2}).
            let key = duplicates.first ?? "?"
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let firstLine = context.mark.line, column = max(context.mark.column - 1, 0)
            var repeated: Int? = (1...max(lines.count, 1)).contains(firstLine) ? firstLine : nil
            for (index, text) in lines.enumerated().dropFirst(firstLine) {
                let content = text.drop { $0 == " " }
                if content.isEmpty || content.hasPrefix("#") { continue }
                let indent = text.count - content.count
                if indent < column { break }   // the mapping has ended
                if indent == column && content.hasPrefix("\(key):") { repeated = index + 1; break }
            }
            throw SpecError(file: file, key: key, reason: "given twice in the same mapping (a key may appear once)", line: repeated)
        } catch {
            throw SpecError(file: file, key: "(document)", reason: "not valid YAML (\(error))")
        }
        return try SpecReader(file: file).read(root)
    }
}

/// Walks the YAML tree, keeping the key path for error messages.
private struct SpecReader {
    /// Capacities above 2⁵⁰ words (a petabyte-class buffer) are typos, not designs; the
    /// bound also keeps every capacity exact as an `Int` and as a `Double`.
    static let maximumCapacityWords = Double(1 << 50)
    /// PE-array rows or columns above this are typos (the largest arrays built are 256×256).
    static let maximumArrayExtent = 65_536
    /// Widths of words, code words and metadata fields, in bits: 1…64 (the pricing model
    /// shifts and divides by them as 64-bit integers; no memory word is wider).
    static let maximumBits = 64
    let file: String

    func fail(_ key: String, _ node: Node?, _ reason: String) -> SpecError {
        SpecError(file: file, key: key, reason: reason, line: node?.mark?.line)
    }

    func mapping(_ node: Node, _ key: String, allowed: Set<String>) throws -> [String: Node] {
        guard let map = node.mapping else { throw fail(key, node, "expected a mapping of keys to values") }
        var result: [String: Node] = [:]
        for (k, v) in map {
            guard let name = k.string else { throw fail(key, k, "keys must be strings") }
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                throw fail(path, k, "unknown key (allowed here: \(allowed.sorted().joined(separator: ", ")))")
            }
            result[name] = v
        }
        return result
    }

    func required(_ map: [String: Node], _ name: String, in key: String, parent: Node) throws -> Node {
        guard let node = map[name] else {
            throw fail(key.isEmpty ? name : "\(key).\(name)", parent, "missing required key")
        }
        return node
    }

    func number(_ node: Node, _ key: String) throws -> Double {
        guard case .scalar(let scalar) = node,
              let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            throw fail(key, node, "expected a number, found '\(node.string ?? "a non-scalar")'")
        }
        return value
    }

    func nonNegative(_ node: Node, _ key: String) throws -> Double {
        let value = try number(node, key)
        guard value >= 0 else { throw fail(key, node, "must not be negative (found \(value))") }
        return value
    }

    func positive(_ node: Node, _ key: String) throws -> Double {
        let value = try number(node, key)
        guard value > 0 else { throw fail(key, node, "must be positive (found \(value))") }
        return value
    }

    /// A whole number in 1…`maximum`: a fraction is "not a whole number", anything above
    /// `maximum` (Int's range included) is "too large (at most `maximum`)".
    func positiveInt(_ node: Node, _ key: String, maximum: Int) throws -> Int {
        let value = try positive(node, key)
        guard value == value.rounded() else {
            throw fail(key, node, "must be a whole number (found \(value))")
        }
        guard value <= Double(maximum) else {
            throw fail(key, node, "\(node.string ?? String(value)) is too large (at most \(maximum))")
        }
        return Int(value)
    }

    func bool(_ node: Node, _ key: String) throws -> Bool {
        guard let value = node.bool else { throw fail(key, node, "expected true or false") }
        return value
    }

    func string(_ node: Node, _ key: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail(key, node, "expected a string") }
        return scalar.string
    }

    func precision(_ node: Node, _ key: String) throws -> Precision {
        let text = try string(node, key)
        guard let p = Precision(rawValue: text) else {
            throw fail(key, node, "unknown precision '\(text)' (use \(Precision.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return p
    }

    func read(_ root: Node) throws -> ArchitectureSpec {
        let top = try mapping(root, "", allowed: [
            "name", "description", "sources", "energy_unit", "pe_array", "clock_hz", "voltage",
            "idle_power_w", "precision", "mac", "operation_energy", "instruction", "levels", "sparsity",
            "fuse_streaming",
        ])
        let name = try string(try required(top, "name", in: "", parent: root), "name")
        let description = try top["description"].map { try string($0, "description") } ?? ""
        var sources: [String] = []
        if let node = top["sources"] {
            guard let seq = node.sequence else { throw fail("sources", node, "expected a list of strings") }
            sources = try seq.enumerated().map { try string($1, "sources[\($0)]") }
        }
        let unitNode = try required(top, "energy_unit", in: "", parent: root)
        let unitText = try string(unitNode, "energy_unit")
        guard let unit = EnergyUnit(rawValue: unitText) else {
            throw fail("energy_unit", unitNode, "must be 'normalized' or 'pJ' (found '\(unitText)')")
        }

        let arrayNode = try required(top, "pe_array", in: "", parent: root)
        let array = try mapping(arrayNode, "pe_array", allowed: ["rows", "columns"])
        let rows = try positiveInt(try required(array, "rows", in: "pe_array", parent: arrayNode), "pe_array.rows",
                                   maximum: Self.maximumArrayExtent)
        let columns = try positiveInt(try required(array, "columns", in: "pe_array", parent: arrayNode), "pe_array.columns",
                                      maximum: Self.maximumArrayExtent)

        let clockNode = try required(top, "clock_hz", in: "", parent: root)
        let clock = try positive(clockNode, "clock_hz")
        // Beyond these a cycle count turns into hundreds of digits of seconds: a unit slip.
        guard (1e3...1e12).contains(clock) else { throw fail("clock_hz", clockNode, "must be between 1e3 and 1e12 Hz (found \(clock))") }
        var supply = 1.0, reference = 1.0
        if let node = top["voltage"] {
            let v = try mapping(node, "voltage", allowed: ["supply", "reference"])
            supply = try positive(try required(v, "supply", in: "voltage", parent: node), "voltage.supply")
            reference = try positive(try required(v, "reference", in: "voltage", parent: node), "voltage.reference")
        }
        let idle = try top["idle_power_w"].map { try nonNegative($0, "idle_power_w") } ?? 0
        if idle > 0 && unit == .normalized {
            throw fail("idle_power_w", top["idle_power_w"], "idle power needs absolute energies (energy_unit: pJ)")
        }
        let defaultPrecision = try top["precision"].map { try precision($0, "precision") } ?? .int16

        let macNode = try required(top, "mac", in: "", parent: root)
        let macMap = try mapping(macNode, "mac", allowed: ["energy", "precision", "by_precision"])
        let macEnergy = try nonNegative(try required(macMap, "energy", in: "mac", parent: macNode), "mac.energy")
        let macPrecision = try macMap["precision"].map { try precision($0, "mac.precision") } ?? defaultPrecision
        var byPrecision: [Precision: Double] = [:]
        if let node = macMap["by_precision"] {
            let m = try mapping(node, "mac.by_precision", allowed: Set(Precision.allCases.map(\.rawValue)))
            for (k, v) in m { byPrecision[Precision(rawValue: k)!] = try nonNegative(v, "mac.by_precision.\(k)") }
        }
        let operationEnergy = try top["operation_energy"].map { try nonNegative($0, "operation_energy") } ?? macEnergy * 0.5

        var instruction: InstructionSpec?
        if let node = top["instruction"] {
            let m = try mapping(node, "instruction", allowed: ["energy", "operations_per_instruction"])
            instruction = InstructionSpec(
                energy: try nonNegative(try required(m, "energy", in: "instruction", parent: node), "instruction.energy"),
                operationsPerInstruction: try positive(
                    try required(m, "operations_per_instruction", in: "instruction", parent: node),
                    "instruction.operations_per_instruction"))
        }

        let levelsNode = try required(top, "levels", in: "", parent: root)
        guard let levelSeq = levelsNode.sequence else { throw fail("levels", levelsNode, "expected a list of levels") }
        var levels: [LevelSpec] = []
        for (index, node) in levelSeq.enumerated() {
            let level = try readLevel(node, "levels[\(index)]")
            if levels.contains(where: { $0.level == level.level }) {
                throw fail("levels[\(index)].level", node, "level '\(level.level.rawValue)' is listed twice")
            }
            levels.append(level)
        }
        for needed in [MemoryLevel.dram, .globalBuffer] where !levels.contains(where: { $0.level == needed }) {
            throw fail("levels", levelsNode, "missing level '\(needed.rawValue)' (every spec needs dram and global_buffer)")
        }
        levels.sort { $0.level < $1.level }

        var sparsity = SparsitySpec()
        if let node = top["sparsity"] {
            let m = try mapping(node, "sparsity", allowed: ["zero_gating", "zero_skipping", "run_length_compression"])
            if let g = m["zero_gating"] {
                let gm = try mapping(g, "sparsity.zero_gating", allowed: ["inputs", "weights"])
                sparsity.gateZeroInputs = try gm["inputs"].map { try bool($0, "sparsity.zero_gating.inputs") } ?? false
                sparsity.gateZeroWeights = try gm["weights"].map { try bool($0, "sparsity.zero_gating.weights") } ?? false
            }
            if let s = m["zero_skipping"] {
                let sm = try mapping(s, "sparsity.zero_skipping", allowed: ["inputs", "weights", "index_bits"])
                sparsity.skipZeroInputs = try sm["inputs"].map { try bool($0, "sparsity.zero_skipping.inputs") } ?? false
                sparsity.skipZeroWeights = try sm["weights"].map { try bool($0, "sparsity.zero_skipping.weights") } ?? false
                sparsity.skipIndexBits = try sm["index_bits"].map {
                    try positiveInt($0, "sparsity.zero_skipping.index_bits", maximum: Self.maximumBits)
                } ?? 4
            }
            if let r = m["run_length_compression"] {
                let key = "sparsity.run_length_compression"
                let rm = try mapping(r, key, allowed: ["enabled", "run_bits", "code_word_bits"])
                sparsity.runLengthCompression = try rm["enabled"].map { try bool($0, "\(key).enabled") } ?? true
                sparsity.runBits = try rm["run_bits"].map { try positiveInt($0, "\(key).run_bits", maximum: Self.maximumBits) } ?? 5
                sparsity.codeWordBits = try rm["code_word_bits"].map {
                    try positiveInt($0, "\(key).code_word_bits", maximum: Self.maximumBits)
                } ?? 64
                // The model packs floor((code_word_bits − 1) / (run_bits + value bits)) pairs
                // per code word (one flag bit); with no whole pair it would silently send
                // the stream raw (EnergyPricer.runLengthFactor).
                let valueBits = defaultPrecision.bits
                if sparsity.runLengthCompression && sparsity.runBits + valueBits + 1 > sparsity.codeWordBits {
                    let culprit = rm["run_bits"] != nil ? "run_bits" : "code_word_bits"
                    throw fail("\(key).\(culprit)", rm[culprit] ?? r,
                               "run_bits (\(sparsity.runBits)) + \(valueBits) value bits (precision \(defaultPrecision.rawValue)) + 1 flag bit "
                               + "must fit one \(sparsity.codeWordBits)-bit code word (code_word_bits): at most "
                               + "\(max(sparsity.codeWordBits - valueBits - 1, 0)) run bits")
                }
            }
        }

        return ArchitectureSpec(
            name: name, description: description, sources: sources, energyUnit: unit, levels: levels,
            peRows: rows, peColumns: columns,
            mac: MACSpec(energy: macEnergy, referencePrecision: macPrecision, energyByPrecision: byPrecision),
            operationEnergy: operationEnergy, instruction: instruction, clockHz: clock,
            supplyVolts: supply, referenceVolts: reference, idlePowerWatts: idle,
            defaultPrecision: defaultPrecision, sparsity: sparsity,
            fuseStreaming: try top["fuse_streaming"].map { try bool($0, "fuse_streaming") } ?? true)
    }

    func readLevel(_ node: Node, _ key: String) throws -> LevelSpec {
        let m = try mapping(node, key, allowed: [
            "level", "word_bits", "read_energy", "write_energy", "capacity_words", "bandwidth_words_per_cycle",
        ])
        let levelNode = try required(m, "level", in: key, parent: node)
        let levelText = try string(levelNode, "\(key).level")
        guard let level = MemoryLevel(rawValue: levelText) else {
            throw fail("\(key).level", levelNode,
                       "unknown level '\(levelText)' (use \(MemoryLevel.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let wordBits = try positiveInt(try required(m, "word_bits", in: key, parent: node), "\(key).word_bits",
                                       maximum: Self.maximumBits)
        let read = try nonNegative(try required(m, "read_energy", in: key, parent: node), "\(key).read_energy")
        let write = try m["write_energy"].map { try nonNegative($0, "\(key).write_energy") } ?? read
        let bandwidth = try m["bandwidth_words_per_cycle"].map { node in
            let value = try positive(node, "\(key).bandwidth_words_per_cycle")
            guard value >= 1e-6 else { throw fail("\(key).bandwidth_words_per_cycle", node, "must be at least 1e-6 words per cycle (found \(value))") }
            return value
        }

        var capacity: Capacity?
        if let capNode = m["capacity_words"] {
            if capNode.mapping != nil {
                let c = try mapping(capNode, "\(key).capacity_words", allowed: ["weights", "inputs", "outputs"])
                func part(_ name: String) throws -> Int {
                    let n = try required(c, name, in: "\(key).capacity_words", parent: capNode)
                    let v = try nonNegative(n, "\(key).capacity_words.\(name)")
                    guard v >= 1, v == v.rounded() else {
                        throw fail("\(key).capacity_words.\(name)", n,
                                   "capacity too small for any mapping: needs at least one whole word (found \(v))")
                    }
                    guard v <= Self.maximumCapacityWords else {
                        throw fail("\(key).capacity_words.\(name)", n, "\(n.string ?? String(v)) words is too large (at most 2^50)")
                    }
                    return Int(v)
                }
                capacity = .partitioned(weights: try part("weights"), inputs: try part("inputs"), outputs: try part("outputs"))
            } else {
                let v = try nonNegative(capNode, "\(key).capacity_words")
                let minimum = 3.0
                guard v >= minimum, v == v.rounded() else {
                    throw fail("\(key).capacity_words", capNode,
                               "capacity too small for any mapping: needs at least one whole word of each data type (3 words), found \(v)")
                }
                guard v <= Self.maximumCapacityWords else {
                    throw fail("\(key).capacity_words", capNode, "\(capNode.string ?? String(v)) words is too large (at most 2^50)")
                }
                capacity = .shared(words: Int(v))
            }
        }
        switch level {
        case .globalBuffer, .rf:
            guard capacity != nil else {
                throw fail("\(key).capacity_words", node, "level '\(level.rawValue)' is a store: its capacity is required")
            }
        case .dram, .noc:
            if capacity != nil {
                throw fail("\(key).capacity_words", m["capacity_words"], "level '\(level.rawValue)' has no capacity to give")
            }
        }
        return LevelSpec(level: level, wordBits: wordBits, readEnergy: read, writeEnergy: write,
                         capacity: capacity, bandwidthWordsPerCycle: bandwidth)
    }
}
