import SyncCore

extension CRMSchema {
    /// The field-by-field rule table of `Docs/conflict-rules.md`, generated from the schema.
    ///
    /// The document holds this text between `<!-- rules:begin -->` and `<!-- rules:end -->`;
    /// a test fails when the two differ, so the document cannot drift from the code.
    public static func rulesMarkdown() -> String {
        var out: [String] = []
        for entity in schema.entities {
            out.append("### \(entity.name)")
            out.append("")
            var facts = ["inserts: **\(entity.insertRule.rawValue)**", "deletes: **\(entity.deleteRule.rawValue)**"]
            if let matcher = entity.duplicates {
                facts.append("duplicates found by: **\(matcher.summary)**")
            }
            for propagation in entity.propagations {
                let target = entity.field(propagation.reference).map { field -> String in
                    if case .reference(let name) = field.type { return name }
                    return field.name
                } ?? propagation.reference
                facts.append(
                    "a new \(entity.label) moves " + propagation.targets.map { "`\(target).\($0)`" }.joined(separator: " and ")
                        + " to its `\(propagation.source)` (each by its own rule)")
            }
            if !entity.invariants.isEmpty {
                facts.append("invariants: " + entity.invariants.map { "`\($0.name)`" }.joined(separator: ", "))
            }
            out.append(facts.joined(separator: "; ") + ".")
            out.append("")
            out.append("| field | type | rule | why |")
            out.append("|---|---|---|---|")
            for field in entity.fields {
                let rule = entity.insertRule == .appendOnly ? "append-only" : field.rule.rawValue
                let required = field.required ? ", required" : ""
                out.append("| `\(field.name)` | \(typeName(field.type))\(required) | \(rule) | \(field.reason) |")
            }
            for machine in entity.stateMachines {
                out.append("")
                out.append("State machine on `\(machine.field)` (start in \(machine.initial.sorted().joined(separator: ", "))):")
                out.append("")
                for state in machine.states {
                    let targets = machine.transitions[state, default: []].sorted()
                    var line = "- `\(state)` → " + (targets.isEmpty ? "(final)" : targets.map { "`\($0)`" }.joined(separator: ", "))
                    if machine.privilegedTargets.contains(state) { line += "; entered only by the server or an admin" }
                    if let required = machine.requirements[state] { line += "; requires " + required.joined(separator: ", ") }
                    out.append(line)
                }
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    private static func typeName(_ type: FieldType) -> String {
        switch type {
        case let .text(maxLength): return "text ≤ \(maxLength)"
        case let .integer(range): return "integer \(range.lowerBound)…\(range.upperBound)"
        case let .enumeration(members): return "enum (" + members.joined(separator: ", ") + ")"
        case let .reference(entity): return "→ \(entity)"
        default: return type.name
        }
    }
}
