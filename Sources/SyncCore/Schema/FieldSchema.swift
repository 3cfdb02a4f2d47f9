import Foundation

/// One field of an entity: its name, type, merge rule and constraints.
public struct FieldSchema: Hashable, Sendable {
    public var name: String
    public var type: FieldType
    public var rule: FieldRule
    /// Whether an insert must give it a non-blank value.
    public var required: Bool
    /// A human label ("credit rating") used in explanations.
    public var label: String
    /// Why this rule was chosen: the sentence `Docs/conflict-rules.md` shows.
    public var reason: String

    public init(
        _ name: String, _ type: FieldType, _ rule: FieldRule, required: Bool = false, label: String? = nil,
        reason: String
    ) {
        self.name = name
        self.type = type
        self.rule = rule
        self.required = required
        self.label = label ?? name.replacingOccurrences(of: "_", with: " ")
        self.reason = reason
    }
}
