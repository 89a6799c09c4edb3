import Workloads

/// How streaming fusion changed one operator's DRAM traffic (JSON key `fusion` of an
/// operator; docs/ENERGY.md, "Streaming fusion"). Present on every streaming operator
/// whose trace names its producers; `nil` on all other operators.
public struct StreamingFusion: Codable, Hashable, Sendable {
    /// The operator's input stream came on chip: from fused producers' outputs, or from a
    /// frame pass whose DRAM read another operator paid (no DRAM input reads).
    public var inputOnChip: Bool
    /// Every consumer of the output is fused to it: the output is not written to DRAM.
    public var outputOnChip: Bool
    /// For an operator that reads only the frame (`producers == []`) and shares a DRAM
    /// pass over it with others: the pass, counted from 0 in trace order.
    public var framePass: Int?
    /// Words held in line buffers by the fused chain this operator belongs to (what was
    /// checked against the global buffer).
    public var chainLineBufferWords: Int
    /// Why the input was not fused, when it was not.
    public var reason: String?

    public init(inputOnChip: Bool, outputOnChip: Bool, framePass: Int? = nil, chainLineBufferWords: Int, reason: String? = nil) {
        self.inputOnChip = inputOnChip; self.outputOnChip = outputOnChip; self.framePass = framePass
        self.chainLineBufferWords = chainLineBufferWords; self.reason = reason
    }

    /// Fused edge: the input stream comes from producers' outputs held on chip.
    static let noteInputFused = "fused: input streamed on chip from its producers (no DRAM read)"
    static let noteFrameShared = "fused: reads the frame from a pass another operator reads from DRAM (no DRAM read)"
    static let noteFramePayer = "frame pass: reads the frame from DRAM once for every frame consumer of its pass"
    static let noteOutputOnChip = "fused: output consumed on chip only (not written to DRAM)"
    static let reasonTooLarge = "not fused: the fused chain's line buffers would exceed the global buffer"
    static let reasonProducer = "not fused: a producer is not a streaming operator earlier in the trace"
    static let reasonOff = "streaming fusion off"
}

