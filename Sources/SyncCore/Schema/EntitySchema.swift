/// One entity (a table of rows) with its fields and entity-level rules.
public struct EntitySchema: Sendable {
    public var name: String
    /// A human label ("customer") used in explanations.
    public var label: String
    public var fields: [FieldSchema]
    public var insertRule: InsertRule
    public var deleteRule: DeleteRule
    /// How a new row's probable duplicates are found (nil: never looked for).
    public var duplicates: (any DuplicateMatcher)?
    public var invariants: [Invariant]
    /// The state machines among the invariants, kept for documentation and local checks.
    public var stateMachines: [StateMachine]
    /// The field that names a row in messages ("Acme Ltd").
    public var titleField: String?
    /// The reference field that ties a row to its owning row (for visibility and re-parenting).
    public var parentField: String?
    /// Extra lookups worth an index in a store (each a list of fields), beyond references and the title.
    public var indexes: [[String]]
    /// Fields of referenced rows that a new row moves, in the same write.
    public var propagations: [Propagation]
    /// Fields that take no more writes (a company's retired ones; a release's); their values
    /// stay in stored rows and in history.
    public private(set) var retired: [RetiredField] = []
    /// The names of the fields the company added (``CustomField``), retired ones included.
    public private(set) var customNames: Set<String> = []

    private var fieldIndex: [String: Int]

    public init(
        name: String, label: String? = nil, fields: [FieldSchema], insertRule: InsertRule = .mutable,
        deleteRule: DeleteRule = .editWinsAndQueue, duplicates: (any DuplicateMatcher)? = nil, invariants: [Invariant] = [],
        stateMachines: [StateMachine] = [], titleField: String? = nil, parentField: String? = nil,
        indexes: [[String]] = [], propagations: [Propagation] = []
    ) {
        self.name = name
        self.label = label ?? name
        self.fields = fields
        self.insertRule = insertRule
        self.deleteRule = insertRule == .appendOnly ? .never : deleteRule
        self.duplicates = duplicates
        self.invariants = invariants + stateMachines.flatMap { $0.invariants(entity: name) }
        self.stateMachines = stateMachines
        self.titleField = titleField
        self.parentField = parentField
        self.indexes = indexes
        self.propagations = propagations
        self.fieldIndex = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
    }

    /// The label with its indefinite article: "an item", "a record".
    public var labelWithArticle: String {
        let startsWithVowel = label.first.map { "aeiou".contains($0.lowercased()) } ?? false
        return (startsWithVowel ? "an " : "a ") + label
    }

    /// Returns the field named `name`.
    /// Where `name` is declared among the fields (after every field when it is not one).
    public func fieldIndex(_ name: String) -> Int {
        fieldIndex[name] ?? fields.count
    }

    public func field(_ name: String) -> FieldSchema? {
        fieldIndex[name].map { fields[$0] }
    }

    /// The retired field `name`, if it is one.
    public func retiredField(_ name: String) -> RetiredField? {
        retired.first { $0.field.name == name }
    }

    /// Whether `name` is a field the company added rather than a built-in one.
    public func isCustom(_ name: String) -> Bool { customNames.contains(name) }

    /// How many fields the company added, retired ones included.
    public var customCount: Int { customNames.count }

    /// Adds a field after the others.
    mutating func append(_ field: FieldSchema, custom: Bool) {
        fieldIndex[field.name] = fields.count
        fields.append(field)
        if custom { customNames.insert(field.name) }
    }

    /// Replaces the declaration of an existing field (its choices grew).
    mutating func replace(_ field: FieldSchema) {
        guard let index = fieldIndex[field.name] else { return }
        fields[index] = field
    }

    /// Takes `name` out of the fields that take writes; its values stay where they are.
    mutating func retire(_ name: String, reason: String) {
        guard let index = fieldIndex[name] else { return }
        retired.append(RetiredField(field: fields[index], reason: reason, isCustom: customNames.contains(name)))
        fields.remove(at: index)
        fieldIndex = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
    }

    /// The title of a row, for messages.
    public func title(of values: [String: FieldValue], id: String) -> String {
        if let titleField, let title = values[titleField]?.textValue, !title.isEmpty { return title }
        return "\(label) \(id)"
    }

