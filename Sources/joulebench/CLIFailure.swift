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
