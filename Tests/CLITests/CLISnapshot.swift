import Foundation
import Testing

// Whole-output tests of the `joulebench` command-line tool, in the style of
// swift-argument-parser's `AssertExecuteCommand` (STYLE.md item 8): run the built binary as a
// subprocess and compare its complete stdout, stderr and exit status with a committed snapshot
// in Tests/CLITests/Snapshots/<name>.txt.
//
// Re-recording: `JOULEBENCH_RECORD_SNAPSHOTS=1 swift test --filter CLITests` rewrites every
// snapshot from the current output (after normalisation) and fails each test once, so that a
// recording run is never mistaken for a passing one. Review the diff (`git diff
// Tests/CLITests/Snapshots`) and run again without the variable.
//
// The binary is the `joulebench` next to the test bundle (the build products directory, e.g.
// .build/debug), so the tests exercise the tool built with them; `JOULEBENCH_BINARY=/path`
// overrides it. Commands run with the repository root as working directory (fixture paths are
// given relative to it) and `COLUMNS=80`, so argument-parser's help wraps at 80 columns
// whatever the terminal.

/// What one run of the tool produced.
struct CLIRun: Sendable {
    var arguments: [String]
    var exitStatus: Int32
    var standardOutput: String
    var standardError: String

    /// The snapshot text: the command line, the exit status, then both streams verbatim.
    var transcript: String {
        let command = (["joulebench"] + arguments).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        return "$ \(command)\nexit status: \(exitStatus)\n--- stdout\n\(standardOutput)--- stderr\n\(standardError)--- end\n"
    }
}

/// A rule that replaces output which legitimately varies between runs or machines. Each rule
/// touches only what it names; everything else is compared byte for byte.
enum Normalisation: Sendable {
    /// Every number in the right-aligned table column headed `header` (on the header's line
    /// and the lines below it, up to the first blank line) becomes `<ms>`, right-aligned in
    /// the header's width. For wall-time columns ("decode ms"). A cell wider than its header
    /// is left alone, so a change of the table's alignment still fails.
    case tableColumn(header: String)
    /// The number in `<prefix><number><suffix>` becomes `<prefix><ms><suffix>` — for wall
    /// times inside a sentence ("… in 412.4 ms").
    case numberBetween(prefix: String, suffix: String)
    /// The numeric value (or array of numeric values) of these JSON keys becomes `"<time>"`,
    /// for wall and CPU times ("wallTimeSeconds", "decodeMilliseconds", …).
    case jsonKeys([String])

    /// Every occurrence of `text` becomes `placeholder` — for paths the test itself chose
    /// (a temporary directory).
    case literal(String, placeholder: String)

    /// The JSON keys holding times in the tool's outputs (images, detect, Trace).
    static let jsonTimes = Normalisation.jsonKeys([
        "wallTimeSeconds", "wallTimesSeconds", "decodeMilliseconds", "decodeCPUMilliseconds",
        "decodeMeanMilliseconds", "decodeMeanCPUMilliseconds", "milliseconds", "cpuMilliseconds",
    ])

