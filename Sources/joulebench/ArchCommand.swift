import ArgumentParser
import EnergyModel
import Foundation

/// `joulebench arch [SPEC]`: lists the shipped architecture presets, or shows and
/// validates one spec (a preset name or a YAML file).
struct ArchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arch",
        abstract: "List architecture presets, or show and validate an architecture spec (preset name or YAML file).")

    @Argument(help: "A preset name or a path to a YAML spec. Omit to list the presets.")
    var spec: String?

    @Flag(help: "Print the preset's YAML (a starting point for a spec of your own) instead of its summary.")
    var yaml = false

    func validate() throws {
        if yaml && spec == nil { throw ValidationError("--yaml needs a preset name (see `joulebench arch`)") }
    }

    func run() throws {
        try reportingFailures(of: "arch") {
            guard let spec else {
                // The name column is as wide as the longest name, so every listed name is loadable.
                let width = ArchitectureSpec.presetNames.map(\.count).max() ?? 0
                for name in ArchitectureSpec.presetNames {
                    let preset = try ArchitectureSpec.preset(named: name)
                    print("\(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(preset.description)")
                }
                return
            }
            if yaml {
                if let text = ArchitectureSpec.presetYAML(named: spec) {
                    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
                } else {
                    // A file is printed as the user wrote it, once it validates.
                    _ = try ArchitectureSpec.load(spec)
                    print(try String(contentsOf: URL(fileURLWithPath: spec), encoding: .utf8), terminator: "")
                }
                return
            }
            print(try ArchitectureSpec.load(spec).summary(), terminator: "")
            print("valid")
        }
    }
}
