import Foundation

extension NetworkPrice {
    /// Canonical JSON (sorted keys, camelCase like the Trace); the keys are documented in docs/ENERGY.md.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// The per-operator breakdown as two plain-text tables: energy by level × data type
    /// (W/I/O), then words per level, cycles and utilisation. A level the spec lacks is
    /// printed `absent`, one the dataflow does not use `unused`.
    public func table() -> String {
        let unit = energyUnit == .picojoules ? "pJ" : "norm."
        var out = "model \(model) on \(architecture), dataflow \(dataflow.rawValue), \(precision.rawValue), batch \(batch)\n"
        out += "energy (\(unit)) by level x data type (W/I/O)\n"
        // Idle/leakage energy gets its own column when the spec has any, so that every
        // row's columns add up to its total.
        let showsIdle = idleEnergy > 0
        var rows: [[String]] = [["operator", "MACs", "MAC", "RF W/I/O", "NoC W/I/O", "GLB W/I/O", "DRAM W/I/O"] + (showsIdle ? ["idle"] : []) + ["total"]]
        func cell(_ l: LevelCost) -> String {
            switch l.status {
            case .absent: return "absent"
            case .unused: return "unused"
            case .present: return "\(Self.short(l.energy.weights))/\(Self.short(l.energy.inputs))/\(Self.short(l.energy.outputs))"
            }
        }
        func levelCells(_ ls: [LevelCost]) -> [String] {
            [MemoryLevel.rf, .noc, .globalBuffer, .dram].map { level in cell(ls.first { $0.level == level }!) }
        }
        for op in operators {
            rows.append([op.name, Self.short(op.macs), Self.short(op.arithmeticEnergy)] + levelCells(op.levels)
                        + (showsIdle ? [Self.short(op.idleEnergy)] : []) + [Self.short(op.totalEnergy)])
        }
        rows.append(["total", Self.short(operators.reduce(0) { $0 + $1.macs }), Self.short(arithmeticEnergy)]
                    + levelCells(levelTotals) + (showsIdle ? [Self.short(idleEnergy)] : []) + [Self.short(totalEnergy)])
        out += Self.render(rows)
        out += "\nwords moved, cycles, utilisation\n"
        var rows2: [[String]] = [["operator", "DRAM words", "GLB words", "NoC words", "RF words", "cycles", "latency ms", "active PEs", "util."]]
        func words(_ l: LevelCost) -> String {
            switch l.status {
            case .absent: "absent"
            case .unused: "unused"
            case .present: Self.short(l.words.total)
            }
        }
        for op in operators {
            rows2.append([op.name] + [MemoryLevel.dram, .globalBuffer, .noc, .rf].map { words(op.level($0)) }
                         + [Self.short(op.cycles), String(format: "%.3f", op.latencySeconds * 1e3), "\(op.activeProcessingElements)",
                            String(format: "%.0f%%", op.utilization * 100)])
        }
        rows2.append(["total"] + [MemoryLevel.dram, .globalBuffer, .noc, .rf].map { level in words(levelTotals.first { $0.level == level }!) }
                     + [Self.short(cycles), String(format: "%.3f", latencySeconds * 1e3), "", ""])
        out += Self.render(rows2)
        out += "\ntotal energy \(Self.short(totalEnergy)) \(unit)"
        if idleEnergy > 0 { out += " (idle \(Self.short(idleEnergy)))" }
        out += "; per input pixel \(String(format: "%.4g", energyPerInputPixel)) \(unit) (\(inputPixels) pixels of \(pixelBasis) x batch \(batch))"
        if energyUnit == .picojoules { out += String(format: " = %.4g nJ/pixel", energyPerInputPixel / 1000) }
        if networkInputPixels != inputPixels {
            out += "; per network-input pixel \(String(format: "%.4g", energyPerNetworkInputPixel)) \(unit) (\(networkInputPixels) pixels)"
            if energyUnit == .picojoules { out += String(format: " = %.4g nJ/pixel", energyPerNetworkInputPixel / 1000) }
        }
        out += "\n"
        for note in notes { out += "note: \(note)\n" }
        // Operator notes, grouped: one line per distinct note with the operators it concerns.
        var order: [String] = []
        var concerned: [String: [String]] = [:]
        for op in operators {
            for note in op.notes {
                if concerned[note] == nil { order.append(note) }
                concerned[note, default: []].append(op.name)
            }
        }
        // At most eight names per note (a 1080p HOG trace has ~120 operators per note); the
        // JSON output keeps every operator's notes.
        for note in order {
            let names = concerned[note]!
            let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? " and \(names.count - 8) more" : "")
            out += "note (\(shown)): \(note)\n"
        }
        return out
    }

    /// 3 significant digits with an SI suffix (k, M, G, T).
    static func short(_ v: Double) -> String {
        let a = abs(v)
        let (scale, suffix): (Double, String) =
            a >= 1e12 ? (1e12, "T") : a >= 1e9 ? (1e9, "G") : a >= 1e6 ? (1e6, "M") : a >= 1e3 ? (1e3, "k") : (1, "")
        return String(format: "%.3g", v / scale) + suffix
    }

    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, text in
                c == 0 ? text.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - text.count) + text
            }.joined(separator: "  ")
        }.map { line in String(line.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n") + "\n"
    }
}

extension ArchitectureSpec {
    /// A readable summary of the spec (what `joulebench arch SPEC` prints).
    public func summary() -> String {
        let unit = energyUnit == .picojoules ? "pJ" : "normalised (MAC = 1)"
        var out = "\(name): \(description)\n"
        out += "  PE array \(peRows) x \(peColumns) = \(processingElements) PEs, clock \(String(format: "%.4g", clockHz / 1e6)) MHz, "
        out += "supply \(supplyVolts) V (reference \(referenceVolts) V, dynamic x\(String(format: "%.3g", voltageScale)))\n"
        out += "  precision \(defaultPrecision.rawValue); MAC \(mac.energy) \(unit) at \(mac.referencePrecision.rawValue)"
        out += "; by precision: " + Precision.allCases.map { "\($0.rawValue) \(String(format: "%.3g", macEnergy($0)))" }.joined(separator: ", ") + "\n"
        if let i = instruction { out += "  instruction overhead \(i.energy) per instruction / \(i.operationsPerInstruction) operations\n" }
        for level in MemoryLevel.allCases {
            guard let l = self.level(level) else { out += "  \(level.rawValue): absent\n"; continue }
            var line = "  \(level.rawValue): \(l.wordBits)-bit words, read \(l.readEnergy), write \(l.writeEnergy)"
            switch l.capacity {
            case .shared(let w)?: line += ", capacity \(w) words" + (level == .rf ? " per PE" : "")
            case .partitioned(let w, let i, let o)?: line += ", capacity W/I/O \(w)/\(i)/\(o) words" + (level == .rf ? " per PE" : "")
            case nil: break
            }
            if let b = l.bandwidthWordsPerCycle { line += ", \(b) words/cycle" }
            out += line + "\n"
        }
        let s = sparsity
        out += "  sparsity: gating inputs \(s.gateZeroInputs), weights \(s.gateZeroWeights); skipping inputs \(s.skipZeroInputs), weights \(s.skipZeroWeights); RLC on DRAM \(s.runLengthCompression)\n"
        if !fuseStreaming { out += "  streaming fusion: off (fuse_streaming: false)\n" }
        if idlePowerWatts > 0 { out += "  idle power \(idlePowerWatts) W\n" }
        for source in sources { out += "  source: \(source)\n" }
        return out
    }
}
