import SyncCore

/// A conflict as the queue stores it: the record, its status and, once resolved, how.
public struct QueuedConflict: Hashable, Sendable {
    public var conflict: Conflict
    public var isOpen: Bool
    public var createdAt: Int64
    public var resolution: ConflictChoice?
    public var resolvedBy: String?
    public var resolvedAt: Int64?

    public init(
        conflict: Conflict, isOpen: Bool, createdAt: Int64, resolution: ConflictChoice? = nil, resolvedBy: String? = nil,
        resolvedAt: Int64? = nil
    ) {
        self.conflict = conflict
        self.isOpen = isOpen
        self.createdAt = createdAt
        self.resolution = resolution
        self.resolvedBy = resolvedBy
        self.resolvedAt = resolvedAt
    }
}

/// How an admin settles a conflict.
public enum ConflictChoice: Hashable, Sendable, Codable {
    /// How the history says it.
    public var phrase: String {
        switch self {
        case .keepCurrent: "kept the current value"
        case .keepIncoming: "kept the incoming value"
        case let .value(value): "entered \(value)"
        case let .merged(into): "merged the pair into \(into)"
        }
    }

    /// Keep the value the row held when the conflict arose (for a delete-vs-edit: the live row
    /// if it was live, the delete if it was deleted; for a duplicate: keep both records).
    case keepCurrent
    /// Keep the incoming contender (for a delete-vs-edit: whichever side arrived second).
    case keepIncoming
    /// Enter a new value (field conflicts only).
    case value(FieldValue)
    /// A duplicate candidate settled by merging the pair into this record (the hub's record merge).
    case merged(into: String)
}
