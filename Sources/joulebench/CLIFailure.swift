import ArgumentParser
import Foundation

/// The tool's version, printed by `joulebench --version`. The one place it is written.
let JouleBenchVersion = "0.1.0"

/// Runs `body`; a runtime failure (bad file, bad data) is printed as
/// `joulebench <command>: <message>` on stderr and ends the tool with exit status 1.
/// Command-line errors (`ValidationError`, exit codes) pass through to argument-parser,
/// which prints them with the subcommand's usage and exit status 64.
func reportingFailures(of command: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        let message = String(describing: error)  // the typed error's description
        FileHandle.standardError.write(Data("joulebench \(command): \(message)\n".utf8))
        throw ExitCode.failure
    }
}

/// The largest batch any command accepts (the zoo's and the ONNX importer's limit).
let maximumBatch = 4096

/// Checks a count of timed runs (`--repeats`, `--benchmark`): at least 1, and at most
/// 10 000, beyond which a typo (an extra digit or three) would run for hours, not a median.
func validateRunCount(_ runs: Int, option: String) throws {
    guard runs >= 1 else { throw ValidationError("--\(option) must be at least 1 (runs)") }
    guard runs <= 10_000 else { throw ValidationError("--\(option) \(runs) is too many runs (at most 10000)") }
}

/// Checks, before any work is done, that an output file can be created where `path`
/// says: its folder exists and is a folder. A run that computes for seconds and then
/// cannot write its result loses the work; this refuses it up front (exit 64).
func checkOutputLocation(_ path: String, option: String) throws {
    guard !path.isEmpty else { throw ValidationError("\(option) needs a file name") }
    var isFolder: ObjCBool = false
    if path.hasSuffix("/") || (FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue) {
        throw ValidationError("\(option) \(path) is a folder; give a file name")
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
        throw ValidationError("\(option) \(path): the folder \(folder) does not exist")
    }
    guard isDirectory.boolValue else { throw ValidationError("\(option) \(path): \(folder) is not a folder") }
    guard FileManager.default.isWritableFile(atPath: folder) else {
        throw ValidationError("\(option) \(path): the folder \(folder) is not writable")
    }
}

/// A folder in which nothing could be processed: no image at all, or only files that
/// failed. The run is a failure (exit 1) so that scripts notice; a folder where some
/// images failed and others were processed still succeeds, listing the failures.
struct NothingProcessedError: Error, CustomStringConvertible {
    var folder: String
    var failures: Int
    var skipped: Int
    var description: String {
        if failures > 0 { return "\(folder): none of its \(failures) image file(s) could be decoded (see the list above)" }
        return "\(folder): no images in it (JPEG, PNG, PGM/PPM, PFM, searched recursively)"
            + (skipped > 0 ? "; \(skipped) other file(s) skipped" : "")
    }
}

/// An `NxCxHxW` shape option (`1x3x224x224`): positive sizes separated by `x`, or nil.
func parseShape(_ text: String) -> [Int]? {
    let sizes = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard !sizes.isEmpty, sizes.allSatisfy({ (1...largestShapeSize).contains($0 ?? 0) }) else { return nil }
    return sizes.compactMap { $0 }
}

/// `--input-shape TEXT` parsed (with `rank` sizes, when given), or the usage error every
/// command gives for a malformed one.
func checkedInputShape(_ text: String, rank: Int? = nil) throws -> [Int] {
    guard let shape = parseShape(text), rank.map({ shape.count == $0 }) ?? true else {
        throw ValidationError("--input-shape must look like 1x3x224x224 (sizes 1 to \(largestShapeSize)), got '\(text)'")
    }
    return shape
}

/// The largest size `--input-shape` takes along any axis (2^24): more is no image, and
/// products of such sizes would overflow the shape arithmetic.
let largestShapeSize = 1 << 24

/// Refuses an output path that is one of the command's inputs or another output: writing it
/// would silently replace the model, the image or the other result.
/// `outputs` and `inputs` are (option or role, path) pairs; nil paths are skipped.
func checkOutputsAreDistinct(outputs: [(String, String?)], inputs: [(String, String)]) throws {
    func identity(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    let given = outputs.compactMap { name, path in path.map { (name, $0, identity($0)) } }
    for (name, path, id) in given {
        if let (role, input) = inputs.first(where: { identity($0.1) == id }) {
            throw ValidationError("\(name) \(path) is the \(role) (\(input)); writing it would replace it")
        }
    }
    for (i, a) in given.enumerated() {
        if let b = given.dropFirst(i + 1).first(where: { $0.2 == a.2 }) {
            throw ValidationError("\(a.0) and \(b.0) name the same file \(a.1)")
        }
    }
}
