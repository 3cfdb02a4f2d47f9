/// One side of a conflict: a value and who wrote it, when.
public struct Contender: Hashable, Sendable, Codable {
    /// The value proposed; nil for a delete.
    public var value: FieldValue?
    public var stamp: FieldStamp
    /// True for the value the row held when the conflict arose.
    public var isCurrent: Bool

    public init(value: FieldValue?, stamp: FieldStamp, isCurrent: Bool) {
        self.value = value
        self.stamp = stamp
        self.isCurrent = isCurrent
    }
}

/// An item of the conflict queue: what no rule could settle, explained for a person.
public struct Conflict: Hashable, Sendable, Codable, Identifiable {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// Two writes to one field that its rule sends to review.
        case field
        /// A delete concurrent with an edit (edit-wins-and-queue).
        case deleteVersusEdit = "delete-vs-edit"
        /// A new row whose natural key matches a live row.
        case duplicateCandidate = "duplicate-candidate"
    }

    /// Deterministic: the dot of the change that raised it.
    public var id: String
    public var kind: Kind
    public var entity: String
    public var rowID: String
    /// The row's title when the conflict arose ("Acme Ltd").
    public var rowTitle: String
    public var field: String?
    /// The rule that queued it (a ``FieldRule`` raw value, or an entity rule's name).
    public var rule: String
    /// The value both sides started from, when known.
    public var base: FieldValue?
    public var contenders: [Contender]
    /// For duplicate candidates: the live rows with the same natural key.
    public var relatedRowIDs: [String]
    /// One plain sentence for the admin.
    public var explanation: String

    public init(
        id: String, kind: Kind, entity: String, rowID: String, rowTitle: String, field: String?, rule: String,
        base: FieldValue?, contenders: [Contender], relatedRowIDs: [String] = [], explanation: String
    ) {
        self.id = id
        self.kind = kind
        self.entity = entity
        self.rowID = rowID
        self.rowTitle = rowTitle
        self.field = field
        self.rule = rule
        self.base = base
        self.contenders = contenders
        self.relatedRowIDs = relatedRowIDs
        self.explanation = explanation
    }
}