    func apply(to text: String) -> String {
        switch self {
        case .tableColumn(let header):
            return Self.maskColumn(text, header: header)
        case .literal(let literal, let placeholder):
            return text.replacingOccurrences(of: literal, with: placeholder)
        case .numberBetween(let prefix, let suffix):
            let pattern = NSRegularExpression.escapedPattern(for: prefix) + "[0-9]+(\\.[0-9]+)?"
                + NSRegularExpression.escapedPattern(for: suffix)
            return Self.replace(pattern, in: text) { _ in prefix + "<ms>" + suffix }
        case .jsonKeys(let keys):
            let number = "-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?"
            let alternatives = keys.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "|")
            // A scalar value, or an array of scalars (pretty-printed over several lines).
            let pattern = "\"(\(alternatives))\" : (\(number)|\\[[-+0-9.eE,\\s]*\\])"
            return Self.replace(pattern, in: text) { match in
                let key = match.split(separator: "\"")[0]
                return "\"\(key)\" : \"<time>\""
            }
        }
    }

    private static func replace(_ pattern: String, in text: String, with transform: (String) -> String) -> String {
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        var result = ""
        var last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            result += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            result += transform(ns.substring(with: match.range))
            last = match.range.location + match.range.length
        }
        return result + ns.substring(from: last)
    }

    private static func maskColumn(_ text: String, header: String) -> String {
        var lines = text.components(separatedBy: "\n").map { Array($0) }
        let headerCharacters = Array(header)
        var row = 0
        while row < lines.count {
            guard let start = firstIndex(of: headerCharacters, in: lines[row]) else { row += 1; continue }
            let end = start + headerCharacters.count
            row += 1
            while row < lines.count, !lines[row].isEmpty {
                let line = lines[row]
                if line.count >= end, start == 0 || line[start - 1] == " ", end == line.count || line[end] == " " {
                    let cell = String(line[start..<end]).trimmingCharacters(in: .whitespaces)
                    if !cell.isEmpty, Double(cell) != nil {
                        let mask = Array(String(repeating: " ", count: headerCharacters.count - 4) + "<ms>")
                        lines[row].replaceSubrange(start..<end, with: mask)
                    }
                }
                row += 1
            }
        }
        return lines.map { String($0) }.joined(separator: "\n")
    }

    private static func firstIndex(of needle: [Character], in line: [Character]) -> Int? {
        guard needle.count <= line.count else { return nil }
        return (0...(line.count - needle.count)).first { line[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

enum CLI {
    /// The repository root (this file is Tests/CLITests/CLISnapshot.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let snapshotDirectory = repositoryRoot.appendingPathComponent("Tests/CLITests/Snapshots")
    static let isRecording = ProcessInfo.processInfo.environment["JOULEBENCH_RECORD_SNAPSHOTS"] == "1"
    /// A run that takes longer than this is killed and fails (debug builds on 2 busy cores).
    static let timeoutSeconds = 120.0

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// The `joulebench` binary built with the tests: beside the `.xctest` bundle (macOS) or
    /// the test executable (Linux); `JOULEBENCH_BINARY` overrides.
    static func executableURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["JOULEBENCH_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        var directories: [URL] = Bundle.allBundles.map(\.bundleURL)
            .filter { $0.pathExtension == "xctest" }.map { $0.deletingLastPathComponent() }
        if let executable = Bundle.main.executableURL {
            directories.append(executable.deletingLastPathComponent())
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent("joulebench")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw SetupError(description: "no joulebench binary next to the test bundle (looked in \(directories.map(\.path))); "
            + "build it with `swift build --build-tests`, or set JOULEBENCH_BINARY")
    }

    /// Runs `joulebench arguments` in the repository root; stdout and stderr go to temporary
    /// files (no pipe can fill up and block the child).
    static func run(_ arguments: [String]) throws -> CLIRun {
        let process = Process()
        process.executableURL = try executableURL()
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "80"
        environment["LINES"] = "25"
        process.environment = environment
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("joulebench-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw SetupError(description: "cannot create output files in \(scratch.path)")
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw SetupError(description: "joulebench \(arguments.joined(separator: " ")) did not finish in \(timeoutSeconds) s")
        }
        process.waitUntilExit()
        try out.close(); try err.close()
        return CLIRun(arguments: arguments, exitStatus: process.terminationStatus,
                      standardOutput: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      standardError: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

/// Runs `joulebench arguments`, checks the exit status, and compares the whole transcript
/// (command, exit status, stdout, stderr) after `normalisations`, then the repository root
/// replaced by `<repo>`, with Tests/CLITests/Snapshots/`snapshot`.txt.
func assertCommand(
    _ arguments: [String], exitStatus: Int32, snapshot: String,
    normalisations: [Normalisation] = [], sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let run = try CLI.run(arguments)
    #expect(run.exitStatus == exitStatus, "exit status of joulebench \(arguments.joined(separator: " "))\nstderr: \(run.standardError)",
            sourceLocation: sourceLocation)
    // The test's own rules first (a scratch folder may lie inside the repository, when
    // TMPDIR does), then the root as the tool sees it (its working directory, symbolic links
    // resolved) and as written here.
    var actual = run.transcript
    for rule in normalisations { actual = rule.apply(to: actual) }
    actual = actual
        .replacingOccurrences(of: CLI.repositoryRoot.resolvingSymlinksInPath().path, with: "<repo>")
        .replacingOccurrences(of: CLI.repositoryRoot.path, with: "<repo>")
    let file = CLI.snapshotDirectory.appendingPathComponent(snapshot + ".txt")

    if CLI.isRecording {
        try FileManager.default.createDirectory(at: CLI.snapshotDirectory, withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: file, options: .atomic)
        Issue.record("recorded \(file.lastPathComponent); run again without JOULEBENCH_RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
        return
    }
    guard let expectedData = FileManager.default.contents(atPath: file.path) else {
        Issue.record("""
            no snapshot \(file.path); record it with JOULEBENCH_RECORD_SNAPSHOTS=1 swift test --filter CLITests
            actual output:
            \(actual)
            """, sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: expectedData, as: UTF8.self)
    guard expected != actual else { return }
    // Show the first differing line, and keep the whole actual output for `diff`.
    let expectedLines = expected.components(separatedBy: "\n"), actualLines = actual.components(separatedBy: "\n")
    let line = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(expectedLines.count, actualLines.count)
    let actualFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(snapshot).actual.txt")
    try? Data(actual.utf8).write(to: actualFile, options: .atomic)
    Issue.record("""
        output differs from \(file.lastPathComponent) at line \(line + 1)
          expected: \(line < expectedLines.count ? expectedLines[line] : "<end of snapshot>")
          actual:   \(line < actualLines.count ? actualLines[line] : "<end of output>")
        whole output: \(actualFile.path) (diff it with the snapshot; re-record with JOULEBENCH_RECORD_SNAPSHOTS=1)
        """, sourceLocation: sourceLocation)
}
