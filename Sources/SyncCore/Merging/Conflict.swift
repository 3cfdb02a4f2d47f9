/// One side of a conflict: what someone did, and who did it, when.
public struct Contender: Hashable, Sendable, Codable {
    /// What the contender did to the row.
    public enum Action: String, Hashable, Sendable, Codable {
        /// Wrote ``Contender/value`` to the conflict's field.
        case write
        /// Deleted the row.
        case delete
        /// Created the row (a duplicate candidate).
        case insert
    }

    public var action: Action
    /// The value proposed (null for a delete or an insert).
    public var value: FieldValue
    public var stamp: FieldStamp
    /// True for the side the row held when the conflict arose.
    public var isCurrent: Bool

    public init(value: FieldValue, action: Action = .write, stamp: FieldStamp, isCurrent: Bool) {
        self.action = action
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
        /// A change by someone who held the record before it moved out of their scope (a
        /// transfer of ownership): kept for the record's new holders to review, never applied blind.
        case transferred
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
    /// The value both sides started from (null when there is none, as for a duplicate).
    public var base: FieldValue
    public var contenders: [Contender]
    /// For duplicate candidates: the live rows the new one probably duplicates.
    public var relatedRowIDs: [String]
    /// For duplicate candidates: why each related row matched, by its id ("same phone 970 555 0188").
    public var reasons: [String: String]?
    /// One plain sentence for the admin.
    public var explanation: String

    public init(
        id: String, kind: Kind, entity: String, rowID: String, rowTitle: String, field: String?, rule: String,
        base: FieldValue, contenders: [Contender], relatedRowIDs: [String] = [], reasons: [String: String]? = nil,
        explanation: String
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
        self.reasons = reasons
        self.explanation = explanation
    }
}