/// Decides which streaming operators of a trace are fused (docs/ENERGY.md, "Streaming
/// fusion"). A streaming accelerator (the HOG ASIC) keeps a chain of streaming operators
/// on chip: intermediate results pass through line buffers, and only the frame is read
/// from DRAM.
///
/// Rules, applied in trace order:
/// 1. A streaming operator whose `producers` are all streaming operators earlier in the
///    trace is fused to them when the line buffers of the merged chain (its own plus all
///    its producers' chains) fit the global buffer; its input stream is then on chip.
/// 2. An operator's output is not written to DRAM when it has at least one consumer, every
///    consumer is fused to it, and no later operator has unknown producers (`nil`).
/// 3. Streaming operators that read only the frame (`producers == []`, same input word
///    count) share DRAM passes over it: in trace order, each one's chain joins the first
///    pass whose line buffers, with it, still fit the global buffer (first fit); the first
///    operator of a pass reads the frame from DRAM, the others take it on chip. A pass of
///    one is an ordinary DRAM read.
/// Operators of other categories, and streaming operators with unknown producers, are
/// untouched (`nil`). CNN layer fusion is not modelled.
enum StreamingFusionPlanner {
    static func plan(_ shapes: [OperatorShape], enabled: Bool, capacityWords: Double) -> [StreamingFusion?] {
        let n = shapes.count
        func isStreaming(_ i: Int) -> Bool { shapes[i].kind.category == .streaming }
        let candidates = (0..<n).map { isStreaming($0) && shapes[$0].producers != nil }
        guard enabled else {
            return (0..<n).map { i in
                candidates[i] ? StreamingFusion(inputOnChip: false, outputOnChip: false,
                                                chainLineBufferWords: shapes[i].streaming?.lineBufferWords ?? 0,
                                                reason: StreamingFusion.reasonOff) : nil
            }
        }
        var index: [String: Int] = [:]
        for (i, s) in shapes.enumerated() where index[s.name] == nil { index[s.name] = i }

        // Chains as a union-find over operator indices, with their line-buffer words.
        var parent = Array(0..<n)
        var live = shapes.map { Double($0.streaming?.lineBufferWords ?? 0) }
        func root(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            var j = i
            while parent[j] != r { let next = parent[j]; parent[j] = r; j = next }
            return r
        }

        var edgeFused = Array(repeating: false, count: n)
        var reasons: [String?] = Array(repeating: nil, count: n)
        for i in 0..<n where candidates[i] {
            let names = shapes[i].producers!
            if names.isEmpty { continue }  // reads the frame: rule 3
            let producers = names.map { index[$0] }
            guard producers.allSatisfy({ $0 != nil && $0! < i && isStreaming($0!) }) else {
                reasons[i] = StreamingFusion.reasonProducer
                continue
            }
            let roots = Set(producers.map { root($0!) } + [root(i)])
            let total = roots.reduce(0) { $0 + live[$1] }
            guard total <= capacityWords else {
                reasons[i] = StreamingFusion.reasonTooLarge
                continue
            }
            let merged = root(i)
            for r in roots where r != merged { parent[r] = merged }
            live[merged] = total
            edgeFused[i] = true
        }

        // Rule 2: outputs consumed on chip only.
        var consumers: [[Int]] = Array(repeating: [], count: n)
        for i in 0..<n { for name in shapes[i].producers ?? [] { if let j = index[name] { consumers[j].append(i) } } }
        var lastUnknown = -1
        for i in 0..<n where shapes[i].producers == nil { lastUnknown = i }
        let outputOnChip = (0..<n).map { j in
            candidates[j] && !consumers[j].isEmpty && consumers[j].allSatisfy { edgeFused[$0] } && lastUnknown < j
        }

        // Rule 3: frame consumers share passes over the frame.
        var framePass: [Int?] = Array(repeating: nil, count: n)
        var sharedInput = Array(repeating: false, count: n)
        var byInput: [Int: [Int]] = [:]
        var inputOrder: [Int] = []
        for i in 0..<n where candidates[i] && shapes[i].producers!.isEmpty {
            let words = shapes[i].inputWords
            if byInput[words] == nil { inputOrder.append(words) }
            byInput[words, default: []].append(i)
        }
        var passCount = 0
        for words in inputOrder {
            let members = byInput[words]!.filter { live[root($0)] <= capacityWords }
            guard members.count > 1 else { continue }
            // First fit: each chain joins the first pass it fits in, alongside the chains
            // already streaming from that pass.
            var passes: [(live: Double, chains: Set<Int>, members: [Int])] = []
            for i in members {
                let r = root(i)
                if let k = passes.firstIndex(where: { $0.chains.contains(r) || $0.live + live[r] <= capacityWords }) {
                    if !passes[k].chains.contains(r) { passes[k].chains.insert(r); passes[k].live += live[r] }
                    passes[k].members.append(i)
                } else {
                    passes.append((live[r], [r], [i]))
                }
            }
            for pass in passes where pass.members.count > 1 {
                for (k, i) in pass.members.enumerated() { framePass[i] = passCount; sharedInput[i] = k > 0 }
                passCount += 1
            }
        }

        return (0..<n).map { i in
            guard candidates[i] else { return nil }
            return StreamingFusion(
                inputOnChip: edgeFused[i] || sharedInput[i], outputOnChip: outputOnChip[i], framePass: framePass[i],
                chainLineBufferWords: Int(live[root(i)]), reason: reasons[i])
        }
    }
}

extension StreamingFusion {
    /// The notes an operator's price carries for this decision (grouped by the table).
    var notes: [String] {
        var notes: [String] = []
        if inputOnChip { notes.append(framePass != nil ? Self.noteFrameShared : Self.noteInputFused) }
        if framePass != nil && !inputOnChip { notes.append(Self.noteFramePayer) }
        if outputOnChip { notes.append(Self.noteOutputOnChip) }
        if let reason, reason != Self.reasonOff { notes.append(reason) }
        return notes
    }
}

extension StreamingFusion {
    /// One network note summarising the decisions, or `nil` when no operator had one.
    static func summary(_ plan: [StreamingFusion?], shapes: [OperatorShape], enabled: Bool) -> String? {
        let decided = plan.compactMap { $0 }
        guard !decided.isEmpty else { return nil }
        guard enabled else { return "streaming fusion off: every streaming operator reads its inputs from and writes its outputs to DRAM" }
        let inputs = decided.filter(\.inputOnChip).count, outputs = decided.filter(\.outputOnChip).count
        let frameReads = zip(plan, shapes).filter { $0.0 != nil && $0.1.producers == [] && !$0.0!.inputOnChip }.count
        let passes = Set(decided.compactMap(\.framePass)).count
        var text = "streaming fusion on: \(inputs) of \(decided.count) streaming operators take their input on chip, \(outputs) keep their output on chip"
        if frameReads > 0 { text += "; the frame is read from DRAM \(frameReads) time\(frameReads == 1 ? "" : "s") (\(passes) shared pass\(passes == 1 ? "" : "es"))" }
        return text
    }
}
