import Foundation

/// A field a company adds to one of its record types: declared once on the server, learned by
/// every laptop through sync, merged by the same kinds of rule as a built-in field.
public struct CustomField: Hashable, Sendable, Codable {
    /// What a custom field holds. Each kind is one of the built-in ``FieldType``s.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// One line of text, at most ``CustomField/textLength`` characters.
        case text
        /// A whole number.
        case number
        /// An amount with its currency.
        case money
        /// A calendar date.
        case date
        /// True or false.
        case bool
        /// One of a listed set of values (the list may grow).
        case choice
    }

    /// The longest text a custom text field holds.
    public static let textLength = 200
    /// The largest magnitude of a custom number.
    public static let numberLimit: Int64 = 999_999_999_999_999

    public var entity: String
    public var name: String
    public var kind: Kind
    /// A choice field's values, in the order they are offered.
    public var choices: [String]
    /// A human label ("second phone").
    public var label: String
    public var rule: FieldRule

    public init(entity: String, name: String, kind: Kind, choices: [String] = [], label: String? = nil, rule: FieldRule) {
        self.entity = entity
        self.name = name
        self.kind = kind
        self.choices = choices
        self.label = label ?? name.replacingOccurrences(of: "_", with: " ")
        self.rule = rule
    }

    /// The built-in type the field's values are checked and stored as.
    public var type: FieldType {
        switch kind {
        case .text: return .text(maxLength: Self.textLength)
        case .number: return .integer(range: -Self.numberLimit...Self.numberLimit)
        case .money: return .money
        case .date: return .date
        case .bool: return .bool
        case .choice: return .enumeration(choices)
        }
    }

    /// The rules a field of `kind` may take: the ones whose meaning fits its values.
    public static func rules(for kind: Kind) -> [FieldRule] {
        let always: [FieldRule] = [.lastWriterWins, .review, .serverOwned]
        switch kind {
        case .number, .date: return always + [.max, .min]
        case .bool: return always + [.max]
        case .text: return always + [.textMerge]
        case .money, .choice: return always
        }
    }
}

/// Why a schema step cannot be taken; each says what to do instead.
public struct SchemaStepError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension Schema {
    /// The longest name a custom field may have.
    public static let maxFieldNameLength = 40
    /// How many custom fields (retired ones included) one record type may have.
    public static let maxCustomFields = 100
    /// The longest choice value.
    public static let maxChoiceLength = 64

    /// This schema with the company's published steps applied in order, its ``revision`` the
    /// last one's. Steps that no longer fit (a step for a record type this binary lacks) are
    /// skipped, so a laptop never fails to open over a step it cannot use.
    public func applying(_ steps: [PublishedStep]) -> Schema {
        var schema = self
        for published in steps.sorted(by: { $0.revision < $1.revision }) {
            schema.apply(published.step, note: "\(published.by), \(Self.day(published.at))")
            schema.revision = max(schema.revision, published.revision)
        }
        return schema
    }

    /// Applies one step; `note` says who took it and when ("ada, 2026-12-07").
    mutating func apply(_ step: SchemaStep, note: String) {
        guard let index = entities.firstIndex(where: { $0.name == step.entity }) else { return }
        switch step {
        case let .addField(custom):
            // A step that could never have been published (a clash, a bad name) is not taken.
            guard entities[index].field(custom.name) == nil, entities[index].retiredField(custom.name) == nil,
                (try? Self.checkName(custom.name)) != nil
            else { return }
            entities[index].append(
                FieldSchema(
                    custom.name, custom.type, custom.rule, label: custom.label,
                    reason: "A field of the company's own, added by \(note)."),
                custom: true)
        case let .addChoices(_, name, choices):
            guard let field = entities[index].field(name), case .enumeration(let members) = field.type else { return }
            var updated = field
            updated.type = .enumeration(members + choices.filter { !members.contains($0) })
            entities[index].replace(updated)
        case let .retireField(_, name):
            entities[index].retire(name, reason: "retired by \(note)")
        case .renameField, .addEntity:
            // A release's own steps: its compiled schema already holds their result.
            break
        }
    }

