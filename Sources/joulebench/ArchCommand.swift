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
            print(try ArchitectureSpec.load(spec).summary(), terminator: "")
            print("valid")
        }
    }
}
