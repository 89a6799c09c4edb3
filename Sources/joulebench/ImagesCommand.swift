import ArgumentParser
import Foundation
import Imaging

/// `joulebench images FOLDER [--json]`: decode every image of a folder (recursively) and
/// report size, format, decode time and what the pyramids add. Exit status 0 when at least
/// one image was decoded, even if some files failed; 1 when the folder cannot be read or
/// no image in it could be decoded (`NothingProcessedError`).
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Decode every image of a folder and report sizes, decode times and pyramid expansion.",
        discussion: "Failed files are listed with their error and do not stop the run. JSON keys: docs/IMAGING.md."
    )

    @Argument(help: "The folder to scan (recursively).")
    var folder: String

    @Flag(name: .long, help: "Print JSON (schema joulebench.images/1) instead of a table.")
    var json = false

    @Option(name: .long, parsing: .unconditional, help: "Fine-scale pyramid step (> 1).")
    var step: Double = 1.05

    @Option(name: .long, parsing: .unconditional, help: "Smallest fine-scale level width, pixels.")
    var minWidth: Int = 64

    @Option(name: .long, parsing: .unconditional, help: "Smallest fine-scale level height, pixels.")
    var minHeight: Int = 128

    @Option(name: .long, parsing: .unconditional, help: "Octave pyramid levels, base included.")
    var octaveLevels: Int = 5

    @Option(name: .long, parsing: .unconditional, help: "Refuse images above this many megapixels (checked from the header).")
    var maxMegapixels: Double = 100

    @Option(name: .long, parsing: .unconditional, help: "Time every decode and pyramid this many times and report medians.")
    var repeats: Int = 1

    func validate() throws {
        try validateRunCount(repeats, option: "repeats")
        guard step > 1, step.isFinite else { throw ValidationError("--step must be > 1") }
        guard minWidth >= 1, minHeight >= 1, octaveLevels >= 1 else {
            throw ValidationError("--min-width, --min-height and --octave-levels must be at least 1")
        }
        guard maxMegapixels > 0 else { throw ValidationError("--max-megapixels must be positive") }
    }

    func run() throws {
        let pyramids = SurveyPyramids(step: step, minimumWidth: minWidth, minimumHeight: minHeight, octaveLevels: octaveLevels)
        try reportingFailures(of: "images") {
            let survey = try ImageSurvey.run(folder: URL(fileURLWithPath: folder),
                                             limits: DecodeLimits(maxMegapixels: maxMegapixels), pyramids: pyramids,
                                             repeats: repeats)
            // An empty folder has no table to show (only its error); a folder of failures or
            // skipped files lists them first. JSON is always printed.
            let nothingToList = survey.entries.isEmpty && survey.failures.isEmpty && survey.skipped.isEmpty
            if json || !nothingToList { print(json ? try survey.json() : survey.table(), terminator: json ? "\n" : "") }
            if survey.entries.isEmpty {
                throw NothingProcessedError(folder: folder, failures: survey.failures.count, skipped: survey.skipped.count)
            }
        }
    }
}