    /// Validates a whole row for insertion: every key is a field, every value fits its type,
    /// required fields are present. Missing fields become null.
    /// Values of retired fields are left out (the change keeps them, and so does history).
    public func validateInsert(_ values: [String: FieldValue]) throws(SchemaError) -> [String: FieldValue] {
        for key in values.keys where fieldIndex[key] == nil && retiredField(key) == nil {
            throw .unknownField(entity: name, field: key)
        }
        var row: [String: FieldValue] = [:]
        for field in fields {
            let value = try validate(field: field, values[field.name] ?? .null)
            if field.required && value.isBlank {
                throw .missingRequired(entity: name, field: field.name)
            }
            row[field.name] = value
        }
        return row
    }

    /// Validates one field write.
    public func validateUpdate(field name: String, _ value: FieldValue) throws(SchemaError) -> FieldValue {
        if let retired = retiredField(name) {
            throw .retiredField(entity: self.name, field: name, reason: retired.reason)
        }
        guard let field = field(name) else { throw .unknownField(entity: self.name, field: name) }
        let checked = try validate(field: field, value)
        if field.required && checked.isBlank {
            throw .missingRequired(entity: self.name, field: name)
        }
        return checked
    }

    private func validate(field: FieldSchema, _ value: FieldValue) throws(SchemaError) -> FieldValue {
        do {
            return try field.type.validate(value)
        } catch let SchemaError.invalidValue(_, reason) {
            throw .invalidValue(field: "\(self.name).\(field.name)", reason: reason)
        }
    }
}

/// A whole schema: every entity the sync engine knows, with a version number.
public struct Schema: Sendable {
    public var version: Int
    public var entities: [EntitySchema]
    /// Which entity roots a book of business and which of its fields place it; nil when the
    /// schema has no notion of who holds a record (everything is everyone's).
    public var placement: Placement?
    /// Which entity describes files whose bytes travel apart from the records, and which of its
    /// fields hold what the hub checks; nil when the schema has no files.
    public var files: FileFields?
    /// The company's schema revision: the last of its own steps (``PublishedStep``) this schema
    /// holds beyond the built-in one (0: none).
    public var revision: Int = 0
    /// The built-in steps of each release, oldest first; a change written under an older
    /// version is read through the ones after it (``mapped(_:)``).
    public var releases: [SchemaRelease]
    private let entityIndex: [String: Int]

    public init(
        version: Int, entities: [EntitySchema], placement: Placement? = nil, files: FileFields? = nil,
        releases: [SchemaRelease] = []
    ) {
        self.version = version
        self.releases = releases
        self.entities = entities
        self.placement = placement
        self.files = files
        self.entityIndex = Dictionary(uniqueKeysWithValues: entities.enumerated().map { ($1.name, $0) })
        // A field a release retired stays declared (its values are still read) and takes no writes.
        for release in releases {
            for case let .retireField(entity, field) in release.steps {
                guard let index = entityIndex[entity] else { continue }
                self.entities[index].retire(field, reason: "retired in release \(release.version)")
            }
        }
    }

    public func entity(_ name: String) -> EntitySchema? {
        entityIndex[name].map { entities[$0] }
    }

    /// The fields, of every entity, that reference `entity`; only parent references (the ones
    /// that hang a row under another) when `parentsOnly`.
    public func references(to entity: String, parentsOnly: Bool) -> [(entity: EntitySchema, field: FieldSchema)] {
        entities.flatMap { child in
            child.fields.compactMap { field in
                guard case .reference(let target) = field.type, target == entity,
                    !parentsOnly || field.name == child.parentField
                else { return nil }
                return (child, field)
            }
        }
    }

    /// Returns the entity named `name` or throws ``SchemaError/unknownEntity(_:)``.
    public func requireEntity(_ name: String) throws(SchemaError) -> EntitySchema {
        guard let entity = entity(name) else { throw .unknownEntity(name) }
        return entity
    }
}

/// Errors of schema validation: a value or a name that does not fit the schema.
public enum SchemaError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownEntity(String)
    case unknownField(entity: String, field: String)
    case invalidValue(field: String, reason: String)
    case missingRequired(entity: String, field: String)
    /// A write to a field that takes none any more.
    case retiredField(entity: String, field: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownEntity(name):
            return "there is no record type '\(name)'"
        case let .unknownField(entity, field):
            return "\(entity) has no field '\(field)'"
        case let .invalidValue(field, reason):
            return "\(field) \(reason)"
        case let .missingRequired(entity, field):
            return "\(entity).\(field) is required; give it a value"
        case let .retiredField(entity, field, reason):
            return "\(entity).\(field) was \(reason) and takes no more values"
        }
    }
}