    /// Checks that `step` can be taken on this schema, for `by` now: a clear sentence for every
    /// way it cannot.
    public func check(_ step: SchemaStep) throws(SchemaStepError) {
        guard let entity = entity(step.entity) else {
            throw SchemaStepError(
                "there is no record type '\(step.entity.prefix(40))'; use one of \(entities.map(\.name).joined(separator: ", "))")
        }
        switch step {
        case let .addField(field):
            try Self.checkName(field.name)
            if entity.field(field.name) != nil || entity.retiredField(field.name) != nil {
                if entity.isCustom(field.name) || entity.retiredField(field.name) != nil {
                    throw SchemaStepError(
                        "\(entity.name) already has a field '\(field.name)'\(entity.retiredField(field.name) != nil ? " (retired)" : ""); choose another name")
                }
                throw SchemaStepError("'\(field.name)' is a built-in field of \(entity.name); choose another name")
            }
            // A record's id, and the store's own names for a row's key (a column so named would hide it).
            guard !["id", "rowid", "oid"].contains(field.name) else {
                throw SchemaStepError("'\(field.name)' is a name the store keeps for a record's key; choose another name")
            }
            let taken = Set((entity.fields + entity.retired.map(\.field)).flatMap(FieldSchema.storedNames))
            let new = FieldSchema(field.name, field.type, field.rule, reason: "")
            if let clash = FieldSchema.storedNames(new).first(where: taken.contains) {
                throw SchemaStepError("'\(field.name)' would be stored as '\(clash)', which \(entity.name) uses already; choose another name")
            }
            guard entity.customCount < Self.maxCustomFields else {
                throw SchemaStepError("\(entity.name) has \(Self.maxCustomFields) fields of the company's own already, the most a record type may have")
            }
            guard (1...100).contains(field.label.unicodeScalars.count), TextHygiene.problem(in: field.label, multiline: false) == nil
            else {
                throw SchemaStepError("a label is one line of 1 to 100 characters")
            }
            if field.kind == .choice {
                guard !field.choices.isEmpty else {
                    throw SchemaStepError("a choice field needs its values: give its choices, such as a,b,c")
                }
                try Self.checkChoices(field.choices, existing: [])
            } else if !field.choices.isEmpty {
                throw SchemaStepError("only a choice field has choices; give none, or make it a choice field")
            }
            let allowed = CustomField.rules(for: field.kind)
            guard allowed.contains(field.rule) else {
                throw SchemaStepError(
                    "a \(field.kind.rawValue) field cannot use the rule '\(field.rule.rawValue)'; use one of "
                        + allowed.map(\.rawValue).joined(separator: ", "))
            }
        case let .addChoices(_, name, choices):
            let field = try customField(name, of: entity)
            guard case .enumeration(let members) = field.type else {
                throw SchemaStepError("\(entity.name).\(name) is not a choice field; only a choice field takes choices")
            }
            guard !choices.isEmpty else { throw SchemaStepError("give at least one value to add") }
            try Self.checkChoices(choices, existing: members)
        case let .retireField(_, name):
            _ = try customField(name, of: entity)
        case .renameField, .addEntity:
            throw SchemaStepError("only a release of the software renames a field or adds a record type")
        }
    }

    /// The custom field `name` of `entity`, still taking writes.
    private func customField(_ name: String, of entity: EntitySchema) throws(SchemaStepError) -> FieldSchema {
        if entity.retiredField(name) != nil {
            throw SchemaStepError("\(entity.name).\(name) is retired already")
        }
        guard let field = entity.field(name) else {
            throw SchemaStepError("\(entity.name) has no field '\(name.prefix(40))'; the list of fields shows them")
        }
        guard entity.isCustom(name) else {
            throw SchemaStepError("\(entity.name).\(name) is built in; only a field the company added can change here")
        }
        return field
    }

    static func checkName(_ name: String) throws(SchemaStepError) {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, ("a"..."z").contains(first), scalars.count <= maxFieldNameLength,
            scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw SchemaStepError(
                "'\(name.prefix(40))' is not a field name: use 1 to \(maxFieldNameLength) lower-case letters, digits or '_', starting with a letter")
        }
    }

    static func checkChoices(_ choices: [String], existing: [String]) throws(SchemaStepError) {
        var seen = Set(existing)
        for choice in choices {
            guard !choice.isEmpty, choice.unicodeScalars.count <= maxChoiceLength, !choice.contains(","),
                TextHygiene.problem(in: choice, multiline: false) == nil, choice.trimmingCharacters(in: .whitespaces) == choice
            else {
                throw SchemaStepError(
                    "'\(choice.prefix(64))' is not a choice: use 1 to \(maxChoiceLength) characters, no commas or edge spaces")
            }
            guard seen.insert(choice).inserted else {
                throw SchemaStepError("'\(choice)' is \(existing.contains(choice) ? "a choice already" : "listed twice")")
            }
        }
        guard seen.count <= 200 else { throw SchemaStepError("a choice field holds at most 200 values") }
    }

    /// `YYYY-MM-DD` of a time in Unix milliseconds (UTC).
    static func day(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

extension FieldSchema {
    /// The names a field's values are stored under (money and location take two).
    public static func storedNames(_ field: FieldSchema) -> [String] {
        switch field.type {
        case .money: return [field.name + "_minor", field.name + "_currency"]
        case .location: return [field.name + "_lat", field.name + "_lon"]
        default: return [field.name]
        }
    }
}

/// A field that takes no more writes, with why.
public struct RetiredField: Hashable, Sendable {
    public var field: FieldSchema
    /// "retired by ada, 2026-12-07".
    public var reason: String
    public var isCustom: Bool
}
