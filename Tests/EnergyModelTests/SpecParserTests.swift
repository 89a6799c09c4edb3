import Foundation
import Testing
@testable import EnergyModel
import Workloads

@Suite struct SpecParserTests {
    @Test("every shipped preset parses and validates", arguments: ["eyeriss", "eyeriss-pj", "eyeriss-isca2016", "edge-int8", "cpu"])
    func presetsParse(name: String) throws {
        #expect(ArchitectureSpec.presetNames.contains(name))
        let spec = try ArchitectureSpec.preset(named: name)
        #expect(spec.name == name)
        #expect(spec.level(.dram) != nil && spec.level(.globalBuffer) != nil)
        #expect(!spec.sources.isEmpty)
    }

    @Test func eyerissPresetMatchesThePaper() throws {
        let spec = try ArchitectureSpec.preset(named: "eyeriss")
        #expect(spec.processingElements == 168)
        #expect(spec.level(.rf)?.capacity == .partitioned(weights: 224, inputs: 12, outputs: 24))
        #expect(spec.level(.globalBuffer)?.capacity == .shared(words: 108 * 1024 / 2))
        #expect([spec.mac.energy, spec.level(.rf)!.readEnergy, spec.level(.noc)!.readEnergy,
                 spec.level(.globalBuffer)!.readEnergy, spec.level(.dram)!.readEnergy] == [1, 1, 2, 6, 200])
        #expect(spec.clockHz == 200e6)
    }

    static let valid = """
    name: test
    energy_unit: normalized
    pe_array: {rows: 2, columns: 2}
    clock_hz: 1e8
    mac: {energy: 1}
    levels:
      - {level: dram, word_bits: 16, read_energy: 200}
      - {level: global_buffer, word_bits: 16, capacity_words: 1024, read_energy: 6}
      - {level: rf, word_bits: 16, capacity_words: 16, read_energy: 1}
    """

    @Test func minimalSpecParsesWithAbsentNoC() throws {
        let spec = try ArchitectureSpec.parse(yaml: Self.valid, file: "t.yaml")
        #expect(spec.level(.noc) == nil)
        #expect(spec.level(.globalBuffer)?.writeEnergy == 6, "write energy defaults to the read energy")
    }

    /// Malformed specs: (what is wrong, the YAML, the key the error must name, a phrase of the reason).
    static let malformed: [(String, String, String, String)] = [
        ("missing level", valid.replacingOccurrences(of: "  - {level: global_buffer, word_bits: 16, capacity_words: 1024, read_energy: 6}\n", with: ""),
         "levels", "missing level 'global_buffer'"),
        ("negative energy", valid.replacingOccurrences(of: "read_energy: 200", with: "read_energy: -200"),
         "levels[0].read_energy", "must not be negative"),
        ("non-numeric energy", valid.replacingOccurrences(of: "read_energy: 6}", with: "read_energy: six}"),
         "levels[1].read_energy", "expected a number"),
        ("buffer too small", valid.replacingOccurrences(of: "capacity_words: 1024", with: "capacity_words: 2"),
         "levels[1].capacity_words", "too small for any mapping"),
        ("RF partition empty", valid.replacingOccurrences(of: "capacity_words: 16", with: "capacity_words: {weights: 8, inputs: 0, outputs: 4}"),
         "levels[2].capacity_words.inputs", "too small for any mapping"),
        ("unknown top-level key", valid + "\nturbo: true\n", "turbo", "unknown key"),
        ("unknown level key", valid.replacingOccurrences(of: "read_energy: 1}", with: "read_energy: 1, size: 3}"),
         "levels[2].size", "unknown key"),
        ("unknown level name", valid.replacingOccurrences(of: "level: rf", with: "level: scratchpad"),
         "levels[2].level", "unknown level 'scratchpad'"),
        ("missing required key", valid.replacingOccurrences(of: "clock_hz: 1e8\n", with: ""), "clock_hz", "missing required key"),
        ("bad energy unit", valid.replacingOccurrences(of: "energy_unit: normalized", with: "energy_unit: joules"),
         "energy_unit", "must be 'normalized' or 'pJ'"),
        ("store without capacity", valid.replacingOccurrences(of: " capacity_words: 16,", with: ""),
         "levels[2].capacity_words", "capacity is required"),
        ("level listed twice", valid + "\n  - {level: dram, word_bits: 16, read_energy: 100}\n", "levels[3].level", "listed twice"),
        ("fractional PE count", valid.replacingOccurrences(of: "rows: 2", with: "rows: 2.5"), "pe_array.rows", "whole number"),
        ("idle power in normalised units", valid + "\nidle_power_w: 0.1\n", "idle_power_w", "needs absolute energies"),
        ("unknown precision", valid.replacingOccurrences(of: "mac: {energy: 1}", with: "mac: {energy: 1, precision: int4}"),
         "mac.precision", "unknown precision 'int4'"),
        ("not a mapping", "- just\n- a list\n", "", "expected a mapping"),
        ("absurd buffer capacity (once a crash converting 1e19 to Int)",
         valid.replacingOccurrences(of: "capacity_words: 1024", with: "capacity_words: 1e19"),
         "levels[1].capacity_words", "1e19 words is too large (at most 2^50)"),
        ("absurd RF partition", valid.replacingOccurrences(of: "capacity_words: 16", with: "capacity_words: {weights: 1e19, inputs: 4, outputs: 4}"),
         "levels[2].capacity_words.weights", "1e19 words is too large (at most 2^50)"),
        ("absurd array", valid.replacingOccurrences(of: "rows: 2", with: "rows: 1200000"), "pe_array.rows", "1200000 is too large (at most 65536)"),
        ("zero word width", valid.replacingOccurrences(of: "level: dram, word_bits: 16", with: "level: dram, word_bits: 0"),
         "levels[0].word_bits", "must be positive"),
        ("fractional word width", valid.replacingOccurrences(of: "level: dram, word_bits: 16", with: "level: dram, word_bits: 15.5"),
         "levels[0].word_bits", "must be a whole number"),
        // New-user trial (session 6): Yams's message repeated the whole file and named the
        // mapping's first line.
        ("duplicated key", valid + "\nclock_hz: 2e8\n", "clock_hz", "given twice in the same mapping"),
        // New-user trial (session 6): these priced, with a latency of ~200 digits.
        ("absurd clock", valid.replacingOccurrences(of: "clock_hz: 1e8", with: "clock_hz: 1e-300"), "clock_hz", "must be between 1e3 and 1e12 Hz"),
        ("absurd bandwidth", valid.replacingOccurrences(of: "read_energy: 200}", with: "read_energy: 200, bandwidth_words_per_cycle: 1e-300}"),
         "levels[0].bandwidth_words_per_cycle", "must be at least 1e-6 words per cycle"),
    ]

    /// A duplicated key is named with the line it is repeated on, in its own mapping (a key
    /// of the same name in a sibling mapping is not it), or the line of a flow mapping.
    @Test func aDuplicatedKeyIsNamedAtTheLineItIsRepeatedOn() throws {
        let nested = Self.valid + """

        sparsity:
          zero_gating:
            inputs: true
            weights: false
          zero_skipping:
            weights: false
            inputs: false
            weights: true
        """
        let lines = nested.split(separator: "\n", omittingEmptySubsequences: false)
        let repeatedAt = lines.lastIndex { $0.hasPrefix("    weights: true") }! + 1
        let error = try #require(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: nested, file: "d.yaml") }
        #expect(error.key == "weights" && error.line == repeatedAt, "\(error)")

        let flow = Self.valid.replacingOccurrences(of: "pe_array: {rows: 2, columns: 2}", with: "pe_array: {rows: 2, columns: 2, rows: 3}")
        let flowError = try #require(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: flow, file: "d.yaml") }
        let flowLine = flow.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("pe_array") }! + 1
        #expect(flowError.key == "rows" && flowError.line == flowLine, "\(flowError)")

        // In a block list item, with further items after it (their keys are not repeats).
        let item = Self.valid.replacingOccurrences(of: "  - {level: dram, word_bits: 16, read_energy: 200}",
                                                   with: "  - level: dram\n    word_bits: 16\n    read_energy: 200\n    read_energy: 100")
        let itemError = try #require(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: item, file: "d.yaml") }
        let itemLine = item.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("    read_energy: 100") }! + 1
        #expect(itemError.key == "read_energy" && itemError.line == itemLine, "\(itemError)")
    }

    @Test("finite but absurd values that overflow a price are refused when pricing, naming the operator")
    func overflowingSpecRefusedWhenPricing() throws {
        let spec = try ArchitectureSpec.parse(yaml: Self.valid.replacingOccurrences(of: "mac: {energy: 1}", with: "mac: {energy: 1e308}"), file: "t.yaml")
        let trace = try Trace.loadForPricing("alexnet")
        #expect(throws: PricingError.self) { _ = try EnergyPricer(spec: spec, dataflow: .rs).price(trace: trace) }
    }

    @Test("malformed specs are refused with the file, the key and the reason", arguments: malformed)
    func malformedSpecRefused(_ testCase: (String, String, String, String)) {
        let (what, yaml, key, reason) = testCase
        do {
            _ = try ArchitectureSpec.parse(yaml: yaml, file: "bad.yaml")
            Issue.record("\(what): accepted")
        } catch let error as SpecError {
            #expect(error.file == "bad.yaml", "\(what)")
            #expect(error.key == key, "\(what): \(error)")
            #expect(error.reason.contains(reason), "\(what): \(error)")
            #expect(error.description.hasPrefix("bad.yaml"), "\(what)")
        } catch {
            Issue.record("\(what): unexpected error \(error)")
        }
    }

    /// New-user trial: `word_bits: 100000` was accepted (and changed energies 5×),
    /// `run_bits: 1000` beside `code_word_bits: 64` silently disabled compression, and
    /// `rows: 3000000000` said "must be a whole number". Each is refused with the file, the
    /// line and the key. Lines of `valid`: 3 pe_array, 7 dram, 8 global_buffer, 9 rf; the
    /// appended sparsity block starts at line 10.
    static let outOfRange: [(String, String, String)] = [
        (valid.replacingOccurrences(of: "level: dram, word_bits: 16", with: "level: dram, word_bits: 100000"),
         "levels[0].word_bits", "7: architecture spec key 'levels[0].word_bits': 100000 is too large (at most 64)"),
        (valid.replacingOccurrences(of: "level: rf, word_bits: 16", with: "level: rf, word_bits: 65"),
         "levels[2].word_bits", "9: architecture spec key 'levels[2].word_bits': 65 is too large (at most 64)"),
        (valid.replacingOccurrences(of: "rows: 2", with: "rows: 3000000000"),
         "pe_array.rows", "3: architecture spec key 'pe_array.rows': 3000000000 is too large (at most 65536)"),
        (valid.replacingOccurrences(of: "columns: 2", with: "columns: 99999999999999999999"),
         "pe_array.columns", "3: architecture spec key 'pe_array.columns': 99999999999999999999 is too large (at most 65536)"),
        (valid + "\nsparsity:\n  run_length_compression: {run_bits: 1000, code_word_bits: 64}\n",
         "sparsity.run_length_compression.run_bits",
         "11: architecture spec key 'sparsity.run_length_compression.run_bits': 1000 is too large (at most 64)"),
        (valid + "\nsparsity:\n  run_length_compression: {code_word_bits: 128}\n",
         "sparsity.run_length_compression.code_word_bits",
         "11: architecture spec key 'sparsity.run_length_compression.code_word_bits': 128 is too large (at most 64)"),
        (valid + "\nsparsity:\n  zero_skipping: {inputs: true, index_bits: 4294967296}\n",
         "sparsity.zero_skipping.index_bits",
         "11: architecture spec key 'sparsity.zero_skipping.index_bits': 4294967296 is too large (at most 64)"),
        // int16 values: 48 + 16 + 1 = 65 bits, one more than the code word.
        (valid + "\nsparsity:\n  run_length_compression: {run_bits: 48, code_word_bits: 64}\n",
         "sparsity.run_length_compression.run_bits",
         "11: architecture spec key 'sparsity.run_length_compression.run_bits': run_bits (48) + 16 value bits (precision int16) "
         + "+ 1 flag bit must fit one 64-bit code word (code_word_bits): at most 47 run bits"),
        // The default 5 run bits do not fit a 16-bit code word beside int16 values.
        (valid + "\nsparsity:\n  run_length_compression:\n    code_word_bits: 16\n",
         "sparsity.run_length_compression.code_word_bits",
         "12: architecture spec key 'sparsity.run_length_compression.code_word_bits': run_bits (5) + 16 value bits (precision int16) "
         + "+ 1 flag bit must fit one 16-bit code word (code_word_bits): at most 0 run bits"),
    ]

    @Test("out-of-range integers and bit widths are refused with file:line and key", arguments: outOfRange)
    func outOfRangeIntegersRefused(_ testCase: (String, String, String)) throws {
        let (yaml, key, description) = testCase
        let error = try #require(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: yaml, file: "bad.yaml") }
        #expect(error.key == key)
        #expect(error.description == "bad.yaml:" + description)
    }

    @Test("the largest accepted values still parse; compression off needs no room for a pair")
    func boundaryValuesParse() throws {
        let widest = Self.valid.replacingOccurrences(of: "rows: 2", with: "rows: 65536")
            .replacingOccurrences(of: "level: dram, word_bits: 16", with: "level: dram, word_bits: 64")
            + "\nsparsity:\n  run_length_compression: {run_bits: 47, code_word_bits: 64}\n"
        let spec = try ArchitectureSpec.parse(yaml: widest, file: "t.yaml")
        #expect(spec.peRows == 65536 && spec.level(.dram)?.wordBits == 64 && spec.sparsity.runBits == 47)
        let off = Self.valid + "\nsparsity:\n  run_length_compression: {enabled: false, code_word_bits: 16}\n"
        #expect(try ArchitectureSpec.parse(yaml: off, file: "t.yaml").sparsity.runLengthCompression == false)
        // int8 values leave room for 5 run bits in a 16-bit code word.
        let int8 = Self.valid + "\nprecision: int8\nsparsity:\n  run_length_compression: {code_word_bits: 16}\n"
        #expect(try ArchitectureSpec.parse(yaml: int8, file: "t.yaml").sparsity.codeWordBits == 16)
    }

    /// New-user trial: a JPEG given as the spec got Foundation's "The file isn't in the
    /// correct format."
    @Test func binaryFileIsNotASpec() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString).yaml")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0xC3, 0x28]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = try #require(throws: SpecError.self) { try ArchitectureSpec.load(file.path) }
        #expect(error.key == "(file)")
        #expect(error.description == "\(file.path): is not a UTF-8 text file (is it a YAML architecture spec?)")
    }

    @Test func invalidYAMLIsRefused() {
        #expect(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: "name: [unclosed", file: "x.yaml") }
        #expect(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: "", file: "x.yaml") }
    }

    @Test func unknownPresetOrMissingFileIsRefused() {
        #expect(throws: SpecError.self) { try ArchitectureSpec.preset(named: "tpu-v9") }
        #expect(throws: SpecError.self) { try ArchitectureSpec.load("/nonexistent/spec.yaml") }
    }

    @Test func errorCarriesTheLine() throws {
        let yaml = Self.valid.replacingOccurrences(of: "read_energy: 6}", with: "read_energy: -6}")
        let error = try #require(throws: SpecError.self) { try ArchitectureSpec.parse(yaml: yaml, file: "l.yaml") }
        #expect(error.line == 8)
        #expect(error.description.hasPrefix("l.yaml:8: "))
    }

    @Test("MAC energy by precision: explicit values win, others scale with the square of the width")
    func macEnergyByPrecision() throws {
        let spec = try ArchitectureSpec.preset(named: "eyeriss")
        #expect(spec.macEnergy(.int16) == 1)
        #expect(spec.macEnergy(.int8) == 0.25)
        #expect(spec.macEnergy(.int32) == 4)
        #expect(abs(spec.macEnergy(.fp16) - 1.4) < 1e-12)
        let edge = try ArchitectureSpec.preset(named: "edge-int8")
        #expect(edge.macEnergy(.int16) == 0.35)
    }
}
