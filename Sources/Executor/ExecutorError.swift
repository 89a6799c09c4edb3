/// Why the executor refused a graph or an input: the node (when there is one) and the reason.
public struct ExecutorError: Error, CustomStringConvertible, Equatable {
    /// Node name, or `nil` for errors about the whole graph or the input.
    public var node: String?
    public var reason: String
    public init(node: String?, reason: String) { self.node = node; self.reason = reason }
    public var description: String {
        if let node { return "node '\(node)': \(reason)" }
        return reason
    }
}
