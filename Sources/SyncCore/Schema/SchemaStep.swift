import Foundation

/// One declared change of a schema, applied the same way by the server and by every laptop.
///
/// A company's own fields arrive as steps the server publishes (``PublishedStep``): a field
/// added, a choice added to a field's list, a field retired. A release of the software declares
/// its own built-in changes as steps too (``SchemaRelease``), which may also rename a field or add
/// a record type. Nothing is ever dropped: a retired field keeps its column and its values; it
/// stops taking writes.
public enum SchemaStep: Hashable, Sendable, Codable {
    /// A field added to a record type.
    case addField(CustomField)
    /// Values added to a choice field's list (a list only grows).
    case addChoices(entity: String, field: String, choices: [String])
    /// A field that takes no more writes; its values stay in the records and their history.
    case retireField(entity: String, field: String)
    /// A built-in field renamed by a release (changes written under the old name are mapped).
    case renameField(entity: String, from: String, to: String)
    /// A record type a release adds (its table is created empty; rows arrive by sync).
    case addEntity(String)

    private enum CodingKeys: String, CodingKey { case step, field, entity, name, choices, from, to }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .step) {
        case "add-field": self = .addField(try c.decode(CustomField.self, forKey: .field))
        case "add-choices":
            self = .addChoices(
                entity: try c.decode(String.self, forKey: .entity), field: try c.decode(String.self, forKey: .name),
                choices: try c.decode([String].self, forKey: .choices))
        case "retire-field":
            self = .retireField(entity: try c.decode(String.self, forKey: .entity), field: try c.decode(String.self, forKey: .name))
        case "rename-field":
            self = .renameField(
                entity: try c.decode(String.self, forKey: .entity), from: try c.decode(String.self, forKey: .from),
                to: try c.decode(String.self, forKey: .to))
        case "add-entity": self = .addEntity(try c.decode(String.self, forKey: .entity))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .step, in: c, debugDescription: "unknown schema step '\(other.prefix(40))'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .addField(field):
            try c.encode("add-field", forKey: .step)
            try c.encode(field, forKey: .field)
        case let .addChoices(entity, field, choices):
            try c.encode("add-choices", forKey: .step)
            try c.encode(entity, forKey: .entity)
            try c.encode(field, forKey: .name)
            try c.encode(choices, forKey: .choices)
        case let .retireField(entity, field):
            try c.encode("retire-field", forKey: .step)
            try c.encode(entity, forKey: .entity)
            try c.encode(field, forKey: .name)
        case let .renameField(entity, from, to):
            try c.encode("rename-field", forKey: .step)
            try c.encode(entity, forKey: .entity)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
        case let .addEntity(entity):
            try c.encode("add-entity", forKey: .step)
            try c.encode(entity, forKey: .entity)
        }
    }

    /// The record type the step changes.
    public var entity: String {
        switch self {
        case let .addField(field): return field.entity
        case let .addChoices(entity, _, _), let .retireField(entity, _), let .renameField(entity, _, _): return entity
        case let .addEntity(entity): return entity
        }
    }

    /// One line for people: "account.segment added (choice: smb, enterprise)".
    public var summary: String {
        switch self {
        case let .addField(field):
            let choices = field.kind == .choice ? ": " + field.choices.joined(separator: ", ") : ""
            return "\(field.entity).\(field.name) added (\(field.kind.rawValue)\(choices), \(field.rule.rawValue))"
        case let .addChoices(entity, field, choices):
            return "\(entity).\(field) takes \(choices.joined(separator: ", ")) too"
        case let .retireField(entity, field): return "\(entity).\(field) retired"
        case let .renameField(entity, from, to): return "\(entity).\(from) renamed \(to)"
        case let .addEntity(entity): return "record type \(entity) added"
        }
    }
}

/// A step as the server published it: its place in the company's schema (the revision), when,
/// by whom, and the feed's end at that moment.
public struct PublishedStep: Hashable, Sendable, Codable {
    /// 1, 2, 3…: the company's schema revision this step makes.
    public var revision: Int
    public var step: SchemaStep
    /// Unix milliseconds.
    public var at: Int64
    public var by: String
    /// The feed's end when the step was published: no row the feed sent before it can hold a
    /// value of what the step adds. A laptop that pulled past it without knowing the step (an
    /// older binary) pulls again from there.
    public var feedPosition: Int64

    public init(revision: Int, step: SchemaStep, at: Int64, by: String, feedPosition: Int64) {
        self.revision = revision
        self.step = step
        self.at = at
        self.by = by
        self.feedPosition = feedPosition
    }
}

/// What a pull page tells a laptop about the company's schema: the steps after the revision the
/// laptop said it knows, and the revision they lead to. Absent when the laptop is up to date.
public struct SchemaUpdate: Hashable, Sendable, Codable {
    public var revision: Int
    public var steps: [PublishedStep]

    public init(revision: Int, steps: [PublishedStep]) {
        self.revision = revision
        self.steps = steps
    }
}

/// The built-in steps a release of the software declares, by the schema version they lead to.
/// Version 1 is the first schema and has none.
public struct SchemaRelease: Hashable, Sendable {
    public var version: Int
    public var steps: [SchemaStep]

    public init(version: Int, steps: [SchemaStep]) {
        self.version = version
        self.steps = steps
    }
}

extension Schema {
    /// The built-in steps of the releases after `version`, in order.
    public func releaseSteps(after version: Int) -> [SchemaStep] {
        releases.filter { $0.version > version }.sorted { $0.version < $1.version }.flatMap(\.steps)
    }

    /// A changeset written under schema `version`, read as this schema's: every field a later
    /// release renamed goes by its new name. (A field a release retired keeps its name; the merge
    /// answers it.)
    public func mapped(_ changeset: Changeset) -> Changeset {
        let renames = releaseSteps(after: changeset.schemaVersion).compactMap { step -> (String, String, String)? in
            if case let .renameField(entity, from, to) = step { return (entity, from, to) }
            return nil
        }
        guard !renames.isEmpty else { return changeset }
        var mapped = changeset
        mapped.changes = changeset.changes.map { change in
            var change = change
            for (entity, from, to) in renames where entity == change.entity {
                switch change.operation {
                case .update(from, let value, let base): change.operation = .update(field: to, value: value, base: base)
                case .insert(var values):
                    if let value = values.removeValue(forKey: from) { values[to] = value }
                    change.operation = .insert(values)
                default: break
                }
            }
            return change
        }
        mapped.schemaVersion = version
        return mapped
    }
}
