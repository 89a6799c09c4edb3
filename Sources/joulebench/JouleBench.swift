import ArgumentParser

/// `joulebench`: the command-line tool. Thin by design (DESIGN.md): each subcommand parses
/// its arguments, calls a module, and prints.
@main
struct JouleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "joulebench",
        abstract: "How many joules per pixel does this perception workload cost on this hardware?",
        version: JouleBenchVersion,
        subcommands: [
            ImagesCommand.self,
            ModelsCommand.self,
            InferCommand.self,
            DetectCommand.self,
            ArchCommand.self,
            PriceCommand.self,
        ]
    )
}
